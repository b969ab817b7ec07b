"""Charges and payments month by month, the receipt PDF and its QR code; the house's receipts."""
import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from io import BytesIO
from pathlib import Path

import click
from flask import Blueprint, Response, abort, render_template, send_file
from flask_login import current_user

import receipts
from auth import resident_required
from models import Account, Charge, Hoa, Meter, MonthBalance, Payment, Reading, parse_period

bp = Blueprint("statements", __name__, cli_group=None)

ZERO = Decimal("0.00")
PERIOD = re.compile(r"\d{4}-\d{2}")


@dataclass
class Statement:
    """One account's figures for one month: the pages, the PDF and the QR code all read these."""
    account: Account
    period: date
    opening: Decimal = ZERO  # positive is debt, negative is advance
    penalty: Decimal = ZERO
    charges: list = field(default_factory=list)
    payments: list = field(default_factory=list)

    @property
    def charged(self):
        return sum((c.amount for c in self.charges), ZERO)

    @property
    def recalculations(self):
        return sum((c.recalculation for c in self.charges), ZERO)

    @property
    def benefits(self):
        return sum((c.benefit for c in self.charges), ZERO)

    @property
    def charged_to_pay(self):
        return self.charged + self.recalculations - self.benefits

    @property
    def paid(self):
        return sum((p.amount for p in self.payments), ZERO)

    @property
    def closing(self):
        return self.opening + self.charged_to_pay + self.penalty - self.paid

    @property
    def total_due(self):
        """ИТОГО К ОПЛАТЕ: the closing debt; nothing when the month ends with an advance."""
        return max(self.closing, ZERO)

    @classmethod
    def history(cls, account, since=None, until=None):
        """Every month with data, oldest first. A month without a stored opening balance opens
        with the previous month's closing one."""
        months = {}

        def month(period):
            return months.setdefault(period, cls(account, period))

        charges = Charge.select().where(Charge.account == account)
        balances = MonthBalance.select().where(MonthBalance.account == account)
        payments = Payment.select().where(Payment.account == account)
        if since is not None:
            charges = charges.where(Charge.period >= since)
            balances = balances.where(MonthBalance.period >= since)
            payments = payments.where(Payment.period >= since)
        if until is not None:
            charges = charges.where(Charge.period <= until)
            balances = balances.where(MonthBalance.period <= until)
            payments = payments.where(Payment.period <= until)
        for charge in charges.order_by(Charge.id):
            month(charge.period).charges.append(charge)
        for payment in payments.order_by(Payment.paid_on, Payment.id):
            month(payment.period).payments.append(payment)
        stored = {b.period: b for b in balances}
        previous = None
        for period in sorted(set(months) | set(stored)):
            statement = month(period)
            if period in stored:
                statement.opening = stored[period].opening_balance
                statement.penalty = stored[period].penalty
            elif previous is not None:
                statement.opening = previous.closing
            previous = statement
        return [months[p] for p in sorted(months)]

    @classmethod
    def for_month(cls, account, period):
        """The month's statement, or None when the month has no data for this account."""
        stored = MonthBalance.select().where(MonthBalance.account == account,
                                             MonthBalance.period == period).exists()
        # with the month's opening balance stored, earlier months need not be read
        history = cls.history(account, since=period if stored else None, until=period)
        if history and history[-1].period == period:
            return history[-1]
        return None


def meter_readings(account, period):
    """(meter, values per zone, submitted_at or None) for the account's meters: the latest
    reading up to `period` by submission time, else the meter's initial values."""
    meters = list(Meter.select().where(Meter.account == account, Meter.archived == False)  # noqa: E712
                  .order_by(Meter.kind, Meter.id))
    if not meters:
        return []
    latest = {}
    for reading in (Reading.select()
                    .where(Reading.meter.in_(meters), Reading.period <= period,
                           Reading.status != "declined")
                    .order_by(Reading.period, Reading.submitted_at, Reading.id)):
        latest[reading.meter_id] = reading
    rows = []
    for meter in meters:
        reading = latest.get(meter.id)
        if reading is not None:
            values, when = (reading.t1, reading.t2, reading.t3), reading.submitted_at
        else:
            values, when = (meter.initial_t1, meter.initial_t2, meter.initial_t3), None
        rows.append((meter, values[:max(1, min(meter.zones, 3))], when))
    return rows


def period_from_url(text):
    """The month of a URL part like '2026-03'; 404 when it is not a month."""
    period = parse_period(text) if PERIOD.fullmatch(text or "") else None
    if period is None:
        abort(404)
    return period


def address_key(account):
    """Address order: street and house, then the apartment as a number where it is one."""
    apartment = account.apartment or ""
    digits = re.match(r"\d+", apartment)
    return (account.address, int(digits.group()) if digits else 0, apartment, account.number)


