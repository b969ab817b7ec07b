"""Every change to a request, in one transaction with its security-log entry and its letters
(composed inside, handed to the queue after the commit)."""
import json

import mailqueue
from models import AuditEvent, db, now
from storedfiles import StoredFile
from tickets import auditing, letters  # noqa: F401  (auditing: the log's words for these)
from tickets.models import Ticket, TicketAttachment, TicketEvent, TicketSettings


def post_all(composed):
    for letter in composed:
        if letter is not None:
            mailqueue.post(letter)


def record(event, ticket, ip, resident=None, accountant=None, **detail):
    AuditEvent.record(event, ip, hoa=ticket.hoa_id, resident=resident, accountant=accountant,
                      account_number=ticket.account.number,
                      detail=json.dumps({"ticket": ticket.id, **detail}, ensure_ascii=False))


def touch(ticket, *fields):
    ticket.updated_at = now()
    ticket.search = ticket.search_text()
    ticket.save(only=[Ticket.updated_at, Ticket.search, *fields])


def file(resident, category, text, urgent, stored_files, ip):
    """A new request of the resident's account, with its kept files; the HOA is told."""
    account = resident.account
    settings = TicketSettings.of(account.hoa)
    with db.atomic():
        ticket = Ticket(hoa=account.hoa_id, account=account, resident=resident,
                        category=category, text=text, urgent=urgent,
                        contact_name=resident.name or account.owner,
                        contact_phone=resident.phone, contact_email=resident.email,
                        deadline=settings.deadline_for(urgent))
        ticket.search = ticket.search_text()
        ticket.save()
        for stored in stored_files:
            stored.save()
            TicketAttachment.create(ticket=ticket, stored=stored)
        record("ticket_filed", ticket, ip, resident=resident, category=category,
               urgent=urgent, files=len(stored_files))
        letter = letters.to_hoa(ticket)
    post_all([letter])
    return ticket


def resident_message(ticket, resident, text, ip):
    with db.atomic():
        TicketEvent.create(ticket=ticket, kind="message", resident=resident, text=text)
        touch(ticket)
        record("ticket_message", ticket, ip, resident=resident)


def reopen(ticket, resident, text, ip):
    """Back to "new" with a fresh deadline from the request's urgency; the HOA is told."""
    settings = TicketSettings.of(ticket.hoa)
    with db.atomic():
        ticket.status, ticket.done_at, ticket.rating, ticket.rating_comment = "new", None, None, ""
        ticket.deadline = settings.deadline_for(ticket.urgent)
        TicketEvent.create(ticket=ticket, kind="status", status="new", resident=resident,
                           text=text)
        touch(ticket, Ticket.status, Ticket.done_at, Ticket.rating, Ticket.rating_comment,
              Ticket.deadline)
        record("ticket_reopened", ticket, ip, resident=resident)
        letter = letters.to_hoa(ticket, reopened=True)
    post_all([letter])


def rate(ticket, resident, rating, comment, ip):
    with db.atomic():
        ticket.rating, ticket.rating_comment = rating, comment
        TicketEvent.create(ticket=ticket, kind="rating", resident=resident, text=comment,
                           status=str(rating))
        touch(ticket, Ticket.rating, Ticket.rating_comment)
        record("ticket_rated", ticket, ip, resident=resident, rating=rating)


def reply(ticket, accountant, text, ip):
    """The office's answer, which the resident sees and gets a letter about."""
    with db.atomic():
        event = TicketEvent.create(ticket=ticket, kind="reply", accountant=accountant, text=text)
        touch(ticket)
        record("ticket_reply", ticket, ip, accountant=accountant)
        letter = letters.to_resident(ticket, event)
    post_all([letter])


def note(ticket, accountant, text, ip):
    """An internal note: the office's own, never shown to the resident."""
    with db.atomic():
        TicketEvent.create(ticket=ticket, kind="note", accountant=accountant, text=text)
        touch(ticket)
        record("ticket_note", ticket, ip, accountant=accountant)


def change_status(ticket, accountant, status, ip, reason="", until=None):
    """A new status: a declined request keeps its reason, a deferred one the day it waits for
    (its deadline); the resident gets a letter."""
    old = ticket.status
    with db.atomic():
        ticket.status = status
        ticket.done_at = now() if status == "done" else None
        if status == "declined":
            ticket.decline_reason = reason
        if status == "deferred":
            ticket.deadline = until
        event = TicketEvent.create(ticket=ticket, kind="status", status=status,
                                   accountant=accountant, text=reason,
                                   until=until if status == "deferred" else None)
        touch(ticket, Ticket.status, Ticket.done_at, Ticket.decline_reason, Ticket.deadline)
        record("ticket_status", ticket, ip, accountant=accountant, old=old, new=status,
               **({"until": until.isoformat()} if status == "deferred" else {}))
        letter = letters.to_resident(ticket, event)
    post_all([letter])


def assign(ticket, accountant, responsible, deadline, ip):
    """Who is responsible and by when: the office's own entries in the thread."""
    changed = {}
    if responsible != ticket.responsible:
        changed["responsible"] = [ticket.responsible, responsible]
    if deadline != ticket.deadline:
        changed["deadline"] = [ticket.deadline.isoformat(), deadline.isoformat()]
    if not changed:
        return False
    with db.atomic():
        ticket.responsible, ticket.deadline = responsible, deadline
        TicketEvent.create(ticket=ticket, kind="assigned", accountant=accountant,
                           text=responsible, until=deadline)
        touch(ticket, Ticket.responsible, Ticket.deadline)
        record("ticket_assigned", ticket, ip, accountant=accountant, **changed)
    return True


def delete(ticket, accountant, ip):
    """The request, its thread, its attachments and their kept files."""
    stored_ids = [a.stored_id for a in TicketAttachment.select(TicketAttachment.stored)
                  .where(TicketAttachment.ticket == ticket)]
    with db.atomic():
        record("ticket_deleted", ticket, ip, accountant=accountant, category=ticket.category,
               files=len(stored_ids))
        ticket.delete_instance(recursive=True)
        if stored_ids:
            StoredFile.delete().where(StoredFile.id.in_(stored_ids)).execute()


SETTING_FIELDS = ("categories", "urgent_days", "normal_days", "email")


def save_settings(hoa, accountant, values, ip):
    """The HOA's request settings; the log says what changed. False when nothing did."""
    settings = TicketSettings.of(hoa)
    changed = [[name, str(getattr(settings, name)), str(values[name])]
               for name in SETTING_FIELDS if getattr(settings, name) != values[name]]
    if not changed:
        return False
    with db.atomic():
        for name in SETTING_FIELDS:
            setattr(settings, name, values[name])
        settings.save()
        AuditEvent.record("ticket_settings_changed", ip, hoa=hoa, accountant=accountant,
                          detail=json.dumps({"changed": changed}, ensure_ascii=False))
    return True
