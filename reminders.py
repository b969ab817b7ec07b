"""Readings and verification reminders: a daily job of the worker, or `flask --app app remind`."""
from datetime import date

import click
from flask import current_app
from flask.cli import with_appcontext
from flask_babel import gettext as _
from huey import crontab
from peewee import IntegrityError

import jobs
import letters
import mailqueue
from mail import external_url
from meter_models import REMINDER_KINDS, Meter, Reading, ReminderSent
from models import Account, Hoa, Resident, db
from periods import today
from readings import kind_label

VERIFICATION_NOTICE_DAYS = 30
CLOSING_NOTICE_DAYS = 2


@click.command("remind")
@with_appcontext
@click.option("--today", "day_text", metavar="YYYY-MM-DD", help="Act as if today were this day.")
def remind_command(day_text):
    """Mail residents who have not sent this month's readings and those whose meter's
    verification falls due soon; safe to run every day: no reminder goes out twice."""
    try:
        day = date.fromisoformat(day_text) if day_text else today()
    except ValueError:
        raise click.BadParameter("expected YYYY-MM-DD", param_hint="--today") from None
    click.echo(f"Reminders sent: {remind_everyone(day)}")


@jobs.periodic(crontab(hour="10", minute="0"))
def daily_reminders():
    """Every morning at 10 (the server's clock); a second run the same day sends nothing."""
    remind_everyone(today())


def remind_everyone(day):
    with current_app.test_request_context(base_url=current_app.config["BASE_URL"]):
        return send_reminders(day)


def send_reminders(day):
    sent = 0
    for hoa in Hoa.select():
        kind = window_reminder_kind(hoa, day)
        period = hoa.readings_period(day)  # a 25th-5th window's April days remind of March
        for resident in activated_residents(hoa):
            meters = [m for m in Meter.of_account(resident.account)
                      if not m.verification_expired(day)]
            if kind and missing_readings(meters, period):
                sent += remind(resident, kind, period, hoa=hoa, end=hoa.window_bounds(day)[1])
            due = {}
            for meter in meters:
                if meter.verified_until and \
                        0 <= (meter.verified_until - day).days <= VERIFICATION_NOTICE_DAYS:
                    due.setdefault(meter.verified_until, []).append(meter)
            for until, due_meters in sorted(due.items()):
                sent += remind(resident, "verification", until, hoa=hoa, until=until,
                               meters=[(kind_label(m), m) for m in due_meters])
    return sent


def window_reminder_kind(hoa, day):
    """'window_open' while the window is open, 'window_closing' in its last days, else None."""
    start, end = hoa.window_bounds(day)
    if not start <= day <= end:
        return None
    return "window_closing" if (end - day).days <= CLOSING_NOTICE_DAYS else "window_open"


def activated_residents(hoa):
    return (Resident.select(Resident, Account).join(Account)
            .where(Account.hoa == hoa, Resident.activated_at.is_null(False))
            .order_by(Account.number))


def missing_readings(meters, period):
    if not meters:
        return []
    saved = Reading.counting_for_period(meters, period)
    return [m for m in meters if m.id not in saved]


SUBJECTS = {
    "window_open": lambda: _("Domkom: it is time to send your meter readings"),
    "window_closing": lambda: _("Domkom: the meter readings window closes soon"),
    "verification": lambda: _("Domkom: your meter's verification falls due soon"),
}


def remind(resident, kind, period, **context):
    """Send one reminder unless it already went out; 1 when it is queued (the record and the
    letter are written together, so neither is kept without the other)."""
    if ReminderSent.select().where(ReminderSent.resident == resident, ReminderSent.kind == kind,
                                   ReminderSent.period == period).exists():
        return 0
    if kind not in REMINDER_KINDS:
        raise ValueError(f"unknown reminder kind {kind!r}")
    if not letters.wants(resident, "reminders"):  # turned off in "My data"
        return 0
    template = "reminder_verification" if kind == "verification" else "reminder_window"
    try:
        with db.atomic():
            ReminderSent.create(resident=resident, kind=kind, period=period)
            letter = letters.compose_notice(resident, "reminders", SUBJECTS[kind](), template,
                                            kind=kind, link=external_url("meters.index"),
                                            **context)
    except IntegrityError:  # another run sent it a moment ago
        return 0
    if letter is None:
        return 0
    mailqueue.post(letter)
    return 1
