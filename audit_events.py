"""What each security event means, in words: its label and its details, for the office's log
and the operator's `audit` command alike."""
import json
import re
from decimal import Decimal

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext

from formats import format_money, format_number, format_period
from hoa_settings import LABELS as SETTING_LABELS, VALUE_LABELS
from meter_models import METER_KIND_TABLE
from periods import parse_period
from polls import events as poll_events

EVENT_LABELS = {
    "register": _l("Registration of an account"),
    "register_check_failed": _l("Registration refused: code or e-mail does not match"),
    "register_taken_over": _l("An unconfirmed registration gave way to a new one"),
    "activate": _l("Registration activated"),
    "activation_resent": _l("Activation e-mail sent again"),
    "login": _l("Resident logged in"),
    "login_failed": _l("Resident login failed"),
    "password_changed": _l("Password changed by the resident"),
    "password_reset_requested": _l("New password requested"),
    "password_reset": _l("New password confirmed"),
    "email_changed": _l("Resident's e-mail changed"),
    "email_change_requested": _l("Resident asked to change the e-mail"),
    "logout_others": _l("Resident logged out on every other device"),
    "release": _l("Registration released"),
    "office_login": _l("Accountant logged in"),
    "office_login_failed": _l("Accountant login failed"),
    "office_password_changed": _l("Password changed by the accountant"),
    "office_password_reset": _l("Accountant's password reset by the operator"),
    "office_logout_others": _l("Accountant logged out on every other device"),
    "accountant_attached": _l("Accountant given access to the HOA by the operator"),
    "accountant_detached": _l("Accountant's access to the HOA removed by the operator"),
    "import": _l("Data loaded"),
    "import_undone": _l("Data load undone"),
    "readings_exported": _l("Data downloaded"),
    "reading_accepted": _l("Meter reading accepted by the accountant"),
    "reading_declined": _l("Meter reading declined by the accountant"),
    "settings_changed": _l("HOA settings changed"),
    **poll_events.LABELS,
    "document_added": _l("Document published"),
    "document_changed": _l("Document's title, category, date or visibility changed"),
    "document_replaced": _l("Document's file replaced"),
    "document_deleted": _l("Document deleted"),
}

FILE_KINDS = {"accounts": _l("accounts"), "charges": _l("charges"), "payments": _l("payments"),
              "meters": _l("meters"), "balances": _l("opening balances and penalties")}
OLD_READING_DETAIL = re.compile(r"meter (\S*) ([0-9]{4}-[0-9]{2})")  # before schema version 3


def label(event):
    return str(EVENT_LABELS.get(event.event, event.event))


def who(event):
    """The e-mail used at the time; events older than schema version 3 did not keep it, so
    theirs is the login's current one (or, for a failed office login, the one typed)."""
    if event.email:
        return event.email
    if event.event == "office_login_failed":
        return event.detail
    return getattr(event, "resident_email", None) or getattr(event, "accountant_email", None) \
        or ""


def describe(event):
    """The event's details in the reader's language; "" when it has none."""
    describer = DESCRIBERS.get(event.event)
    if describer is None:
        return event.detail or ""
    try:
        return describer(event)
    except (ValueError, TypeError, KeyError, AttributeError):
        return event.detail  # written by some other version: shown as it was stored


def email_change(event):
    old, new = event.detail.split(" -> ")
    return _("from %(old)s to %(new)s", old=old, new=new)


def released(event):
    return _("Released address: %(email)s", email=event.detail) if event.detail else ""


def taken_over(event):
    return _("Address of the registration that gave way: %(email)s", email=event.detail) \
        if event.detail else ""


def failed_office_login(event):
    # the e-mail typed is in the login column; the operator's log also has unknown ones
    return "" if event.accountant_id else _("No accountant has this e-mail.")


def exported(event):
    return _("File %(name)s", name=event.detail)


