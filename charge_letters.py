"""The letter about a month's charges: once a load of charges is saved, each registered
resident of the HOA with a bill that month gets one, from the worker.

The load's transaction writes a ChargeMailing (plan()); after the commit the job
send_charge_letters() writes one ChargeLetter and its letter per resident in one transaction
each. So a retried or handed-back job skips those already written, and a load saved always
gets its letters, even when its worker is killed right after the commit. A later load of the
same month (a correction) sends a letter saying so, only to those whose sum changed.
"""
import logging

from flask_babel import lazy_gettext as _l
from peewee import IntegrityError

import jobs
import letters
import mailqueue
from importer import request_context
from formats import format_period
from ledger import Statement, paid_since, pay_by_date
from letter_models import ChargeLetter, ChargeMailing
from mail import external_url
from models import Account, Charge, Hoa, Resident, db, now
from periods import parse_period

log = logging.getLogger("domkom.letters")


def plan(hoa, totals, job=""):
    """Inside a load's transaction: the mailing for the load's latest month of charges, or
    None. Older months of the same load are history, and so is a month older than one the
    HOA already has: neither is a new bill."""
    months = sorted(totals.get("charges") or {})
    if not months:
        return None
    period = parse_period(months[-1])
    newer = (Charge.select().join(Account)
             .where(Account.hoa == hoa, Charge.period > period).exists())
    if newer:
        return None
    return ChargeMailing.create(hoa=hoa, period=period, job=str(job))


def post(mailing):
    """After the load's commit: queue the mailing's job."""
    if mailing is not None:
        send_charge_letters(mailing.id)


@jobs.task(retries=5, retry_delay=60)  # a busy database: the letters written are skipped
def send_charge_letters(mailing_id):
    """Write the mailing's letters; a mailing finished, or a resident written, is skipped."""
    mailing = ChargeMailing.get_or_none(ChargeMailing.id == mailing_id)
    if mailing is None or mailing.finished_at is not None:
        return 0
    sent = 0
    with request_context():
        for resident in billed_residents(mailing.hoa_id, mailing.period):
            sent += write_letter(mailing, resident)
    ChargeMailing.update(finished_at=now()).where(ChargeMailing.id == mailing.id).execute()
    log.info("charges of %s for %s: %s letters", mailing.hoa_id, mailing.period, sent)
    return sent


def billed_residents(hoa_id, period):
    """Activated residents of the HOA whose account has charges in the month."""
    billed = Charge.select(Charge.account).where(Charge.period == period)
    return (Resident.select(Resident, Account, Hoa).join(Account).join(Hoa)
            .where(Account.hoa == hoa_id, Resident.activated_at.is_null(False),
                   Account.id.in_(billed))
            .order_by(Account.number))


def write_letter(mailing, resident):
    """1 when the resident's letter is queued now; 0 when written before, not wanted, or
    nothing changed since the letter of an earlier load of the month."""
    if not letters.wants(resident, "charges") or ChargeLetter.select().where(
            ChargeLetter.resident == resident, ChargeLetter.mailing == mailing).exists():
        return 0
    statement = Statement.for_month(resident.account, mailing.period, detailed=False)
    if statement is None:
        return 0
    paid_since(statement)
    to_pay = statement.to_pay_now
    earlier = (ChargeLetter.select().where(ChargeLetter.resident == resident,
                                           ChargeLetter.period == mailing.period)
               .order_by(ChargeLetter.id.desc()).first())
    if earlier is not None and earlier.to_pay == to_pay:
        return 0
    corrected = earlier is not None
    subject = (_l("Domkom: corrected charges for %(month)s, account %(number)s",
                  month=Month(mailing.period), number=resident.account.number)
               if corrected else
               _l("Domkom: charges for %(month)s, account %(number)s",
                  month=Month(mailing.period), number=resident.account.number))
    try:
        with db.atomic():
            # the row first: on SQLite a transaction that reads before it writes may find
            # another worker thread's commit in its way and fail at once instead of waiting
            ChargeLetter.create(resident=resident, mailing=mailing, period=mailing.period,
                                to_pay=to_pay, corrected=corrected)
            letter = letters.compose_notice(
                resident, "charges", subject, "charges_loaded", period=mailing.period,
                to_pay=to_pay, pay_by=pay_by_date(resident.account.hoa, mailing.period),
                corrected=corrected,
                link=external_url("statements.month", period=mailing.period.strftime("%Y-%m")))
            if letter is None:  # turned off a moment ago: no row either
                raise NotWanted
    except (IntegrityError, NotWanted):  # IntegrityError: another run wrote it a moment ago
        return 0
    mailqueue.post(letter)
    return 1


class NotWanted(Exception):
    """The resident turned the letters off while the letter was being written."""


class Month:
    """A month named in the language the subject is written in, not the one it was made in."""

    def __init__(self, period):
        self.period = period

    def __str__(self):
        return format_period(self.period)


@jobs.at_start
def hand_back_unfinished():
    """Mailings a killed worker left unfinished get their job again."""
    for mailing in ChargeMailing.select().where(ChargeMailing.finished_at.is_null()):
        send_charge_letters(mailing.id)
