"""Protections applied to every request: office idle timeout, security headers; how a
login ends or outlives the others."""
import time
from urllib.parse import urlsplit

from werkzeug.middleware.proxy_fix import ProxyFix

from flask import current_app, flash, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user
from flask_login.utils import decode_cookie

from static_files import is_static_request

OFFICE_SEEN = "office_seen"
# names of this machine: a site whose BASE_URL is one of them is a development or test copy
LOOPBACK_HOSTS = ("localhost", "127.0.0.1")

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
    app.config["TRUSTED_HOSTS"] = trusted_hosts(app.config)
    app.before_request(end_idle_office_session)
    app.after_request(add_security_headers)


def trusted_hosts(config):
    """The host names the site answers to (Flask refuses any other Host with a 400): BASE_URL's,
    every loopback name when BASE_URL is one, and the extra names in TRUSTED_HOSTS."""
    extra = config.get("TRUSTED_HOSTS") or []
    if not isinstance(extra, (list, tuple)):  # DOMKOM_TRUSTED_HOSTS="a.example, b.example"
        extra = str(extra).replace(",", " ").split()
    host = urlsplit(config["BASE_URL"]).hostname or ""
    names = [host, *(LOOPBACK_HOSTS if host in LOOPBACK_HOSTS else ()), *extra]
    return list(dict.fromkeys(name for name in names if name))


def proxy_count(config):
    """PROXY_COUNT, the proxies in front; PROXY_FIX=1, the older switch, still means one."""
    return int(config.get("PROXY_COUNT") or (1 if config.get("PROXY_FIX") else 0))


def add_security_headers(response):
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    # links carry activation and reset tokens: never send them to another site; our own pages
    # get the Referer, which Flask-WTF requires of every HTTPS form post (WTF_CSRF_SSL_STRICT)
    headers.setdefault("Referrer-Policy", "same-origin")
    if current_app.config["HTTPS"]:
        headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    if not is_static_request() and current_user and current_user.is_authenticated:
        headers["Cache-Control"] = "no-store"  # a shared computer must not keep someone's bill
    return response


def end_idle_office_session():
    """An accountant's session ends after OFFICE_IDLE_MINUTES without a request."""
    if is_static_request() or not current_user.is_authenticated \
            or current_user.login_kind != "a":
        return None
    idle_limit = current_app.config["OFFICE_IDLE_MINUTES"] * 60
    seen = session.get(OFFICE_SEEN)
    stamp = int(time.time())
    # an office cookie without a stamp is refused too: it could otherwise be replayed forever
    if not isinstance(seen, int) or stamp - seen > idle_limit:
        logout_user()
        session.clear()
        flash(_("You were logged out after %(minutes)s minutes without activity. "
                "Please log in again.", minutes=current_app.config["OFFICE_IDLE_MINUTES"]),
              "info")
        return redirect(url_for("office.login", next=request.full_path
                                if request.method == "GET" else None))
    session[OFFICE_SEEN] = stamp
    return None


def stamp_office_session():
    """Called at office login: the very first cookie already carries the idle clock."""
    session[OFFICE_SEEN] = int(time.time())


def end_session():
    """Log out for good: the cookies of this login, remembered ones and copies, stop working.

    The salt in the session and remember cookies is rotated, so this ends the user's logins on
    other devices too; a copied cookie must never outlive "Log out" on a shared computer."""
    if current_user.is_authenticated:
        user = current_user._get_current_object()
        user.end_other_sessions()
        user.save(only=[type(user).session_salt])
    session.clear()
    logout_user()  # after clear(): its instruction to delete the remember cookie must survive


def keep_only_this_session(user):
    """End every other session of `user` and save it; this one goes on, still remembered on
    this device if it was."""
    remembered = remembered_here(user)
    user.end_other_sessions()
    user.save()
    login_user(user, remember=remembered)
    if user.login_kind == "a":
        stamp_office_session()


def remembered_here(user):
    """Whether this browser holds a valid "remember me" cookie of `user` (not a stale one)."""
    name = current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token")
    cookie = request.cookies.get(name)
    return bool(cookie) and decode_cookie(cookie) == user.get_id()
