"""The security log's events of polls: recording them, and their labels and details in words
(audit_events.py shows them with every other event)."""
import json

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from access import client_ip
from models import AuditEvent

LABELS = {
    "poll_created": _l("Poll created"),
    "poll_changed": _l("Poll changed"),
    "poll_closed": _l("Poll closed by the accountant"),
    "poll_deleted": _l("Poll deleted"),
    "poll_answered": _l("Resident answered a poll"),
    "poll_answer_changed": _l("Resident changed the answer to a poll"),
}


def record(event, poll, option=None, before=None, **who):
    """The question and, for an answer, the option (and the one it replaced) as they read at
    the time: a deleted poll stays readable in the log."""
    detail = {"poll": poll.id, "question": poll.question[:200]}
    if option is not None:
        detail["option"] = option.text
    if before is not None:
        detail["before"] = before.text
    AuditEvent.record(event, client_ip(), hoa=poll.hoa_id,
                      detail=json.dumps(detail, ensure_ascii=False), **who)


def describe(event):
    data = json.loads(event.detail)
    text = _("«%(question)s»", question=data["question"])
    if "before" in data:
        return text + "; " + _("answer «%(before)s» → «%(option)s»", before=data["before"],
                               option=data["option"])
    if "option" in data:
        return text + "; " + _("answer «%(option)s»", option=data["option"])
    return text


DESCRIBERS = {event: describe for event in LABELS}
