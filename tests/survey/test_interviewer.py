"""Interviewer mode: staff enter answers read out by telephone; the response records it."""
from conftest import csrf_token
from feedback.extensions import db
from feedback.survey.models import Response


def test_interviewer_pages_need_a_signed_in_member_of_staff(client, make_link):
    response_id, _ = make_link()
    for url in (f"/staff/interviews/{response_id}", f"/staff/interviews/{response_id}/p/about", "/staff/"):
        page = client.get(url)
        assert page.status_code == 302 and "/staff/login" in page.location


def test_a_wrong_password_gets_one_generic_message(client, staff_user):
    form = csrf_token(client.get("/staff/login").get_data(as_text=True))
    for email, password in ((staff_user["email"], "wrong password"), ("nobody@example.org", "whatever")):
        page = client.post("/staff/login", data={"csrf_token": form, "email": email, "password": password})
        assert page.status_code == 401
        assert "The email address or password is not right." in page.get_data(as_text=True)


def test_an_interview_records_mode_and_interviewer(app, signed_in, staff_user, make_link):
    response_id, _ = make_link(label="Case NB-1 · father")
    start = signed_in.get(f"/staff/interviews/{response_id}").get_data(as_text=True)
    assert "Read this aloud" in start and "Case NB-1 · father" in start
    first = signed_in.get(f"/staff/interviews/{response_id}/resume").location
    assert first.endswith(f"/staff/interviews/{response_id}/p/about")
    pages = [("about", {"has_children": "0", "adults": "2"}), ("feelings", {"f1": "2", "f2": "3", "f3": "2"}),
             ("more", {"rating": "5"})]
    for page_id, data in pages:
        url = f"/staff/interviews/{response_id}/p/{page_id}"
        html = signed_in.get(url).get_data(as_text=True)
        assert "Read each question and its answers aloud" in html
        result = signed_in.post(url, data={"csrf_token": csrf_token(html), **data})
        assert result.status_code == 302, result.get_data(as_text=True)
    assert result.location.endswith(f"/staff/interviews/{response_id}/done")
    with app.app_context():
        response = db.session.get(Response, response_id)
        assert response.status == "completed"
        assert response.mode == "interview" and response.interviewer_id == staff_user["id"]
        assert response.scores[0].value == 3.0  # f1 2→3 and f3 2→3 reversed, f2 3


def test_an_instrument_not_offered_by_interview_cannot_be_opened_in_interviewer_mode(app, signed_in, make_link):
    from feedback.publishing.startup import current_catalogue

    with app.app_context():
        web_only = [i for i in current_catalogue() if "interview" not in i.modes]
    if not web_only:
        return
    response_id, _ = make_link(web_only[0].id)
    assert signed_in.get(f"/staff/interviews/{response_id}").status_code == 404


def test_signing_out_needs_a_post_with_csrf(signed_in):
    assert signed_in.get("/staff/logout").status_code == 405
    assert signed_in.post("/staff/logout").status_code == 400  # no CSRF token
    home = signed_in.get("/staff/").get_data(as_text=True)
    out = signed_in.post("/staff/logout", data={"csrf_token": csrf_token(home)})
    assert out.status_code == 302
    assert signed_in.get("/staff/").status_code == 302
