"""Letters on their way: the job that sends one, its retries, and the operator's commands.

mail.py writes every letter into OutgoingMail and enqueues deliver_letter(id); the worker
sends it through the SMTP server (or into the outbox folder when there is none). The row, not
the queue, says what is left to do: a letter is claimed for one attempt at a time, deleted when
it goes out at the first attempt, marked sent when it needed retries, and after MAX_ATTEMPTS
(about a day) it waits for the operator (`flask --app app mail-failed`). So a job run twice, or
handed back after its worker was killed, never sends a letter that went out.
"""
import json
import logging
import re
import smtplib
from datetime import datetime, timedelta
from email import policy
from pathlib import Path

import click
from flask import Blueprint, current_app
from flask_mail import Message, sanitize_address, sanitize_addresses
from huey import crontab

import jobs
from models import OutgoingMail, now

bp = Blueprint("mailqueue", __name__, cli_group=None)
log = logging.getLogger("domkom.mail")
LINK = re.compile(r"https?://\S+")

# Minutes to wait after the n-th failed attempt. The 10th and last attempt comes about 28
# hours after the first; then the operator decides.
BACKOFF_MINUTES = [0, 0, 5, 15, 60, 180, 360]
MAX_ATTEMPTS = 10
TROUBLE_WINDOW = timedelta(hours=1)  # a failure this recent makes new letters "may be late"
SENT, FAILED = "sent", "failed"


def backoff(attempts):
    return timedelta(minutes=BACKOFF_MINUTES[min(attempts, len(BACKOFF_MINUTES) - 1)])


def lease():
    """How long one attempt may hold a letter: longer than any SMTP conversation takes."""
    return timedelta(seconds=current_app.config["MAIL_LEASE"])


def waiting():
    """Letters not sent yet that still have attempts left."""
    return OutgoingMail.select().where(OutgoingMail.sent_at.is_null(),
                                       OutgoingMail.attempts < MAX_ATTEMPTS)


def given_up():
    return (OutgoingMail.select()
            .where(OutgoingMail.sent_at.is_null(), OutgoingMail.attempts >= MAX_ATTEMPTS)
            .order_by(OutgoingMail.created_at, OutgoingMail.id))


def post(letter):
    """Hand a letter (an OutgoingMail row) to the queue."""
    deliver_letter(letter.id)


def is_late(letter):
    """True when the resident should be told the letter may come late: its own attempt failed
    (the queue ran it in place), or other letters failed within the last hour."""
    letter = OutgoingMail.get_or_none(OutgoingMail.id == letter.id)
    if letter is None or letter.sent_at is not None:
        return False
    return letter.attempts > 0 or waiting().where(
        OutgoingMail.attempts > 0, OutgoingMail.created_at >= now() - TROUBLE_WINDOW).exists()


@jobs.task(retries=3, retry_delay=60)  # Huey's retries: for a database that was busy
def deliver_letter(letter_id):
    """Try the letter once; when that fails, come back when its next attempt is due."""
    if attempt(letter_id) == FAILED:
        letter = OutgoingMail.get(OutgoingMail.id == letter_id)
        if letter.attempts < MAX_ATTEMPTS:
            delay = (letter.next_attempt_at - now()).total_seconds()
            deliver_letter.schedule(args=(letter_id,),
                                    delay=max(delay, current_app.config["MAIL_RETRY_FLOOR"]))


def attempt(letter_id):
    """Send a due letter once: SENT, FAILED, or None when it is not this attempt's to send
    (already sent, given up, not due yet, or being sent by another attempt)."""
    letter = OutgoingMail.get_or_none(OutgoingMail.id == letter_id)
    started = now()
    if letter is None or letter.sent_at is not None or letter.attempts >= MAX_ATTEMPTS \
            or letter.next_attempt_at > started or not claim(letter, started):
        return None
    try:
        hand_over(Message(subject=letter.subject, recipients=[letter.to], body=letter.text,
                          html=letter.html or None,
                          extra_headers=json.loads(letter.headers) if letter.headers else None))
    except (smtplib.SMTPException, OSError) as exc:
        attempts = letter.attempts + 1
        OutgoingMail.update(attempts=attempts, last_error=str(exc)[:1000],
                            next_attempt_at=started + backoff(attempts)) \
            .where(OutgoingMail.id == letter.id).execute()
        level = logging.ERROR if attempts >= MAX_ATTEMPTS else logging.WARNING
        log.log(level, "mail %s to %s failed (attempt %s of %s): %s", letter.id, letter.to,
                attempts, MAX_ATTEMPTS, exc)
        return FAILED
    if letter.attempts == 0:  # out at once: nothing worth keeping, least of all a password
        OutgoingMail.delete().where(OutgoingMail.id == letter.id).execute()
    else:  # a record that it went out late; the body (it may hold a password) is dropped
        OutgoingMail.update(sent_at=now(), attempts=letter.attempts + 1, last_error="",
                            text="", html="").where(OutgoingMail.id == letter.id).execute()
    return SENT


