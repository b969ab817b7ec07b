"""Static files come under addresses naming their version, and browsers keep them a year."""
import hashlib
import re
import shutil

from flask import url_for

from helpers import ROOT
from testdb import make_app

ASSET = re.compile(r'(?:href|src)="(/(?:static|bootstrap/static)/[^"?]+)\?v=([0-9a-f]+)"')
YEAR = "max-age=31536000"


def assets(client, path="/login"):
    return ASSET.findall(client.get(path).get_data(as_text=True))


def file_of(app, path):
    if path.startswith("/bootstrap/static/"):
        return app.blueprints["bootstrap"].static_folder + path[len("/bootstrap/static"):]
    return app.static_folder + path[len("/static"):]


def test_every_asset_of_a_page_names_the_hash_of_its_bytes(demo, client):
    found = dict(assets(client))
    assert {"/static/domkom.css", "/bootstrap/static/css/bootstrap.min.css",
            "/bootstrap/static/js/bootstrap.min.js", "/static/favicon.ico"} <= set(found)
    for path, version in found.items():
        with open(file_of(demo, path), "rb") as f:
            assert version == hashlib.sha256(f.read()).hexdigest()[:12], path


def test_a_versioned_file_is_kept_a_year_also_for_a_logged_in_resident(logged_in, client):
    for path, version in assets(client, "/cabinet"):
        r = client.get(f"{path}?v={version}")
        assert r.status_code == 200, path
        control = r.headers["Cache-Control"]
        assert YEAR in control and "immutable" in control and "public" in control, (path, control)
        assert "no-store" not in control and "no-cache" not in control, (path, control)
        assert "Set-Cookie" not in r.headers, path  # a file never touches the session
    # the page itself stays out of every cache
    assert client.get("/cabinet").headers["Cache-Control"] == "no-store"


def test_an_address_without_a_version_is_asked_again_each_time(demo, client):
    r = client.get("/static/domkom.css")
    assert r.status_code == 200 and "no-cache" in r.headers["Cache-Control"]
    assert YEAR not in r.headers["Cache-Control"]


def test_a_changed_file_gets_a_new_address(tmp_path):
    folder = tmp_path / "static"
    shutil.copytree(ROOT / "static", folder)
    app = make_app(tmp_path)
    app.static_folder = str(folder)
    client = app.test_client()
    before = dict(assets(client))["/static/domkom.css"]
    with open(folder / "domkom.css", "a") as f:
        f.write("\n.changed { color: red; }\n")
    after = dict(assets(client))["/static/domkom.css"]
    assert after != before
    assert after == hashlib.sha256((folder / "domkom.css").read_bytes()).hexdigest()[:12]
    assert ".changed" in client.get(f"/static/domkom.css?v={after}").get_data(as_text=True)


def test_a_missing_file_keeps_its_plain_address_and_answers_404(demo):
    with demo.test_request_context():
        assert url_for("static", filename="no-such.css") == "/static/no-such.css"
    assert demo.test_client().get("/static/no-such.css").status_code == 404
