"""Throttling of the doors strangers knock on: login, registration, mail re-sends, the operator
request, office login.

A stranger's failures must never lock the owner out, yet one account must not be guessable
from many addresses. So each door counts three ways:
- per address (every account tried from it), for the short window and the day;
- per account number (or office e-mail) AND address: the short window a guesser hits, which
  the owner at another address never shares;
- per account number over the day, set generously: only an attack spread over many addresses
  reaches it, and it bounds how many guesses one account can get per day.
Login doors and registration codes count failures only (wrong passwords and codes); doors that
send a letter count every request. The counts live in RATELIMIT_STORAGE_URI: in-process memory
by default (each worker counts on its own, a restart forgets), a redis:// URL in production.
"""
import math
import time

from flask import current_app, request

from extensions import limiter
from models import normalize_account

# Flask-Limiter notation, several limits separated by ";"; override in data/config.py or
# DOMKOM_* env.
LIMITS = {
    "RATELIMIT_LOGIN_PER_IP": "30 per 15 minutes;200 per day",
    "RATELIMIT_LOGIN_PER_ACCOUNT_AND_IP": "10 per 15 minutes;30 per day",
    "RATELIMIT_LOGIN_PER_ACCOUNT": "300 per day",
    "RATELIMIT_REGISTER_PER_IP": "20 per hour;100 per day",
    "RATELIMIT_REGISTER_PER_ACCOUNT_AND_IP": "5 per hour;20 per day",
    "RATELIMIT_REGISTER_PER_ACCOUNT": "100 per day",
    "RATELIMIT_MAIL_PER_IP": "10 per hour;50 per day",
    "RATELIMIT_MAIL_PER_ACCOUNT_AND_IP": "3 per hour;6 per day",
    "RATELIMIT_MAIL_PER_ACCOUNT": "20 per day",
    "RATELIMIT_OPERATOR_PER_IP": "5 per hour;20 per day",
    "RATELIMIT_OPERATOR_PER_ACCOUNT_AND_IP": "2 per hour;4 per day",
    "RATELIMIT_OPERATOR_PER_ACCOUNT": "10 per day",
    "RATELIMIT_OFFICE_LOGIN_PER_IP": "30 per 15 minutes;200 per day",
    "RATELIMIT_OFFICE_LOGIN_PER_EMAIL_AND_IP": "10 per 15 minutes;30 per day",
    "RATELIMIT_OFFICE_LOGIN_PER_EMAIL": "300 per day",
}


def init_app(app):
    for key, value in LIMITS.items():
        app.config.setdefault(key, value)


def in_process(uri):
    """True when the counters live inside each worker: memory:// (the default)."""
    return (uri or "memory://").startswith("memory://")


def client_key():
    return f"ip:{request.remote_addr or ''}"


def account_key():
    """The account number as the forms normalise it, so 'л/с 100 001' counts as '100001'."""
    number = normalize_account(request.form.get("account", ""))[:40]
    return f"account:{number}" if number else client_key()


def email_key():
    email = " ".join((request.form.get("email") or "").split()).lower()[:254]
    return f"email:{email}" if email else client_key()


def and_client(name_key):
    def key():
        return f"{name_key()}|{client_key()}"
    return key


def failed(response):
    """Wrong passwords and wrong registration codes: what a guesser produces. A form sent
    without the consent ticked (400) is a slip, not a guess, and is not counted."""
    return response.status_code in (401, 403)


def _limit(setting, key, counts_only_failures):
    return limiter.limit(lambda: current_app.config[setting], key_func=key, methods=["POST"],
                         deduct_when=failed if counts_only_failures else None)


def _door(door, name, name_key, failures_only, ip_failures_only=None):
    """The three counts of a door: RATELIMIT_<door>_PER_IP, _PER_<name>_AND_IP, _PER_<name>."""
    ip_failures_only = failures_only if ip_failures_only is None else ip_failures_only

    def decorate(view):
        view = _limit(f"RATELIMIT_{door}_PER_{name}", name_key, failures_only)(view)
        view = _limit(f"RATELIMIT_{door}_PER_{name}_AND_IP", and_client(name_key),
                      failures_only)(view)
        return _limit(f"RATELIMIT_{door}_PER_IP", client_key, ip_failures_only)(view)
    return decorate


# Login doors count failed attempts only: a resident who logs in daily is never throttled.
login_limits = _door("LOGIN", "ACCOUNT", account_key, True)
office_login_limits = _door("OFFICE_LOGIN", "EMAIL", email_key, True)
# Every registration try per address (the outcome tells whether a number exists), wrong
# codes and e-mails per number.
register_limits = _door("REGISTER", "ACCOUNT", account_key, True, ip_failures_only=False)
# Each of these sends an e-mail, so every request counts.
mail_limits = _door("MAIL", "ACCOUNT", account_key, False)
operator_limits = _door("OPERATOR", "ACCOUNT", account_key, False)


def retry_minutes():
    """Whole minutes until the breached limit lets the client in again (at least one)."""
    breached = limiter.current_limit
    if breached is None:
        return 1
    # reset_at is rounded up to the next whole second; do not let that add a minute
    return max(1, math.ceil((breached.reset_at - 1 - time.time()) / 60))