def house_periods(hoa):
    """The months with any data in the HOA, newest first."""
    periods = set()
    for model in (Charge, MonthBalance, Payment):
        query = (model.select(model.period).distinct().join(Account)
                 .where(Account.hoa == hoa))
        periods.update(row.period for row in query)
    return sorted(periods, reverse=True)


def accounts_with_data(hoa, period):
    """The HOA's accounts having data for the month, in address order."""
    ids = set()
    for model in (Charge, MonthBalance, Payment):
        ids.update(row.account_id for row in model.select(model.account).join(Account)
                   .where(Account.hoa == hoa, model.period == period))
    accounts = Account.select().where(Account.id.in_(list(ids))) if ids else []
    return sorted(accounts, key=address_key)


def house_receipts(hoa, period, accounts=None, progress=None):
    """One PDF with the receipt of every account having data for the month, in address order."""
    accounts = accounts_with_data(hoa, period) if accounts is None else accounts

    def items():
        for account in accounts:
            account.hoa = hoa  # one HOA object for the whole batch
            statement = Statement.for_month(account, period)
            if statement is not None:
                yield statement, meter_readings(account, period)

    return receipts.render_batch(items(), progress=progress)


# --- the resident's pages --------------------------------------------------------------------

bp.add_app_template_filter(receipts.tariff_text, "tariff")


@bp.app_template_global()
def balance_summary(account):
    """The latest month's statement for the cabinet's balance box, or None."""
    # the latest month with data, by the (account, period) indexes, then only what that
    # month needs: reading every month here cost the cabinet page three quarters of its time
    latest = [row.period for model in (Charge, Payment, MonthBalance)
              if (row := model.select(model.period).where(model.account == account)
                  .order_by(model.period.desc()).first()) is not None]
    return Statement.for_month(account, max(latest)) if latest else None


def statement_or_page(period_text):
    period = period_from_url(period_text)
    statement = Statement.for_month(current_user.account, period)
    if statement is None:
        return period, None, (render_template("statements/empty.html", period=period), 404)
    return period, statement, None


@bp.route("/cabinet/statements")
@resident_required
def index():
    account = current_user.account
    months = Statement.history(account)[::-1]
    return render_template("statements/index.html", account=account, months=months,
                           latest=months[0] if months else None)


@bp.route("/cabinet/statements/<period>")
@resident_required
def month(period):
    period, statement, page = statement_or_page(period)
    if page:
        return page
    account = current_user.account
    hoa = account.hoa
    return render_template("statements/month.html", account=account, hoa=hoa, s=statement,
                           has_qr=receipts.qr_payload(statement) is not None,
                           pay_by=receipts.pay_by_date(hoa, period))


@bp.route("/cabinet/statements/<period>/qr.svg")
@resident_required
def qr(period):
    period, statement, page = statement_or_page(period)
    payload = receipts.qr_payload(statement) if statement else None
    if payload is None:
        abort(404)
    response = Response(receipts.qr_svg(payload), mimetype="image/svg+xml")
    response.headers["Cache-Control"] = "private, max-age=300"
    return response


@bp.route("/cabinet/receipts/<period>.pdf")
@resident_required
def receipt(period):
    period, statement, page = statement_or_page(period)
    if page:
        return page
    account = current_user.account
    pdf = receipts.render_receipt(statement, meter_readings(account, period))
    return send_file(BytesIO(pdf), mimetype="application/pdf", as_attachment=True,
                     download_name=f"receipt-{account.number}-{period:%Y-%m}.pdf")


# --- printing for the whole house from the command line --------------------------------------

@bp.cli.command("receipts")
@click.option("--hoa", "hoa_id", type=int, required=True, help="The HOA's id.")
@click.option("--period", required=True, help="The month, YYYY-MM.")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False),
              help="The PDF file to write.")
def receipts_command(hoa_id, period, output):
    """Print every account's receipt for a month into one PDF, in address order."""
    hoa = Hoa.get_or_none(Hoa.id == hoa_id)
    if hoa is None:
        raise click.BadParameter(f"no HOA with id {hoa_id}", param_hint="--hoa")
    month_date = parse_period(period) if PERIOD.fullmatch(period) else None
    if month_date is None:
        raise click.BadParameter("expected a month like 2026-03", param_hint="--period")
    accounts = accounts_with_data(hoa, month_date)
    if not accounts:
        raise click.ClickException(f"{hoa.name} has no data for {period}; nothing printed.")
    missing = receipts.missing_requisites(hoa)
    if missing:
        click.echo(f"Warning: requisites missing ({', '.join(missing)}); "
                   "receipts are printed without the QR code.", err=True)
    with click.progressbar(length=len(accounts), label="Receipts") as bar:
        pdf = house_receipts(hoa, month_date, accounts, progress=bar.update)
    Path(output).write_bytes(pdf)
    click.echo(f"{len(accounts)} receipts written to {output}")
