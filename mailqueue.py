"""Retrying the mail the SMTP server refused or could not take: `flask send-queued`."""
import logging
import smtplib
import socket
from datetime import timedelta

import click
from flask import Blueprint, current_app
from flask_mail import Message

from mail import deliver, save_to_outbox
from models import OutgoingMail, db, now

bp = Blueprint("mailqueue", __name__, cli_group=None)
log = logging.getLogger("domkom.mail")

# Minutes to wait after the n-th failed attempt: the first retry is at the next cron run.
BACKOFF_MINUTES = [0, 0, 5, 15, 60, 180, 360]
MAX_ATTEMPTS = 30  # about a week with the longest pause; then the operator decides
LEASE = timedelta(minutes=10)  # a run that dies mid-send lets the next one retry later


def backoff(attempts):
    return timedelta(minutes=BACKOFF_MINUTES[min(attempts, len(BACKOFF_MINUTES) - 1)])


def due(moment):
    return (OutgoingMail.select()
            .where(OutgoingMail.sent_at.is_null(), OutgoingMail.attempts < MAX_ATTEMPTS,
                   OutgoingMail.next_attempt_at <= moment)
            .order_by(OutgoingMail.created_at, OutgoingMail.id))


def claim(item, moment):
    """Take the message for this run only, so that two overlapping cron runs never both send."""
    return (OutgoingMail.update(next_attempt_at=moment + LEASE)
            .where(OutgoingMail.id == item.id, OutgoingMail.sent_at.is_null(),
                   OutgoingMail.next_attempt_at == item.next_attempt_at)
            .execute()) == 1


def send_queued(moment=None):
    """Try every due message once; returns (sent, failed)."""
    sent = failed = 0
    for item in list(due(moment or now())):
        started = now()
        if not claim(item, started):
            continue
        message = Message(subject=item.subject, recipients=[item.to], body=item.text,
                          html=item.html or None)
        try:
            if current_app.config.get("MAIL_SERVER"):
                deliver(message)
            else:
                save_to_outbox(message)
        except (smtplib.SMTPException, OSError, socket.error) as exc:
            attempts = item.attempts + 1
            with db.atomic():
                OutgoingMail.update(attempts=attempts, last_error=str(exc)[:1000],
                                    next_attempt_at=started + backoff(attempts)) \
                    .where(OutgoingMail.id == item.id).execute()
            log.warning("queued mail %s to %s failed again (%s): %s", item.id, item.to,
                        attempts, exc)
            failed += 1
            continue
        OutgoingMail.update(sent_at=now(), attempts=item.attempts + 1, last_error="") \
            .where(OutgoingMail.id == item.id).execute()
        sent += 1
    return sent, failed


@bp.cli.command("send-queued")
def send_queued_command():
    """Send the e-mail that could not be sent before (safe to run from cron every minute)."""
    sent, failed = send_queued()
    waiting = OutgoingMail.select().where(OutgoingMail.sent_at.is_null()).count()
    click.echo(f"sent {sent}, failed {failed}, waiting {waiting}")
