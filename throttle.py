"""Throttling of the doors strangers knock on: login, registration, mail re-sends, office login.

Each door has two limits, one per client address and one per account number (or office
e-mail), so that neither many numbers from one address nor one number from many addresses
can be tried quickly. The counts live in RATELIMIT_STORAGE_URI: in-process memory by default,
a redis:// URL when several workers or hosts serve the site.
"""
import math
import time

from flask import current_app, request

from extensions import limiter
from forms import normalize_account

# "N per period" limits (Flask-Limiter notation); override in data/config.py or DOMKOM_* env.
LIMITS = {
    "RATELIMIT_LOGIN_PER_IP": "30 per 15 minutes",
    "RATELIMIT_LOGIN_PER_ACCOUNT": "10 per 15 minutes",
    "RATELIMIT_REGISTER_PER_IP": "20 per hour",
    "RATELIMIT_REGISTER_PER_ACCOUNT": "5 per hour",
    "RATELIMIT_MAIL_PER_IP": "10 per hour",
    "RATELIMIT_MAIL_PER_ACCOUNT": "3 per hour",
    "RATELIMIT_OFFICE_LOGIN_PER_IP": "30 per 15 minutes",
    "RATELIMIT_OFFICE_LOGIN_PER_EMAIL": "10 per 15 minutes",
}


def init_app(app):
    for key, value in LIMITS.items():
        app.config.setdefault(key, value)


def client_key():
    return f"ip:{request.remote_addr or ''}"


def account_key():
    """The account number as the forms normalise it, so 'л/с 100 001' counts as '100001'."""
    number = normalize_account(request.form.get("account", ""))[:40]
    return f"account:{number}" if number else client_key()


def email_key():
    email = " ".join((request.form.get("email") or "").split()).lower()[:254]
    return f"email:{email}" if email else client_key()


def failed(response):
    """Wrong passwords and wrong registration codes: what a guesser produces. A form sent
    without the consent ticked (400) is a slip, not a guess, and is not counted."""
    return response.status_code in (401, 403)


def _limit(setting, key, counts_only_failures):
    return limiter.limit(lambda: current_app.config[setting], key_func=key, methods=["POST"],
                         deduct_when=failed if counts_only_failures else None)


def _door(per_ip, per_name, name_key, counts_only_failures):
    def decorate(view):
        view = _limit(per_name, name_key, counts_only_failures)(view)
        return _limit(per_ip, client_key, counts_only_failures)(view)
    return decorate


# Login doors count failed attempts only: a resident who logs in daily is never throttled.
login_limits = _door("RATELIMIT_LOGIN_PER_IP", "RATELIMIT_LOGIN_PER_ACCOUNT", account_key, True)
office_login_limits = _door("RATELIMIT_OFFICE_LOGIN_PER_IP", "RATELIMIT_OFFICE_LOGIN_PER_EMAIL",
                            email_key, True)


def register_limits(view):
    """Every try per address (the outcome tells whether a number exists), failures per number."""
    view = _limit("RATELIMIT_REGISTER_PER_ACCOUNT", account_key, True)(view)
    return _limit("RATELIMIT_REGISTER_PER_IP", client_key, False)(view)


# Each of these sends an e-mail, so every request counts.
mail_limits = _door("RATELIMIT_MAIL_PER_IP", "RATELIMIT_MAIL_PER_ACCOUNT", account_key, False)


def retry_minutes():
    """Whole minutes until the breached limit lets the client in again (at least one)."""
    breached = limiter.current_limit
    if breached is None:
        return 1
    # reset_at is rounded up to the next whole second; do not let that add a minute
    return max(1, math.ceil((breached.reset_at - 1 - time.time()) / 60))