def reading_decision(event):
    text = event.detail
    if text.startswith("{"):
        data = json.loads(text)
    else:
        found = OLD_READING_DETAIL.fullmatch(text)
        data = {"meter": found[1], "period": found[2]}
    kind = METER_KIND_TABLE.get(data.get("kind"))
    meter = _("meter %(serial)s, the reading for %(month)s", serial=data["meter"],
              month=format_period(parse_period(data["period"])))
    parts = [f"{kind.label}, {meter}" if kind else meter[:1].upper() + meter[1:]]
    if data.get("value"):
        parts.append(" / ".join(format_number(v) for v in data["value"].split("/"))
                     + (f" {kind.unit}" if kind else ""))
    if data.get("reason"):
        parts.append(_("reason: %(reason)s", reason=data["reason"]))
    return "; ".join(parts)


def loaded(event):
    """The totals of a load (importbatch.totals), e.g. {"files": [...], "accounts": 3,
    "charges": {"2026-11": 30}, "payments": {}, "meters": 2}."""
    data = json.loads(event.detail)
    parts = []
    kinds = [str(FILE_KINDS.get(kind, kind)) for kind in data.get("kinds", [])]
    if len(kinds) == len(data.get("files", ())):  # older loads kept no kinds
        data["files"] = [f"{name} ({kind})" for name, kind in zip(data["files"], kinds)]
    if data.get("files"):
        parts.append(_("files: %(names)s", names=", ".join(data["files"])))
    if data.get("accounts"):
        parts.append(ngettext("accounts: %(num)s row", "accounts: %(num)s rows",
                              data["accounts"]))
    for key in ("charges", "payments"):
        months = data.get(key) or {}
        if months:
            parts.append(f"{FILE_KINDS[key]}: " + ", ".join(
                ngettext("%(month)s — %(num)s row", "%(month)s — %(num)s rows", rows,
                         month=format_period(parse_period(month)))
                for month, rows in months.items()))
    if data.get("meters"):
        parts.append(ngettext("meters: %(num)s row", "meters: %(num)s rows", data["meters"]))
    return "; ".join(parts)


def undone(event):
    """{"files": [...], "months": [[kind, "2026-12", rows removed, their sum, rows back, their
    sum], …]}: «files: payments.csv; payments, декабрь 2026: removed 2 rows …, back 3 …»."""
    data = json.loads(event.detail)
    parts = [_("files: %(names)s", names=", ".join(data["files"]))] if data.get("files") else []
    for kind, month, removed, removed_sum, back, back_sum in data["months"]:
        parts.append(_("%(what)s, %(month)s: removed %(removed)s for %(removed_sum)s, back "
                       "%(back)s for %(back_sum)s", what=FILE_KINDS.get(kind, kind),
                       month=format_period(parse_period(month)),
                       removed=ngettext("%(num)s row", "%(num)s rows", removed),
                       removed_sum=format_money(Decimal(removed_sum)),
                       back=ngettext("%(num)s row", "%(num)s rows", back),
                       back_sum=format_money(Decimal(back_sum))))
    return "; ".join(parts)


def setting_label(name):
    """The settings form's label of the setting, else its name."""
    return str(SETTING_LABELS[name]) if name in SETTING_LABELS else name


def setting_value(name, value):
    if value == "":
        return _("empty")
    return f"«{VALUE_LABELS.get(name, {}).get(value, value)}»"


def settings_change(event):
    """{"changed": [[setting, old, new], …]}: «Срок оплаты: «10» → «15»; …»."""
    if not event.detail:
        return ""  # older events kept no detail
    return "; ".join(_("%(setting)s: %(old)s → %(new)s", setting=setting_label(name),
                       old=setting_value(name, old), new=setting_value(name, new))
                     for name, old, new in json.loads(event.detail)["changed"])


DESCRIBERS = {
    "settings_changed": settings_change,
    "email_change_requested": email_change,
    "email_changed": email_change,
    "release": released,
    "register_taken_over": taken_over,
    "office_login_failed": failed_office_login,
    "readings_exported": exported,
    "reading_accepted": reading_decision,
    "reading_declined": reading_decision,
    "import": loaded,
    **poll_events.DESCRIBERS,
    "import_undone": undone,
}
