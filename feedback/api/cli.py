"""``flask api-clients create|list|revoke``: the admin pages' work from the command line."""
from __future__ import annotations

import click
import sqlalchemy as sa
from flask.cli import AppGroup

from ..extensions import db
from ..staff.models import Site, StaffUser
from .clients import SCOPES, ApiClient, ApiClientError, create_client, revoke_client


@click.group("api-clients", cls=AppGroup, help="Systems allowed to call the API: create (token shown once), list, revoke.")
def api_clients():
    pass


def _actor_id(email: str | None) -> int | None:
    if not email:
        return None
    actor = db.session.scalar(sa.select(StaffUser).where(sa.func.lower(StaffUser.email) == email.lower()))
    if actor is None or not actor.is_admin:
        raise click.ClickException(f"{email} is not an admin's email address.")
    return actor.id


@api_clients.command("create")
@click.argument("name")
@click.option("--scope", "scopes", multiple=True, required=True, type=click.Choice(SCOPES), help="Repeat for each.")
@click.option("--site", "sites", multiple=True, required=True, help="A site code; repeat for each.")
@click.option("--days", type=click.IntRange(1, 3650), help="Days the token works (default FEEDBACK_API_TOKEN_DAYS).")
@click.option("--rate-limit", help="e.g. '600 per minute' (the default).")
@click.option("--by", "by", help="The admin's email, for the audit log.")
def create(name, scopes, sites, days, rate_limit, by):
    """Make a client; its token is printed once and cannot be shown again."""
    found = {site.code.lower(): site.id for site in db.session.scalars(sa.select(Site))}
    unknown = [code for code in sites if code.lower() not in found]
    if unknown:
        raise click.ClickException(f"No site {', '.join(unknown)}. `flask sites list` shows the codes.")
    try:
        made = create_client(name, scopes, [found[code.lower()] for code in sites], _actor_id(by), days, rate_limit)
    except ApiClientError as refusal:
        db.session.rollback()
        raise click.ClickException(str(refusal)) from None
    db.session.commit()
    click.echo(f"Client {made.client.id} ({made.client.name}) made; it works until "
               f"{made.client.expires_at:%Y-%m-%d} (UTC). Its token, shown only now:")
    click.echo(made.token)


@api_clients.command("list")
def list_clients():
    """Id, name, state, scopes, sites, expiry and last use (never a token)."""
    for client in db.session.scalars(sa.select(ApiClient).order_by(ApiClient.id)):
        used = f"{client.last_used_at:%Y-%m-%d %H:%M}" if client.last_used_at else "never used"
        click.echo(f"{client.id}\t{client.name}\t{client.state()}\t{client.scopes}\t"
                   f"{','.join(site.code for site in client.sites)}\tuntil {client.expires_at:%Y-%m-%d}\t{used}")


@api_clients.command("revoke")
@click.argument("client_id", type=int)
@click.option("--by", "by", help="The admin's email, for the audit log.")
def revoke(client_id, by):
    """Stop the client's token working, at once."""
    client = db.session.get(ApiClient, client_id)
    if client is None:
        raise click.ClickException(f"No API client {client_id}. `flask api-clients list` shows them.")
    if revoke_client(client, _actor_id(by)):
        db.session.commit()
        click.echo(f"Client {client.id} ({client.name}) revoked.")
    else:
        click.echo(f"Client {client.id} ({client.name}) was already revoked.")
