"""Passwords: the ones Domkom makes, how they are hashed and checked, and what residents' and
accountants' logins share (models.Resident, models.Accountant)."""
import secrets

from flask import current_app, has_app_context
from werkzeug.security import check_password_hash, generate_password_hash

# scrypt with N=2^13, r=8, p=4 instead of werkzeug's default N=2^15, r=8, p=1: the same work per
# guess (N*r*p) and still memory-hard, but a check needs 8 MB of working memory instead of 32 MB.
# A web worker keeps a check's memory for its later pages: with 16 MB (N=2^14, p=2) a worker
# peaked at 76-78 MB on SQLite and 84-85 on PostgreSQL, with 8 MB at 69-71 and 75-76
# (make bench, bench/results.md). OWASP's table pairs 8 MB with p=10: 2.5 times this work.
# The parameters are stored in each hash: hashes made with others keep verifying and are made
# again at the next login.
PASSWORD_METHOD = "scrypt:8192:8:4"
# An app under TESTING hashes with 1/128 of the work: the suite sets and checks passwords about a
# thousand times, and 70 ms each would be half its running time. A test makes sure that an
# app without TESTING hashes with PASSWORD_METHOD.
TESTING_PASSWORD_METHOD = "scrypt:256:8:1"


def password_method():
    return TESTING_PASSWORD_METHOD if has_app_context() and current_app.testing \
        else PASSWORD_METHOD


def hash_password(password):
    return generate_password_hash(password, method=password_method())


# Letters and digits that cannot be mistaken for one another when copied from an e-mail.
PASSWORD_ALPHABET = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def generate_password(length=10):
    return "".join(secrets.choice(PASSWORD_ALPHABET) for _ in range(length))


class LoginMixin:
    """Password and session helpers shared by residents and accountants."""

    def set_password(self, password):
        self.password_hash = hash_password(password)

    def check_password(self, password):
        return bool(self.password_hash) and check_password_hash(self.password_hash, password)

    def log_in_with(self, password):
        """Whether `password` is this person's; a right one made with other hash parameters
        than today's is hashed again and saved, so old hashes do not stay weaker or bigger."""
        if not self.check_password(password):
            return False
        if self.password_hash.split("$", 1)[0] != password_method():
            self.password_hash = hash_password(password)
            type(self).update(password_hash=self.password_hash).where(
                type(self).id == self.id).execute()
        return True

    def end_other_sessions(self):
        """Rotate the session salt: every cookie carrying the old one stops working."""
        self.session_salt = secrets.token_hex(8)

    # Flask-Login protocol
    is_authenticated = True
    is_anonymous = False

    def get_id(self):
        return f"{self.login_kind}:{self.id}:{self.session_salt}"
