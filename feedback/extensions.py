"""Extension objects, created here and bound to the app in ``create_app``."""
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase

# Predictable constraint names, so migrations can alter and drop them on every database.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
csrf = CSRFProtect()
babel = Babel()
login_manager = LoginManager()
# No default limits: each view that needs one (sign-in) states its own.
limiter = Limiter(key_func=get_remote_address, default_limits=[])


def conflict_insert(dialect_name: str):
    """The ``insert`` that takes ON CONFLICT clauses on this database (PostgreSQL or SQLite)."""
    return postgresql.insert if dialect_name == "postgresql" else sqlite.insert


def without_jit(engine: Engine) -> None:
    """Turn PostgreSQL's JIT compilation off on each new connection of ``engine``.

    JIT compiles a query's expressions once the planner thinks it costly, which takes a few
    hundred milliseconds: more than it saves on queries that run in a second or two, as the
    reports' do (measured: invitation counts for 20,000 families 0.86 s with it, 0.40 s without).
    Set per connection, not in the URL, so options a deployment puts there are kept.
    """
    @event.listens_for(engine, "connect")
    def _no_jit(dbapi_connection, _record):
        # Outside a transaction (autocommit), so the setting lasts for the connection's life.
        autocommit, dbapi_connection.autocommit = dbapi_connection.autocommit, True
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("SELECT current_setting('server_version_num')::int")
            if cursor.fetchone()[0] >= 110000:  # PostgreSQL 11 brought JIT
                cursor.execute("SET jit = off")
        finally:
            cursor.close()
            dbapi_connection.autocommit = autocommit
