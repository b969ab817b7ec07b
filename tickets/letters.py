"""The letters of requests: to the resident when the office answers or changes the status, to
the HOA when a request is filed or reopened. Each is composed inside the change's transaction
and handed to the queue after the commit (actions.py), so it goes with the queue's retries."""
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from letters import compose_notice
from mail import compose, external_url
from tickets.models import TicketSettings


def to_resident(ticket, event):
    """The letter telling the resident who filed `ticket` about `event` (the office's reply or
    a change of status), or None when the request has no resident left (a released login).

    Every letter a resident gets about a request is made here, as a letter of the topic
    "requests" that the resident may turn off (letters.py), with its unsubscribe link."""
    resident = ticket.resident
    if resident is None or not resident.email:
        return None
    if event.kind == "reply":
        subject = _l("Domkom: the HOA replied to your request No. %(id)s", id=ticket.id)
    else:
        subject = _l("Domkom: your request No. %(id)s is now «%(status)s»", id=ticket.id,
                     status=event.status_label)
    return compose_notice(resident, "requests", subject, "ticket_update", ticket=ticket,
                          event=event, hoa=ticket.hoa,
                          link=external_url("tickets.show", ticket_id=ticket.id))


def to_hoa(ticket, reopened=False):
    """The letter telling the HOA's address of a new or reopened request; None when the HOA
    has no address for requests."""
    address = TicketSettings.of(ticket.hoa).office_address()
    if not address:
        return None
    if reopened:
        subject = _("Domkom: request No. %(id)s reopened, account %(number)s", id=ticket.id,
                    number=ticket.account.number)
    else:
        subject = _("Domkom: new request No. %(id)s, account %(number)s", id=ticket.id,
                    number=ticket.account.number)
    if ticket.urgent:
        subject = _("URGENT") + " · " + subject
    return compose(address, subject, "ticket_office", ticket=ticket, reopened=reopened,
                   hoa=ticket.hoa, link=external_url("office_tickets.show", hoa_id=ticket.hoa_id,
                                                     ticket_id=ticket.id))
