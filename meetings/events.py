"""The meetings' entries in the security log. Their labels join the log's table from here, so
that the log (audit_events.py) needs no line of its own for each package."""
from flask_babel import lazy_gettext as _l

import audit_events
from access import client_ip
from models import AuditEvent

LABELS = {
    "meeting_published": _l("Meeting notice published"),
    "meeting_changed": _l("Published meeting changed"),
    "meeting_vote": _l("Vote given online at a meeting"),
    "meeting_paper_ballot": _l("Paper ballot of a meeting entered"),
    "meeting_conflict_resolved": _l("Meeting: online and paper votes resolved"),
    "meeting_register_changed": _l("Meeting register changed"),
}
audit_events.EVENT_LABELS.update(LABELS)


def record(event, meeting, detail="", **fields):
    """A meeting's event in its HOA's log; the detail starts with the meeting's number."""
    return AuditEvent.record(event, client_ip(), hoa=meeting.hoa_id,
                             detail=f"#{meeting.id} {detail}".strip(), **fields)
