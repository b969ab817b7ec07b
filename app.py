"""Domkom: the application factory, configuration, blueprints and command-line set-up."""
import logging
import os
import secrets
from pathlib import Path

import optional_drivers

optional_drivers.hide()  # while peewee and huey are imported: see optional_drivers.py
import click  # noqa: E402 (here on purpose: the imports below come after hide())
from flask import Flask, render_template, session
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import SecurityError
from werkzeug.routing import IntegerConverter

import audit
import auth
import backup
import cabinet
import commands
import demo
import documents
import formats
import jobs
import letters
import mailqueue
import meters
from meetings import office as meetings_office, office_ballots as meetings_ballots
from meetings import office_register as meetings_register, vote as meetings_vote
import migrate
import office
import office_readings
import office_receipts
import pages
import polls.cabinet
import polls.office
import security
import static_files
import statements
import throttle
from tickets import office as tickets_office, resident as tickets_resident
from database import close_all_connections, db, open_database
from extensions import babel, bootstrap, csrf, limiter, login_manager, mail
from migrate import create_tables
from meter_models import Meter
from models import Accountant, Hoa, Resident
from periods import today
from readings import seed_demo_readings

optional_drivers.shown()

ROOT = Path(__file__).resolve().parent
LANGUAGES = ("ru", "en")

# The office menu of one HOA: (endpoint taking hoa_id, label).
OFFICE_MENU = [
    ("office.imports", _l("Load data")),
    ("office.registrations", _l("Registrations")),
    ("office_readings.index", _l("Meter readings")),
    ("office_receipts.index", _l("Receipts")),
    ("office.notices", _l("Notices")),
    ("office_polls.index", _l("Polls")),
    ("office_documents.index", _l("Documents")),
    ("office_tickets.index", _l("Requests")),
    ("office_meetings.index", _l("Meetings")),
    ("office.settings", _l("HOA settings")),
    ("office_audit.audit", _l("Security log")),
]

DEFAULTS = {
    "DATABASE": str(ROOT / "data" / "domkom.db"),
    "MAIL_OUTBOX": str(ROOT / "data" / "outbox"),
    "MAIL_SERVER": "",
    "MAIL_PORT": 25,
    "MAIL_USE_TLS": False,
    "MAIL_USE_SSL": False,
    "MAIL_DEFAULT_SENDER": "Domkom <noreply@domkom.local>",
    "OPERATOR_EMAIL": "support@domkom.local",
    # the operator of personal data the privacy policy names (152-ФЗ, ст. 18.1)
    "OPERATOR_NAME": "",
    "OPERATOR_ADDRESS": "",
    "OPERATOR_PHONE": "",
    "BASE_URL": "http://127.0.0.1:5000",
    "TRUSTED_HOSTS": [],  # host names the site answers to besides BASE_URL's (security.py)
    "ACTIVATION_MAX_AGE": 48 * 3600,
    "RESET_MAX_AGE": 24 * 3600,
    "EMAIL_CHANGE_MAX_AGE": 24 * 3600,
    "PRIVACY_POLICY_VERSION": "2026-11",
    "IMPORT_MAX_BYTES": 20 * 1024 * 1024,
    "IMPORT_PENDING_PER_ACCOUNTANT": 2,  # uploads waiting for confirmation, per accountant
    "IMPORT_PENDING_MAX_BYTES": 512 * 1024 * 1024,  # and all of them together
    "IMPORT_CONCURRENT": 2,  # loads checked at once by all workers; the rest wait a minute
    "IMPORT_LEASE": 900,  # seconds a place for checking, or an import job, is held at most
    "IMPORT_PAUSE_BEFORE_COMMIT": 0,  # seconds; tests kill the worker in this pause
    "IMPORT_MAX_CELLS": 500_000,  # cells of one file (~40 000 rows of charges): bounds memory
    "MAX_CONTENT_LENGTH": 64 * 1024 * 1024,
    "BABEL_DEFAULT_LOCALE": "ru",
    "BABEL_DEFAULT_TIMEZONE": "Europe/Moscow",
    "BOOTSTRAP_SERVE_LOCAL": True,
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "REMEMBER_COOKIE_HTTPONLY": True,
    "REMEMBER_COOKIE_SAMESITE": "Lax",
    "HTTPS": False,
    "RATELIMIT_STORAGE_URI": "memory://",
    "RATELIMIT_HEADERS_ENABLED": True,
    # behind nginx: how many proxies in front set X-Forwarded-For/-Proto/-Host (0: trust none)
    "PROXY_COUNT": 0,
    "QUEUE_URL": "",  # the job queue: "" = data/queue.db beside the database, or redis://…
    "QUEUE_IMMEDIATE": False,  # run jobs inside the request instead of the worker (tests)
    "MAIL_LEASE": 600,  # seconds one attempt may hold a letter before another may send it
    "MAIL_RETRY_FLOOR": 5,  # seconds a failed letter waits at least, even when a retry is due
    "BACKUP_DIR": "",  # the nightly backup's folder: "" = data/backups beside the database
    "BACKUP_KEEP": 14,  # nightly backups kept; 0 = no nightly backup
    "RECEIPTS_PAGES_PER_FILE": 1000,  # the house's receipts come in files of at most this
    "RECEIPTS_PROCESSES": 2,  # render processes a printing of the house's receipts uses
    "RECEIPTS_SLICES_PER_PROCESS": 10,  # then the render processes are new: memory goes back
    "RECEIPTS_LEASE": 120,  # seconds a printing's silent run keeps it from other workers
    "RECEIPTS_RECHECK_INLINE": 5000,  # accounts; a bigger house is checked for changes by the worker
    # a meeting's ballots are drawn in the request up to this many register entries, by the
    # worker above (bench/bench_meetings.py: 3 ms a ballot, 16 ms on a loaded machine)
    "MEETING_BALLOTS_IN_REQUEST": 500,
}


