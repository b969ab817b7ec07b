"""The receipt PDF, laid out after the ЕПД (приказ Минстроя 43/пр), and its payment QR code
per ГОСТ Р 56042-2014. Everything here is printed in Russian: it is a Russian legal form."""
from functools import lru_cache
from io import BytesIO

import fontpkg_pt_sans

from formats import balance_side, format_money, format_period
from meter_models import METER_KIND_TABLE
from speedups_pdf import qr_with_mask

FONT_DIR = fontpkg_pt_sans.ROOT / "files"
FONT = "PTSans"
# The requisites a bank app needs; without any of them there is no payment QR code.
REQUISITES = ("recipient", "bank_name", "bic", "settlement_account", "corr_account", "inn")
# Maximum lengths of ГОСТ Р 56042-2014's fields (banks reject longer values).
QR_LIMITS = {"Name": 160, "BankName": 45, "Purpose": 210}
METER_KINDS_RU = {kind: row.receipt_name for kind, row in METER_KIND_TABLE.items()}
ZONE_NAMES = {1: ("",), 2: ("день", "ночь"), 3: ("пик", "полупик", "ночь")}


def missing_requisites(hoa):
    """Names of the HOA's requisites the QR code needs but the HOA has not filled in."""
    return [name for name in REQUISITES if not (getattr(hoa, name) or "").strip()]


def period_name(period):
    """date(2026, 3, 1) -> 'март 2026'."""
    return format_period(period, locale="ru")


def full_address(account):
    return ", ".join(part for part in (account.address,
                                       f"кв. {account.apartment}" if account.apartment else "")
                     if part)


def qr_value(text):
    """A value fit for the QR payload: no separator `|`, no line breaks, single spaces."""
    return " ".join(str(text or "").replace("|", " ").split())


def qr_fields(statement):
    """The (key, value) pairs of the payment QR code, or None when requisites are missing."""
    account, hoa, period = statement.account, statement.account.hoa, statement.period
    if missing_requisites(hoa):
        return None
    owner = qr_value(account.owner)
    fields = [
        ("Name", hoa.recipient), ("PersonalAcc", hoa.settlement_account),
        ("BankName", hoa.bank_name), ("BIC", hoa.bic), ("CorrespAcc", hoa.corr_account),
        ("PayeeINN", hoa.inn), ("KPP", hoa.kpp), ("PersAcc", account.number),
        ("LastName", owner.split(" ")[0] if owner else ""),
        ("PayerAddress", full_address(account)),
        ("Purpose", f"Оплата ЖКУ за {period_name(period)}, л/с {account.number}"),
        ("PaymPeriod", f"{period:%m%Y}"),
    ]
    if statement.to_pay_now > 0:
        fields.append(("Sum", str(int((statement.to_pay_now * 100).to_integral_value()))))
    cleaned = [(key, qr_value(value)[:QR_LIMITS.get(key, 1000)]) for key, value in fields]
    return [(key, value) for key, value in cleaned if value]


def qr_payload(statement):
    """'ST00012|Name=…|…|Sum=<kopecks>' (ST0001 format, 2 = UTF-8), or None."""
    fields = qr_fields(statement)
    if fields is None:
        return None
    return "ST00012|" + "|".join(f"{key}={value}" for key, value in fields)


def make_qr(payload, mask=None):
    import segno  # lazily: only the QR code and receipt pages need it

    # boost_error=False: the standard asks for level M, not whatever fits.
    return segno.make(payload, error="m", boost_error=False, micro=False, encoding="utf-8",
                      mask=mask)


@lru_cache(maxsize=256)
def qr_code(payload):
    """One resident's code, shared by the page's SVG and the PDF of the same month."""
    return make_qr(payload)


def qr_svg(payload):
    out = BytesIO()
    qr_code(payload).save(out, kind="svg", scale=4, border=4, xmldecl=False,
                          title="QR", dark="#000", light="#fff")
    return out.getvalue()


class BatchQr:
    """Codes for a whole house. Choosing a mask is most of a code's cost; the payloads of one
    house differ in a few characters, so the mask chosen for the first code is reused, and
    with it known the code is built by speedups_pdf.qr_with_mask."""

    def __init__(self):
        self.mask = None

    def __call__(self, payload):
        if self.mask is not None:
            return qr_with_mask(payload, self.mask)
        qr = make_qr(payload)
        self.mask = qr.mask
        return qr


# PT Sans has the rouble sign (U+20BD), so the PDF shows amounts exactly as the pages do.
money = format_money


BALANCE_WORDS = {"debt": "долг", "advance": "аванс"}


def balance_text(value):
    side, amount = balance_side(value)
    return f"{BALANCE_WORDS[side]} {money(amount)}" if side else money(amount)


