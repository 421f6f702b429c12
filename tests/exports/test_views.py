"""The researcher's export page: their own sites only, a zip to download, full exports for admins."""
from __future__ import annotations

import io
import zipfile

import pandas as pd
import pytest

from tests.conftest import sign_in
from tests.exports.test_dataset import answered_family
from tests.exports.test_runner import PROFILE
from tests.staff.scene import form_token


@pytest.fixture
def exports_dir(app, tmp_path, monkeypatch):
    folder = tmp_path / "profiles"
    folder.mkdir()
    (folder / "mine.yaml").write_text(PROFILE.format(id="mine", shape="long", free_text="drop", extra=""))
    (folder / "everything.yaml").write_text("id: everything\ntitle: Everything\ninstruments: all\nwaves: all\n"
                                            "shape: long\ndeidentification: {level: full}\nformats: [csv]\n")
    app.config["FEEDBACK_EXPORTS_DIR"] = folder
    app.config["FEEDBACK_EXPORT_OUT"] = tmp_path / "bundles"
    monkeypatch.setenv("FEEDBACK_PSEUDONYM_KEY", "33" * 32)
    return folder


def run(client, profile_id):
    return client.post(f"/staff/exports/{profile_id}/run", data={"csrf_token": form_token(client)})


def test_a_researcher_downloads_a_bundle_of_their_own_sites_only(app, world, exports_dir):
    # Data made in an app context of its own: requests made inside one would share its ``g``
    # (and Flask-WTF's cached CSRF token) across requests.
    with app.app_context():
        answered_family(world, "N-1")
        answered_family(world, "N-2")
        answered_family(world, "S-1", site="south")
    client = app.test_client()
    sign_in(client, "researcher_north@example.org")
    response = run(client, "mine")
    assert response.status_code == 200 and response.mimetype == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    response.close()
    [data] = [name for name in archive.namelist() if name.endswith("family-functioning.csv")]
    frame = pd.read_csv(archive.open(data))
    assert set(frame["site"]) == {"north"} and len(frame) == 4


def test_a_researcher_may_not_run_an_identifiable_export(app, world, exports_dir):
    with app.app_context():
        answered_family(world, "N-1")
    client = app.test_client()
    sign_in(client, "researcher_north@example.org")
    assert "Run and download" in client.get("/staff/exports").get_data(as_text=True)
    response = run(client, "everything")
    assert response.status_code == 302
    assert "only an admin" in client.get("/staff/exports").get_data(as_text=True)