def create_app(test_config=None):
    """Create and configure a Domkom application."""
    app = Flask(__name__)
    app.config.from_mapping(DEFAULTS)
    app.config.from_pyfile(str(ROOT / "data" / "config.py"), silent=True)
    app.config.from_prefixed_env("DOMKOM")
    if test_config:
        app.config.update(test_config)
    if app.config["HTTPS"]:
        app.config.update(SESSION_COOKIE_SECURE=True, REMEMBER_COOKIE_SECURE=True,
                          PREFERRED_URL_SCHEME="https")
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = load_or_create_secret(Path(app.config["DATABASE"]).parent
                                                         if "://" not in app.config["DATABASE"]
                                                         else ROOT / "data")
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    throttle.init_app(app)
    jobs.init_app(app)
    open_database(app.config["DATABASE"])
    with app.app_context():
        migrate.upgrade()
    close_all_connections()  # the upgrade's connection must not reach gunicorn's workers
    init_extensions(app)
    static_files.init_app(app)
    security.init_app(app)
    register_blueprints(app)
    register_errors(app)
    register_commands(app)

    @app.teardown_appcontext
    def close_db(exc):
        if not db.is_closed():
            db.close()

    return app


def load_or_create_secret(folder):
    """Read the secret key from data/, generating it once on first start."""
    path = Path(folder) / "secret_key"
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(key)
    return key


def select_locale():
    lang = session.get("lang")
    return lang if lang in LANGUAGES else "ru"


def init_extensions(app):
    babel.init_app(app, locale_selector=select_locale)
    bootstrap.init_app(app)
    csrf.init_app(app)
    mail.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please log in to open this page.")
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"
    formats.install(app, languages=LANGUAGES, office_menu=OFFICE_MENU,
                    current_locale=select_locale)


