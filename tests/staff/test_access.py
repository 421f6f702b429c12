"""Who may use each staff page: the refusal matrix, route by route and role by role.

A role that may not use a page gets 403; a record of a site not granted gets 404, as if it did
not exist; nobody signed in is sent to sign in. Every POST carries a valid CSRF token, so a
refusal is about access, and a refused request (GET or POST) must change nothing at all, not
even the audit log.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import pytest
import sqlalchemy as sa

from feedback.extensions import db
from feedback.families.models import Family, Member
from tests.partners.helpers import agency_with_contact
from tests.staff.scene import ROLES, build_scene, client_as, form_token, snapshot

OK, LOGIN, INVALID = "ok", "sign in", "invalid"


def row(admin=OK, practitioner_north=OK, practitioner_south=OK, manager_north=403, researcher_north=403,
        anonymous=LOGIN) -> dict:
    return dict(admin=admin, practitioner_north=practitioner_north, practitioner_south=practitioner_south,
                manager_north=manager_north, researcher_north=researcher_north, anonymous=anonymous)


EVERYONE = row(manager_north=OK, researcher_north=OK)
#: Family pages of a north family: south's practitioner is told it does not exist.
NORTH_FAMILY = row(practitioner_south=404)
#: Lists that a practitioner of any site may use (each sees their own sites).
PRACTITIONERS = row()
ADMINS = row(practitioner_north=403, practitioner_south=403)
CALENDAR = row(practitioner_north=403, practitioner_south=403, researcher_north=OK)
STATUS = row(practitioner_north=403, practitioner_south=403, researcher_north=OK, manager_north=OK)
SIGNED_OUT = {role: LOGIN for role in ROLES}
UNIT_SAVINGS = row(practitioner_north=403, practitioner_south=403, manager_north=OK)
IMPORT_WITHOUT_FILE = CALENDAR | {"admin": INVALID, "researcher_north": INVALID}
#: Partner agency pages of a north agency: researchers and managers of north, admins.
PARTNERS = STATUS
PARTNER_IMPORT_WITHOUT_FILE = PARTNERS | {"admin": INVALID, "manager_north": INVALID, "researcher_north": INVALID}


def version_of(model, ident) -> int:
    return db.session.get(model, ident).version


@dataclass(frozen=True)
class Route:
    method: str
    rule: str
    url: Callable
    expected: dict
    data: Callable = field(default=lambda s, role: {})

    def __str__(self):
        return f"{self.method} {self.rule}"


F = "/staff/families/<int:family_id>"
MATRIX = [
    Route("GET", "/staff/", lambda s: "/staff/", EVERYONE | {"anonymous": LOGIN}),
    # Anyone signed in may turn on two-step sign-in for their own account.
    Route("GET", "/staff/two-factor/enrol", lambda s: "/staff/two-factor/enrol", EVERYONE),
    Route("POST", "/staff/two-factor/enrol", lambda s: "/staff/two-factor/enrol", EVERYONE,
          lambda s, role: {"code": "000000"}),
    Route("POST", "/staff/logout", lambda s: "/staff/logout", SIGNED_OUT),
    Route("GET", "/staff/families", lambda s: "/staff/families", PRACTITIONERS),
    Route("GET", "/staff/families/new", lambda s: "/staff/families/new", PRACTITIONERS),
    # South's practitioner may record families, but not at north: north is not among the choices.
    Route("POST", "/staff/families/new", lambda s: "/staff/families/new", row(practitioner_south=INVALID),
          lambda s, role: {"site_id": s.world["north"], "case_ref": f"NEW-{role}", "key_worker_id": "0"}),
    # The family import page: the family pages' roles; posted with no file, the form is invalid.
    Route("GET", "/staff/families/import", lambda s: "/staff/families/import", PRACTITIONERS),
    Route("POST", "/staff/families/import", lambda s: "/staff/families/import",
          row(admin=INVALID, practitioner_north=INVALID, practitioner_south=INVALID)),
    Route("GET", F, lambda s: f"/staff/families/{s.family}", NORTH_FAMILY),
    Route("GET", F + "/edit", lambda s: f"/staff/families/{s.family}/edit", NORTH_FAMILY),
    Route("POST", F + "/edit", lambda s: f"/staff/families/{s.family}/edit", NORTH_FAMILY,
          lambda s, role: {"version": version_of(Family, s.family), "key_worker_id": s.world["kw_north"],
                           "entry_date-day": "5", "entry_date-month": "1", "entry_date-year": "2026",
                           "status": "open"}),
    Route("GET", F + "/members/new", lambda s: f"/staff/families/{s.family}/members/new", NORTH_FAMILY),
    Route("POST", F + "/members/new", lambda s: f"/staff/families/{s.family}/members/new", NORTH_FAMILY,
          lambda s, role: {"role": "other_carer", "name": "Gran", "language": "en", "channel": "none"}),
    Route("GET", F + "/members/<int:member_id>/edit",
          lambda s: f"/staff/families/{s.family}/members/{s.mother}/edit", NORTH_FAMILY),
    Route("POST", F + "/members/<int:member_id>/edit",
          lambda s: f"/staff/families/{s.family}/members/{s.mother}/edit", NORTH_FAMILY,
          lambda s, role: {"version": version_of(Member, s.mother), "role": "mother", "name": "Mum",
                           "birth-year": "1988", "birth-month": "3", "language": "cy", "channel": "sms_link"}),
    Route("POST", F + "/members/<int:member_id>/consent",
          lambda s: f"/staff/families/{s.family}/members/{s.mother}/consent", NORTH_FAMILY,
          lambda s, role: {"purpose": "sms", "party": "self", "given": "no", "text_version": "v2"}),
    Route("GET", F + "/pause", lambda s: f"/staff/families/{s.family}/pause", NORTH_FAMILY),
    Route("POST", F + "/pause", lambda s: f"/staff/families/{s.family}/pause", NORTH_FAMILY,
          lambda s, role: {"member_id": s.mother, "reason": "matrix"}),
    Route("POST", F + "/pauses/<int:pause_id>/lift", lambda s: f"/staff/families/{s.family}/pauses/{s.pause}/lift",
          NORTH_FAMILY),
    Route("GET", F + "/erase", lambda s: f"/staff/families/{s.family}/erase", ADMINS),
    Route("POST", F + "/erase", lambda s: f"/staff/families/{s.family}/erase", ADMINS,
          lambda s, role: {"case_ref": "N-1"}),
    Route("GET", "/staff/waves", lambda s: "/staff/waves", CALENDAR),
    Route("GET", "/staff/waves/status", lambda s: "/staff/waves/status", STATUS),
    # What each text costs, per language: admins and researchers.
    Route("GET", "/staff/texts/costs", lambda s: "/staff/texts/costs", CALENDAR),
    # Instruments' languages and translation status: researchers and managers.
    Route("GET", "/staff/languages", lambda s: "/staff/languages", STATUS),
    Route("GET", "/staff/invitations/<int:invitation_id>", lambda s: f"/staff/invitations/{s.invitation}", NORTH_FAMILY),
    Route("POST", "/staff/invitations/<int:invitation_id>/cancel",
          lambda s: f"/staff/invitations/{s.invitation}/cancel", NORTH_FAMILY),
    Route("POST", "/staff/invitations/<int:invitation_id>/send-now",
          lambda s: f"/staff/invitations/{s.invitation}/send-now", NORTH_FAMILY),
    Route("GET", "/staff/invitations", lambda s: "/staff/invitations", PRACTITIONERS),
    Route("POST", F + "/members/<int:member_id>/send-now",
          lambda s: f"/staff/families/{s.family}/members/{s.mother}/send-now", NORTH_FAMILY,
          lambda s, role: {"instrument": "follow-up", "channel": "print"}),
    Route("GET", "/staff/invitations/unknown", lambda s: "/staff/invitations/unknown", ADMINS),
    # Nothing chosen and no reason: refused for the admin as invalid, changing nothing.
    Route("POST", "/staff/invitations/unknown", lambda s: "/staff/invitations/unknown", ADMINS | {"admin": 400}),
    Route("POST", "/staff/invitations/<int:invitation_id>/resolve",
          lambda s: f"/staff/invitations/{s.invitation}/resolve", ADMINS, lambda s, role: {"reached": "yes"}),
    Route("GET", "/staff/exports", lambda s: "/staff/exports", CALENDAR),
    Route("POST", "/staff/exports/<profile_id>/run", lambda s: "/staff/exports/follow-up-summary/run", CALENDAR),
    # North's researcher's finished export (``finished_export``): its owner and admins only.
    Route("GET", "/staff/exports/runs/<int:run_id>", lambda s: f"/staff/exports/runs/{s.export_run}", CALENDAR),
    Route("GET", "/staff/exports/runs/<int:run_id>/download",
          lambda s: f"/staff/exports/runs/{s.export_run}/download", CALENDAR),
    # Posted with no file: the form is invalid for those who may use it, and nothing is stored.
    Route("GET", "/staff/imports", lambda s: "/staff/imports", CALENDAR),
    Route("POST", "/staff/imports", lambda s: "/staff/imports", IMPORT_WITHOUT_FILE,
          lambda s, role: {"instrument": "household:1", "wave": "exit"}),
    Route("GET", "/staff/imports/<instrument_id>/v<int:version>/headings.csv",
          lambda s: "/staff/imports/household/v1/headings.csv", CALENDAR),
    Route("GET", "/staff/reports", lambda s: "/staff/reports", STATUS),
    Route("GET", "/staff/reports/<name>", lambda s: "/staff/reports/need-flow", STATUS),
    Route("GET", "/staff/reports/<name>/download/<fmt>", lambda s: "/staff/reports/exit-feedback/download/xlsx", STATUS),
    Route("POST", "/staff/reports/cost-benefit/savings/<outcome>", lambda s: "/staff/reports/cost-benefit/savings/neet",
          UNIT_SAVINGS, lambda s, role: {"amount": "90000", "source": "Local costing"}),
    Route("GET", "/staff/partners", lambda s: "/staff/partners", PARTNERS),
    Route("GET", "/staff/partners/new", lambda s: "/staff/partners/new", PARTNERS),
    Route("POST", "/staff/partners/new", lambda s: "/staff/partners/new", PARTNERS,
          lambda s, role: {"name": f"Agency of {role}", "sector": "health", "site_ids": s.world["north"],
                           "active": "yes"}),
    Route("GET", "/staff/partners/<int:agency_id>", lambda s: f"/staff/partners/{s.agency}", PARTNERS),
    Route("GET", "/staff/partners/<int:agency_id>/edit", lambda s: f"/staff/partners/{s.agency}/edit", PARTNERS),
    Route("POST", "/staff/partners/<int:agency_id>/edit", lambda s: f"/staff/partners/{s.agency}/edit", PARTNERS,
          lambda s, role: {"name": f"School renamed by {role}", "sector": "education", "site_ids": s.world["north"],
                           "active": "yes"}),
    Route("GET", "/staff/partners/<int:agency_id>/contacts/new",
          lambda s: f"/staff/partners/{s.agency}/contacts/new", PARTNERS),
    Route("POST", "/staff/partners/<int:agency_id>/contacts/new",
          lambda s: f"/staff/partners/{s.agency}/contacts/new", PARTNERS,
          lambda s, role: {"name": "New Contact", "role": "practitioner", "email": f"{role}@partner.example.org",
                           "consent": "yes", "active": "yes"}),
    Route("GET", "/staff/partners/<int:agency_id>/contacts/<int:contact_id>/edit",
          lambda s: f"/staff/partners/{s.agency}/contacts/{s.partner_contact}/edit", PARTNERS),
    Route("POST", "/staff/partners/<int:agency_id>/contacts/<int:contact_id>/edit",
          lambda s: f"/staff/partners/{s.agency}/contacts/{s.partner_contact}/edit", PARTNERS,
          lambda s, role: {"name": f"Renamed by {role}", "role": "manager", "email": "head@school.example.org",
                           "consent": "no", "active": "yes"}),
    Route("GET", "/staff/partners/import", lambda s: "/staff/partners/import", PARTNERS),
    # Posted with no file: the form is invalid for those who may use it, and nothing is stored.
    Route("POST", "/staff/partners/import", lambda s: "/staff/partners/import", PARTNER_IMPORT_WITHOUT_FILE),
    Route("GET", "/staff/outbox", lambda s: "/staff/outbox", ADMINS),
    Route("GET", "/staff/emails", lambda s: "/staff/emails", ADMINS),
    # The scene sends no email, so the admin is told this one does not exist; tests/mail opens a real one.
    Route("GET", "/staff/emails/<int:message_id>", lambda s: "/staff/emails/1", ADMINS | {"admin": 404}),
    Route("GET", "/staff/audit", lambda s: "/staff/audit", ADMINS),
    Route("GET", "/staff/interviews/<int:response_id>", lambda s: f"/staff/interviews/{s.response}", NORTH_FAMILY),
    Route("GET", "/staff/interviews/<int:response_id>/resume", lambda s: f"/staff/interviews/{s.response}/resume",
          NORTH_FAMILY),
    Route("GET", "/staff/interviews/<int:response_id>/p/<page_id>",
          lambda s: f"/staff/interviews/{s.response}/p/about", NORTH_FAMILY),
    Route("POST", "/staff/interviews/<int:response_id>/p/<page_id>",
          lambda s: f"/staff/interviews/{s.response}/p/about", NORTH_FAMILY,
          lambda s, role: {"has_children": "0", "adults": "2"}),
    Route("GET", "/staff/interviews/<int:response_id>/done", lambda s: f"/staff/interviews/{s.response}/done",
          NORTH_FAMILY),
    # One question per screen, then the check page (which sends back to a question left unanswered).
    Route("GET", "/staff/interviews/<int:response_id>/q/<item_id>",
          lambda s: f"/staff/interviews/{s.response}/q/has_children", NORTH_FAMILY),
    Route("POST", "/staff/interviews/<int:response_id>/q/<item_id>",
          lambda s: f"/staff/interviews/{s.response}/q/has_children", NORTH_FAMILY,
          lambda s, role: {"has_children": "0"}),
    Route("GET", "/staff/interviews/<int:response_id>/check", lambda s: f"/staff/interviews/{s.response}/check",
          NORTH_FAMILY),
    # The interview's language, chosen on its start page.
    Route("POST", "/staff/interviews/<int:response_id>/language",
          lambda s: f"/staff/interviews/{s.response}/language", NORTH_FAMILY, lambda s, role: {"language": "cy"}),
    # API clients: admins only. Posted empty, the form is invalid; revoking a client that does not exist is 404.
    Route("GET", "/staff/api-clients", lambda s: "/staff/api-clients", ADMINS),
    Route("GET", "/staff/api-clients/new", lambda s: "/staff/api-clients/new", ADMINS),
    Route("POST", "/staff/api-clients/new", lambda s: "/staff/api-clients/new", ADMINS | {"admin": INVALID}),
    Route("POST", "/staff/api-clients/<int:client_id>/revoke", lambda s: "/staff/api-clients/987654/revoke",
          ADMINS | {"admin": 404}),
    Route("POST", "/staff/interviews/<int:response_id>/check", lambda s: f"/staff/interviews/{s.response}/check",
          NORTH_FAMILY),
]
#: The staff pages everybody may use: signing in, and its second step (without a right password
#: first, the code page only sends back to sign in: tests/staff/test_two_factor.py).
PUBLIC = {("GET", "/staff/login"), ("POST", "/staff/login"), ("GET", "/staff/login/code"),
          ("POST", "/staff/login/code"),
          # Choosing the staff pages' language: offered on the sign-in page too, it reveals and
          # changes nothing but the session's language (tests/translation/test_staff_welsh_pages.py).
          ("POST", "/staff/language")}


class Setting:
    """The scene's ids plus ``world``'s, for the URL and form builders."""

    def __init__(self, scene, world):
        self.__dict__.update(scene.__dict__)
        self.world = world


def outcome(response) -> str | int:
    if response.status_code == 302 and "/staff/login" in response.location:
        return LOGIN
    if response.status_code in (200, 302):
        return OK
    if response.status_code == 422:
        return INVALID
    return response.status_code


def finished_export(app, world, folder) -> int:
    """A finished export by north's researcher, its zip in ``folder`` (made the app's export folder)."""
    from feedback.exports.models import ExportRun
    from feedback.timeutil import utcnow

    app.config["FEEDBACK_EXPORT_OUT"] = folder
    name = "matrix-20260101-000000-0123456789ab"
    (folder / f"{name}.zip").write_bytes(b"PK\x05\x06" + bytes(18))  # an empty zip
    with app.app_context():
        run = ExportRun(profile_id="matrix", profile_hash="0" * 64, site_codes=["north"],
                        staff_id=world["researcher_north"], state="done", bundle=name, finished_at=utcnow())
        db.session.add(run)
        db.session.commit()
        return run.id


@pytest.mark.parametrize("route", MATRIX, ids=str)
def test_each_role_gets_what_the_access_rules_say(app, world, route, tmp_path):
    setting = Setting(build_scene(app, world), world)
    setting.export_run = finished_export(app, world, tmp_path)
    with app.app_context():
        setting.agency, setting.partner_contact = agency_with_contact([world["north"]])
    clients = {role: client_as(app, role) for role in ROLES}
    tokens = {role: form_token(client) for role, client in clients.items()}
    got = {}
    # Refused roles go first, so the allowed ones' changes cannot hide a refused one's.
    for role in ROLES:
        with app.app_context():  # closed before the request, so the view has a session of its own
            before = snapshot()
            url, data = route.url(setting), route.data(setting, role)
        if route.method == "GET":
            response = clients[role].get(url)
        else:
            response = clients[role].post(url, data={"csrf_token": tokens[role], **data})
        got[role] = outcome(response)
        response.close()  # a download's file, too
        # Signing out ends the account's sessions (its session version moves on): a change, not a refusal.
        if got[role] != OK and route.rule != "/staff/logout":
            with app.app_context():
                assert snapshot() == before, f"{role}: refused {route} changed the database"
    assert got == route.expected


def test_every_staff_route_is_in_the_matrix(app):
    routes = {(method, rule.rule) for rule in app.url_map.iter_rules() if rule.rule.startswith("/staff")
              for method in rule.methods - {"HEAD", "OPTIONS"}}
    covered = {(route.method, route.rule) for route in MATRIX}
    assert routes - PUBLIC - covered == set(), "add the new route to MATRIX with the roles that may use it"
    assert covered - routes == set(), "MATRIX names a route that no longer exists"


@pytest.mark.parametrize("role, url", [
    # South's practitioner, through their own family, naming north's member or pause.
    ("practitioner_south", "/staff/families/{s.south_family}/members/{s.mother}/edit"),
    ("practitioner_south", "/staff/families/{s.south_family}/pauses/{s.pause}/lift"),
    # North's practitioner, through their own family, naming south's member or pause.
    ("practitioner_north", "/staff/families/{s.family}/members/{s.south_member}/edit"),
    ("practitioner_north", "/staff/families/{s.family}/members/{s.south_member}/consent"),
    ("practitioner_north", "/staff/families/{s.family}/pauses/{s.south_pause}/lift"),
    # Even an admin cannot reach one family's records through another family's address.
    ("admin", "/staff/families/{s.south_family}/members/{s.mother}/edit"),
    ("admin", "/staff/families/{s.south_family}/pauses/{s.pause}/lift"),
])
def test_a_record_named_through_another_familys_address_is_not_found(app, world, role, url):
    scene = build_scene(app, world)
    client = client_as(app, role)
    token = form_token(client)
    url = url.format(s=scene)
    with app.app_context():
        before = snapshot()
    if url.endswith("/edit"):
        assert client.get(url).status_code == 404
    form = {"csrf_token": token, "version": 1, "role": "mother", "language": "en", "channel": "none",
            "purpose": "sms", "party": "self", "given": "no", "text_version": "v1"}
    assert client.post(url, data=form).status_code == 404
    with app.app_context():
        assert snapshot() == before


def test_pausing_a_member_of_another_family_is_refused(app, world):
    scene = build_scene(app, world)
    client = client_as(app, "practitioner_north")
    response = client.post(f"/staff/families/{scene.family}/pause",
                           data={"csrf_token": form_token(client), "member_id": scene.south_member, "reason": "x"})
    assert response.status_code == 422
    with app.app_context():
        from feedback.families.models import ContactPause
        assert db.session.scalar(sa.select(sa.func.count()).select_from(ContactPause)
                                 .filter_by(member_id=scene.south_member)) == 0


def test_a_deactivated_account_is_signed_out_at_its_next_request(app, world):
    from feedback.staff.models import StaffUser

    client = client_as(app, "practitioner_north")
    with app.app_context():
        db.session.get(StaffUser, world["practitioner_north"]).active = False
        db.session.commit()
    response = client.get("/staff/families")
    assert response.status_code == 302 and "/staff/login" in response.location
