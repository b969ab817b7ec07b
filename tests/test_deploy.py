"""The deployment files agree with the app: proxy headers, upload limits, gunicorn's entry point."""
import re
import runpy

from app import DEFAULTS, ROOT, create_app
from testdb import fresh_database, make_app
from database import close_all_connections, db
from models import AuditEvent

FORWARDED = {"X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https"}


def failed_login_ip(app):
    client = app.test_client()
    client.post("/login", data={"account": "100001", "password": "wrong-pass-1"},
                headers=FORWARDED, environ_base={"REMOTE_ADDR": "127.0.0.1"})
    with app.app_context():
        return AuditEvent.select().order_by(AuditEvent.id.desc()).get().ip


def test_behind_the_proxy_the_visitors_address_is_recorded(tmp_path):
    app = make_app(tmp_path, PROXY_FIX=True)
    assert failed_login_ip(app) == "203.0.113.7"


def test_the_proxy_count_is_the_switch_and_the_older_proxy_fix_still_works(tmp_path):
    assert failed_login_ip(make_app(tmp_path, PROXY_COUNT=1)) == "203.0.113.7"


def test_without_the_proxy_option_forwarded_headers_are_ignored(app):
    assert failed_login_ip(app) == "127.0.0.1"


def nginx_limits():
    text = (ROOT / "deploy" / "nginx-domkom.conf").read_text()
    return [int(m) * 1024 * 1024 for m in re.findall(r"client_max_body_size (\d+)m;", text)]


def test_nginx_lets_through_what_the_app_accepts_and_no_more():
    per_file, office, requests = nginx_limits()
    assert per_file == DEFAULTS["IMPORT_MAX_BYTES"]
    assert office == DEFAULTS["MAX_CONTENT_LENGTH"]
    assert requests == DEFAULTS["MAX_CONTENT_LENGTH"]  # a request's five photos


def test_gunicorn_configuration_serves_the_app_factory():
    settings = runpy.run_path(str(ROOT / "deploy" / "gunicorn.conf.py"))
    assert settings["wsgi_app"] == "app:create_app()"
    assert settings["bind"].startswith("127.0.0.1:")
    assert settings["workers"] >= 2


def test_the_factory_leaves_no_connection_for_forked_workers(tmp_path):
    """gunicorn forks its workers after create_app(): a connection opened there (the schema
    upgrade) would be shared by every worker, mixing their queries."""
    make_app(tmp_path)
    close_all_connections()
    create_app({"DATABASE": fresh_database(tmp_path), "SECRET_KEY": "x", "TESTING": True})
    assert db.is_closed()
    assert not db.obj._connections and not db.obj._in_use  # the pool holds nothing either


def test_the_too_large_page_names_the_limits_in_force(tmp_path):
    app = make_app(tmp_path, MAX_CONTENT_LENGTH=3 * 1024 * 1024, IMPORT_MAX_BYTES=1024 * 1024)
    client = app.test_client()
    client.post("/lang/ru")
    r = client.post("/login", data=b"x" * (4 * 1024 * 1024),
                    content_type="application/octet-stream")
    assert r.status_code == 413
    assert "3 МБ за одну загрузку, 1 МБ на файл" in r.get_data(as_text=True)


def test_worker_unit_runs_the_apps_worker_command(app):
    unit = (ROOT / "deploy" / "domkom-worker.service").read_text()
    [start] = re.findall(r"^ExecStart=(.+)$", unit, re.MULTILINE)
    assert start.split()[-3:] == ["--app", "app", "worker"]
    assert start.startswith("/srv/domkom/app/.venv/bin/flask ")
    assert "worker" in app.cli.commands
    assert "send-queued" not in (ROOT / "deploy" / "domkom.cron").read_text()
