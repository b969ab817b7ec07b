"""An HOA's settings checked before they are saved: the payment requisites (ИНН, КПП, БИК, bank
accounts: ASCII digits, lengths and control sums) and its account-number prefixes.

The QR code on a receipt carries the requisites to the resident's bank app, so a typo must be
caught here, not by the bank after the money has left.
"""
import re

from flask_babel import gettext as _

from models import Hoa

DIGITS = {n: re.compile(f"[0-9]{{{n}}}") for n in (9, 10, 12, 20)}
INN_WEIGHTS = {10: [(2, 4, 10, 3, 5, 9, 4, 6, 8)],
               12: [(7, 2, 4, 10, 3, 5, 9, 4, 6, 8), (3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8)]}
ACCOUNT_WEIGHTS = (7, 1, 3) * 8


def ascii_digits(text, count):
    """Only 0–9: str.isdigit() also takes '²' and full-width '０'."""
    return bool(DIGITS[count].fullmatch(text or ""))


def inn_ok(inn):
    """An INN of 10 digits (an organisation) or 12 (a person) with its check digits."""
    if not any(ascii_digits(inn, n) for n in INN_WEIGHTS):
        return False
    digits = [int(c) for c in inn]
    for weights in INN_WEIGHTS[len(inn)]:
        check = sum(w * d for w, d in zip(weights, digits)) % 11 % 10
        if digits[len(weights)] != check:
            return False
    return True


def account_key_ok(bic, account, correspondent=False):
    """The Bank of Russia's control key of a 20-digit account, checked against the BIC:
    the last three BIC digits for a settlement account, '0' and BIC digits 5–6 for the
    bank's correspondent account."""
    if not (ascii_digits(bic, 9) and ascii_digits(account, 20)):
        return False
    prefix = "0" + bic[4:6] if correspondent else bic[-3:]
    return sum(w * int(c) for w, c in zip(ACCOUNT_WEIGHTS, prefix + account)) % 10 == 0


def prefix_problem(hoa, prefixes):
    """Prefixes must not be another HOA's and must still cover every loaded account."""
    for other in Hoa.select().where(Hoa.id != hoa.id):
        for mine in prefixes:
            for theirs in other.prefix_list:
                if mine.startswith(theirs) or theirs.startswith(mine):
                    return _("The prefix %(prefix)s overlaps the prefix of another HOA.",
                             prefix=mine)
    for account in hoa.accounts:
        if not any(account.number.startswith(p) for p in prefixes):
            return _("Account %(number)s would match none of the prefixes.",
                     number=account.number)
    return None
