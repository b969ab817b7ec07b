"""Registration checks: what registering an account asks for, and whether it was given.

Knowing an account number must not be enough to see the account: numbers are printed on
paper, often sequential, and easy to guess. So registration asks for something only the
account's owner has: the e-mail the accountant loaded for the account or the registration code
printed on its receipt. "none" exists for HOAs that decide otherwise, and says so as a risk.
"""
import secrets

# Hoa.registration_check values; "auto" is what a new HOA gets
AUTO, CODE, EMAIL, NONE = "auto", "code", "email", "none"


def proof_needed(hoa, account):
    """CODE, EMAIL or NONE: what this account asks for under its HOA's check. "auto" asks for
    the strongest the accountant's data allows: the e-mail on file, otherwise the code."""
    mode = hoa.registration_check
    if mode == AUTO:
        return EMAIL if account.email_on_file.strip() else CODE
    return mode if mode in (CODE, EMAIL) else NONE


def code_matches(account, code):
    """Exactly as printed (spaces around it aside); an account without a code matches nothing."""
    given = (code or "").strip().encode()
    return bool(account.registration_code) and secrets.compare_digest(
        given, account.registration_code.encode())


def email_matches(account, email):
    on_file = account.email_on_file.strip().lower()
    return bool(on_file) and (email or "").strip().lower() == on_file


def proof_given(needed, account, code, email):
    if needed == CODE:
        return code_matches(account, code)
    if needed == EMAIL:
        return email_matches(account, email)
    return True


def owner_proven(account, code, email):
    """The code or the e-mail on file: enough to take over a registration someone else
    started and never activated, whatever the HOA's check."""
    return code_matches(account, code) or email_matches(account, email)


def form_asks(needed, modes):
    """(ask for the code, say that the e-mail on file will do) on the registration page. For
    the account of an attempt that failed its check: what its HOA needs of it; before any
    number is known: whatever one of the HOAs (their `modes`) may need."""
    if needed is not None:
        return needed == CODE, needed == EMAIL
    return bool(modes & {AUTO, CODE}), bool(modes & {AUTO, EMAIL})