def claim(letter, moment):
    """Hold the letter for this attempt only, so that two jobs for it never both send it; a
    worker killed mid-send lets it go when the lease ends."""
    return (OutgoingMail.update(next_attempt_at=moment + lease())
            .where(OutgoingMail.id == letter.id, OutgoingMail.sent_at.is_null(),
                   OutgoingMail.attempts == letter.attempts,
                   OutgoingMail.next_attempt_at == letter.next_attempt_at)
            .execute()) == 1


# Flask-Mail encodes and folds a non-ASCII subject itself, correctly; serialised with the SMTP
# policy's line length, Python 3.11 folds it once more and puts a space that fell at a fold
# between two encoded words, where every reader drops it («В работе» → «Вработе»).
UNFOLDED = policy.SMTP.clone(max_line_length=None)


def message_bytes(message):
    """The letter as sent: Flask-Mail's message (its `_message()`, which its own as_bytes()
    serialises) without the second folding; tests/test_mail_subjects.py fails if that changes."""
    return message._message().as_bytes(policy=UNFOLDED)


def hand_over(message):
    """To the SMTP server, or into the outbox folder when none is configured."""
    if current_app.config.get("MAIL_SERVER"):
        deliver(message)
    else:
        save_to_outbox(message)


def deliver(message):
    """Hand one message to the SMTP server; raises when it refuses or cannot be reached."""
    config = current_app.config
    smtp = smtplib.SMTP_SSL if config["MAIL_USE_SSL"] else smtplib.SMTP
    with smtp(config["MAIL_SERVER"], config["MAIL_PORT"],
              timeout=config.get("MAIL_TIMEOUT", 5)) as host:
        if config["MAIL_USE_TLS"]:
            host.starttls()
        if config.get("MAIL_USERNAME"):
            host.login(config["MAIL_USERNAME"], config.get("MAIL_PASSWORD") or "")
        # as Flask-Mail's own send does: a Cyrillic domain goes into the envelope as punycode
        host.sendmail(sanitize_address(message.sender), list(sanitize_addresses(message.send_to)),
                      message_bytes(message))


def save_to_outbox(message):
    """Without an SMTP server, mail is written to the outbox folder and its links logged."""
    outbox = Path(current_app.config["MAIL_OUTBOX"])
    outbox.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S-%f")
    name = re.sub(r"[^A-Za-z0-9@._-]", "_", message.recipients[0])
    path = outbox / f"{stamp}-{name}.eml"
    path.write_bytes(message_bytes(message))
    log.info("mail to %s saved as %s", message.recipients[0], path)
    for link in LINK.findall(message.body):
        log.info("  link: %s", link)


@jobs.at_start
def hand_back_waiting():
    """Every waiting letter gets a job at its time: letters of a worker that was killed, and
    those an older version left for cron (their rows are the same)."""
    moment = now()
    for letter in waiting().order_by(OutgoingMail.next_attempt_at):
        delay = (letter.next_attempt_at - moment).total_seconds()
        deliver_letter.schedule(args=(letter.id,), delay=max(delay, 0))


@jobs.periodic(crontab(minute="*/10"))
def pick_up_forgotten():
    """A letter overdue by a whole lease has lost its job (it ran before the letter's
    transaction was committed, or the queue was emptied): give it a new one."""
    for letter in waiting().where(OutgoingMail.next_attempt_at <= now() - lease()):
        post(letter)


@bp.cli.command("send-queued")
def send_queued_command():
    """Try every letter that is due now, in this process (the worker does this by itself)."""
    sent = failed = 0
    due = waiting().where(OutgoingMail.next_attempt_at <= now()).order_by(OutgoingMail.id)
    for letter_id in [letter.id for letter in due]:
        outcome = attempt(letter_id)
        sent, failed = sent + (outcome == SENT), failed + (outcome == FAILED)
    stuck = given_up().count()
    click.echo(f"sent {sent}, failed {failed}, waiting {waiting().count()}"
               + (f", given up {stuck} (see mail-failed)" if stuck else ""))


@bp.cli.command("mail-failed")
@click.option("--retry", "retry_ids", multiple=True, type=int, metavar="ID",
              help="Give this letter another day of attempts (repeatable).")
@click.option("--retry-all", is_flag=True, help="Give every letter listed another day.")
def mail_failed_command(retry_ids, retry_all):
    """List the letters the mail server would not take for a whole day of attempts."""
    letters = list(given_up())
    for letter in letters:
        click.echo(f"{letter.id}\t{letter.created_at:%Y-%m-%d %H:%M}\t{letter.to}\t"
                   f"{letter.subject}\t{letter.attempts} attempts\t{letter.last_error}")
    again = [letter for letter in letters if retry_all or letter.id in retry_ids]
    for letter in again:
        # one attempt counted, so a success later keeps the row as a record that it went late
        OutgoingMail.update(attempts=1, next_attempt_at=now()) \
            .where(OutgoingMail.id == letter.id).execute()
        post(letter)
    unknown = set(retry_ids) - {letter.id for letter in letters}
    if unknown:
        raise click.ClickException(f"not among the letters given up: {sorted(unknown)}")
    click.echo(f"{len(letters)} given up" + (f", {len(again)} queued again" if again else ""))