@login_manager.user_loader
def load_user(user_id):
    """Residents are 'r:<id>:<salt>', accountants 'a:<id>:<salt>'; a rotated salt logs out."""
    try:
        kind, pk, salt = user_id.split(":")
        if kind == "r":
            user = Resident.for_session(int(pk))
        elif kind == "a":
            user = Accountant.get_or_none(Accountant.id == int(pk))
        else:
            return None
    except ValueError:
        return None
    if user is None or not secrets.compare_digest(user.session_salt, salt):
        return None
    return user


class IdConverter(IntegerConverter):
    """`<int:…>` ids stop at the databases' 64-bit integers: a longer one is a 404, not an
    overflow error in the query."""

    def __init__(self, map, fixed_digits=0, min=None, max=2**63 - 1, signed=False):
        super().__init__(map, fixed_digits, min, max, signed)


def register_blueprints(app):
    app.url_map.converters["int"] = IdConverter
    app.register_blueprint(pages.bp)
    app.register_blueprint(auth.bp)
    app.register_blueprint(cabinet.bp)
    app.register_blueprint(office.bp)
    app.register_blueprint(commands.bp)
    app.register_blueprint(statements.bp)
    app.register_blueprint(office_receipts.bp)
    app.register_blueprint(meters.bp)
    app.register_blueprint(office_readings.bp)
    app.register_blueprint(audit.bp)
    app.register_blueprint(mailqueue.bp)
    app.register_blueprint(migrate.bp)
    app.register_blueprint(backup.bp)
    app.register_blueprint(jobs.bp)
    app.register_blueprint(polls.office.bp)
    app.register_blueprint(polls.cabinet.bp)
    app.register_blueprint(documents.bp)
    app.register_blueprint(documents.office_bp)
    app.register_blueprint(documents.public_bp)
    app.register_blueprint(letters.bp)
    app.register_blueprint(tickets_resident.bp)
    app.register_blueprint(tickets_office.bp)
    for meetings_bp in (meetings_office.bp, meetings_register.bp, meetings_ballots.bp,
                        meetings_vote.bp):
        app.register_blueprint(meetings_bp)


def register_errors(app):
    @app.errorhandler(404)
    def not_found(e):
        return render_template("errors/404.html"), 404

    @app.errorhandler(405)
    def not_allowed(e):
        return render_template("errors/404.html"), 405

    @app.errorhandler(CSRFError)
    def csrf_failed(e):
        return render_template("errors/400.html", reason="csrf"), 400

    @app.errorhandler(SecurityError)
    def unknown_host(e):
        # no page of ours: without a trusted host Flask cannot build a single link
        return str(_l("This site does not answer at this address.")), 400, \
            {"Content-Type": "text/plain; charset=utf-8"}

    @app.errorhandler(400)
    def bad_request(e):
        return render_template("errors/400.html"), 400

    @app.errorhandler(413)
    def too_large(e):
        mb = 1024 * 1024
        return render_template("errors/413.html", total_mb=app.config["MAX_CONTENT_LENGTH"] // mb,
                               per_file_mb=app.config["IMPORT_MAX_BYTES"] // mb), 413

    @app.errorhandler(429)
    def too_many(e):
        minutes = throttle.retry_minutes()
        return render_template("errors/429.html", minutes=minutes), 429, \
            {"Retry-After": str(minutes * 60)}

    @app.errorhandler(500)
    def server_error(e):
        return render_template("errors/500.html"), 500


def register_commands(app):
    @app.cli.command("init-db")
    def init_db_command():
        """Create the database tables (safe to run again)."""
        create_tables()
        click.echo(f"Database ready: {app.config['DATABASE']}")

    @app.cli.command("demo")
    @click.option("--if-empty", is_flag=True, help="Only when no HOA exists yet.")
    def demo_command(if_empty):
        """Load the demo HOAs and accounts."""
        create_tables()
        if if_empty and Hoa.select().exists():
            click.echo("Demo data already present.")
            return
        demo.load(echo=click.echo)
        if Meter.select().exists():
            click.echo(f"Demo readings: {seed_demo_readings(day=today())}")
