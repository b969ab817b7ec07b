"""Protections applied to every request: office idle timeout, security headers."""
import time

from werkzeug.middleware.proxy_fix import ProxyFix

from flask import current_app, flash, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, logout_user

OFFICE_SEEN = "office_seen"

# No inline scripts or styles anywhere: scripts and CSS come from our own /static only.
CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "img-src 'self' data:",
    "frame-ancestors 'none'",
    "form-action 'self'",
    "base-uri 'none'",
    "object-src 'none'",
])


def init_app(app):
    app.config.setdefault("OFFICE_IDLE_MINUTES", 30)
    count = proxy_count(app.config)
    if count:  # the throttle and the security log need the visitor's real address
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count, x_host=count)
    app.before_request(end_idle_office_session)
    app.after_request(add_security_headers)


def proxy_count(config):
    """PROXY_COUNT, the proxies in front; PROXY_FIX=1, the older switch, still means one."""
    return int(config.get("PROXY_COUNT") or (1 if config.get("PROXY_FIX") else 0))


def add_security_headers(response):
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    # links carry activation and reset tokens: never send them to another site
    headers.setdefault("Referrer-Policy", "no-referrer")
    if current_app.config["HTTPS"]:
        headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    if current_user and current_user.is_authenticated and request.endpoint != "static":
        headers["Cache-Control"] = "no-store"  # a shared computer must not keep someone's bill
    return response


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
