"""What the security log says about requests: each event's label and details in words, added
to the log's own tables (audit_events.py) when the package is loaded."""
import json
from datetime import date

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

import audit_events
from formats import format_day
from tickets.models import STATUS_LABELS

EVENT_LABELS = {
    "ticket_filed": _l("Request filed by the resident"),
    "ticket_message": _l("Resident wrote in a request"),
    "ticket_reopened": _l("Request reopened by the resident"),
    "ticket_rated": _l("Request rated by the resident"),
    "ticket_reply": _l("Accountant replied to a request"),
    "ticket_note": _l("Internal note added to a request"),
    "ticket_status": _l("Request status changed"),
    "ticket_assigned": _l("Request's responsible person or deadline changed"),
    "ticket_deleted": _l("Request deleted"),
    "ticket_settings_changed": _l("Request settings changed"),
}

SETTING_LABELS = {
    "categories": _l("Categories"),
    "urgent_days": _l("Days for an emergency request"),
    "normal_days": _l("Days for another request"),
    "email": _l("E-mail for new requests"),
}


def status(value):
    return str(STATUS_LABELS.get(value, value))


def ticket_event(event):
    """{"ticket": 12, …}: «Заявка № 12; …» with what the event changed."""
    data = json.loads(event.detail)
    parts = [_("Request No. %(id)s", id=data["ticket"])]
    if "category" in data:
        parts.append(data["category"])
    if data.get("urgent"):
        parts.append(_("emergency"))
    if data.get("files"):
        parts.append(_("files: %(num)s", num=data["files"]))
    if "new" in data:
        parts.append(_("%(old)s → %(new)s", old=status(data["old"]), new=status(data["new"])))
    if "until" in data:
        parts.append(_("until %(day)s", day=format_day(_iso(data["until"]))))
    if "responsible" in data:
        parts.append(_("responsible: %(old)s → %(new)s", old=data["responsible"][0] or "—",
                       new=data["responsible"][1] or "—"))
    if "deadline" in data:
        parts.append(_("deadline: %(old)s → %(new)s",
                       old=format_day(_iso(data["deadline"][0])),
                       new=format_day(_iso(data["deadline"][1]))))
    if "rating" in data:
        parts.append(_("mark: %(mark)s", mark=data["rating"]))
    return "; ".join(parts)


def _iso(text):
    return date.fromisoformat(text)


def settings_change(event):
    return "; ".join(_("%(setting)s: %(old)s → %(new)s",
                       setting=SETTING_LABELS.get(name, name),
                       old=" ".join(old.split()) or _("empty"),
                       new=" ".join(new.split()) or _("empty"))
                     for name, old, new in json.loads(event.detail)["changed"])


audit_events.EVENT_LABELS.update(EVENT_LABELS)
audit_events.DESCRIBERS.update({name: ticket_event for name in EVENT_LABELS})
audit_events.DESCRIBERS["ticket_settings_changed"] = settings_change
