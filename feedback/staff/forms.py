from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, StringField
from wtforms.validators import InputRequired


class LoginForm(FlaskForm):
    email = EmailField(_l("Email address"), validators=[InputRequired(_l("Enter your email address."))])
    password = PasswordField(_l("Password"), validators=[InputRequired(_l("Enter your password."))])


class CodeForm(FlaskForm):
    """The second step of signing in: an authenticator code or a recovery code."""

    code = StringField(_l("Code"), validators=[InputRequired(_l("Enter the code."))])
