"""Protections applied to every request: office idle timeout, security headers."""
import time

from flask import current_app, flash, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, logout_user

OFFICE_SEEN = "office_seen"


def init_app(app):
    app.config.setdefault("OFFICE_IDLE_MINUTES", 30)
    app.before_request(end_idle_office_session)


def end_idle_office_session():
    """An accountant's session ends after OFFICE_IDLE_MINUTES without a request."""
    if request.endpoint == "static" or not current_user.is_authenticated \
            or current_user.login_kind != "a":
        return None
    idle_limit = current_app.config["OFFICE_IDLE_MINUTES"] * 60
    seen = session.get(OFFICE_SEEN)
    stamp = int(time.time())
    if isinstance(seen, int) and stamp - seen > idle_limit:
        logout_user()
        session.clear()
        flash(_("You were logged out after %(minutes)s minutes without activity. "
                "Please log in again.", minutes=current_app.config["OFFICE_IDLE_MINUTES"]),
              "info")
        return redirect(url_for("office.login", next=request.full_path
                                if request.method == "GET" else None))
    session[OFFICE_SEEN] = stamp
    return None
