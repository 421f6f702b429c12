"""Staff pages for API clients (admins only): list, create (the token shown once), revoke."""
from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import SelectMultipleField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length
from wtforms.widgets import CheckboxInput, ListWidget

from ..extensions import db
from ..staff.access import ADMIN_ONLY, require_roles
from ..staff.models import Site
from .clients import SCOPES, ApiClient, ApiClientError, create_client, revoke_client

bp = Blueprint("api_clients", __name__, url_prefix="/staff/api-clients", template_folder="templates")


class Checkboxes(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class ClientForm(FlaskForm):
    name = StringField(_l("Name of the system"), validators=[
        InputRequired(_l("Enter the name of the system that will call the API.")),
        Length(max=120, message=_l("Use at most 120 characters."))])
    scopes = Checkboxes(_l("What it may do"), choices=[SelectChoice(scope, scope) for scope in SCOPES],
                        validators=[InputRequired(_l("Choose at least one scope."))],
                        invalid_choice_message=_l("Choose among the scopes listed."))
    site_ids = Checkboxes(_l("Sites"), coerce=int, validators=[InputRequired(_l("Choose at least one site."))],
                          invalid_choice_message=_l("Choose among the sites listed."))


@bp.get("")
@require_roles(*ADMIN_ONLY)
def index():
    clients = db.session.scalars(sa.select(ApiClient).order_by(ApiClient.created_at.desc(), ApiClient.id.desc())).all()
    return render_template("api_clients/index.html", clients=clients, form=FlaskForm())


@bp.route("/new", methods=["GET", "POST"])
@require_roles(*ADMIN_ONLY)
def new():
    form = ClientForm()
    form.site_ids.choices = [SelectChoice(site.id, f"{site.code} – {site.name}")
                             for site in db.session.scalars(sa.select(Site).order_by(Site.code))]
    error = None
    if form.validate_on_submit():
        try:
            made = create_client(form.name.data, form.scopes.data, form.site_ids.data, current_user.id)
        except ApiClientError as refusal:
            db.session.rollback()
            error = str(refusal)
        else:
            db.session.commit()
            # Drawn here, never redirected to: the token is in this one response and nowhere else
            # (every page is sent with Cache-Control: no-store).
            return render_template("api_clients/created.html", client=made.client, token=made.token)
    return render_template("api_clients/new.html", form=form, error=error), (422 if form.errors or error else 200)


@bp.post("/<int:client_id>/revoke")
@require_roles(*ADMIN_ONLY)
def revoke(client_id: int):
    if not FlaskForm().validate_on_submit():
        abort(400)
    client = db.session.get(ApiClient, client_id) if client_id < 2**31 else None
    if client is None:
        abort(404)
    if revoke_client(client, current_user.id):
        db.session.commit()
        flash(_l("%(name)s can no longer call the API: its token was revoked.", name=client.name))
    return redirect(url_for(".index"))
