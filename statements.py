"""Charges and payments month by month, the receipt PDF and its QR code; the house's receipts."""
import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from io import BytesIO
from pathlib import Path

import click
from flask import Blueprint, Response, abort, render_template, request, send_file
from flask_login import current_user
from peewee import Select, fn

import forked
import receipts
from auth import resident_required
from readings import today
from models import Account, Charge, Hoa, Meter, MonthBalance, Payment, Reading, db, parse_period
from speedups import Prepared

bp = Blueprint("statements", __name__, cli_group=None)

ZERO = Decimal("0.00")
YEAR = re.compile(r"[0-9]{4}")
RECENT_MONTHS = 12  # the statements page without ?year=


# the queries every statement page runs, their SQL built once (speedups.Prepared); a month
# range's ends are dates, date.min and date.max when open
CHARGE_SUMS = Prepared(lambda account_id, since, until: (
    Charge.select(Charge.period, fn.SUM(Charge.amount), fn.SUM(Charge.recalculation),
                  fn.SUM(Charge.benefit))
    .where(Charge.account == account_id, Charge.period >= since, Charge.period <= until)
    .group_by(Charge.period).tuples()))
PAYMENT_SUMS = Prepared(lambda account_id, since, until: (
    Payment.select(Payment.period, fn.SUM(Payment.amount))
    .where(Payment.account == account_id, Payment.period >= since, Payment.period <= until)
    .group_by(Payment.period).tuples()))
CHARGE_ROWS = Prepared(lambda account_id, since, until: (
    Charge.select()
    .where(Charge.account == account_id, Charge.period >= since, Charge.period <= until)
    .order_by(Charge.id)))
PAYMENT_ROWS = Prepared(lambda account_id, since, until: (
    Payment.select()
    .where(Payment.account == account_id, Payment.period >= since, Payment.period <= until)
    .order_by(Payment.paid_on, Payment.id)))
BALANCES = Prepared(lambda account_id, since, until: (
    MonthBalance.select(MonthBalance.period, MonthBalance.opening_balance, MonthBalance.penalty)
    .where(MonthBalance.account == account_id, MonthBalance.period >= since,
           MonthBalance.period <= until).tuples()))
# the latest month of charges, of payments and of balances, in one query (three index lookups)
LATEST_PERIODS = Prepared(lambda account_id: Select(columns=[
    model.select(fn.MAX(model.period)).where(model.account == account_id)
    for model in (Charge, Payment, MonthBalance)]).bind(db).tuples())


@dataclass
class Statement:
    """One account's figures for one month: the pages, the PDF and the QR code all read these."""
    account: Account
    period: date
    opening: Decimal = ZERO  # positive is debt, negative is advance
    penalty: Decimal = ZERO
    charges: list = field(default_factory=list)
    payments: list = field(default_factory=list)

    # the month's sums read by SQL (SUM … GROUP BY period) when its rows were not needed
    totals: dict = None

    def _total(self, name, rows):
        if self.totals is not None:
            return self.totals[name]
        return sum((getattr(row, "amount" if name in ("charged", "paid") else name) for row in rows),
                   ZERO)

    @property
    def charged(self):
        return self._total("charged", self.charges)

    @property
    def recalculations(self):
        return self._total("recalculation", self.charges)

    @property
    def benefits(self):
        return self._total("benefit", self.charges)

    @property
    def charged_to_pay(self):
        return self.charged + self.recalculations - self.benefits

    @property
    def paid(self):
        return self._total("paid", self.payments)

    @property
    def closing(self):
        return self.opening + self.charged_to_pay + self.penalty - self.paid

    @property
    def total_due(self):
        """ИТОГО К ОПЛАТЕ: the closing debt; nothing when the month ends with an advance."""
        return max(self.closing, ZERO)

    @classmethod
    def history(cls, account, since=None, until=None, detailed=None, balances=None):
        """Every month with data, oldest first. A month without a stored opening balance opens
        with the previous month's closing one. Months are read as sums per month, in SQL; the
        `detailed` one (a period, or True for all) also gets its charge and payment rows.
        `balances`: the range's stored (period, opening, penalty) rows when already read."""
        months = {}

        def month(period):
            return months.setdefault(period, cls(account, period))

        account_id = account.id
        since = date.min if since is None else since
        until = date.max if until is None else until
        cent = Decimal("0.01")

        def money(value):
            return ZERO if value is None else Decimal(value).quantize(cent)

        # a single detailed month (its opening balance stored) needs its rows only
        only_rows = detailed is True or (detailed is not None and since == until == detailed)
        if not only_rows:
            for period, charged, recalculation, benefit in CHARGE_SUMS(account_id, since, until):
                month(period).totals = {"charged": money(charged),
                                        "recalculation": money(recalculation),
                                        "benefit": money(benefit), "paid": ZERO}
            for period, paid in PAYMENT_SUMS(account_id, since, until):
                statement = month(period)
                if statement.totals is None:
                    statement.totals = {"charged": ZERO, "recalculation": ZERO, "benefit": ZERO}
                statement.totals["paid"] = money(paid)
        if detailed is not None:
            first, last = (since, until) if detailed is True else (detailed, detailed)
            for charge in CHARGE_ROWS(account_id, first, last):
                month(charge.period).charges.append(charge)
            for payment in PAYMENT_ROWS(account_id, first, last):
                month(payment.period).payments.append(payment)
            for statement in months.values():
                if detailed is True or statement.period == detailed:
                    statement.totals = None  # the rows are read: sum them exactly as they are
        if balances is None:
            balances = BALANCES(account_id, since, until)
        stored = {period: (opening, penalty) for period, opening, penalty in balances}
        previous = None
        for period in sorted(set(months) | set(stored)):
            statement = month(period)
            if period in stored:
                statement.opening, statement.penalty = stored[period]
            elif previous is not None:
                statement.opening = previous.closing
            previous = statement
        return [months[p] for p in sorted(months)]

    @classmethod
    def for_month(cls, account, period, detailed=True):
        """The month's statement, or None when the month has no data for this account; with
        its charge and payment rows unless not `detailed` (then its sums only)."""
        stored = BALANCES.first(account.id, period, period)
        # with the month's opening balance stored, earlier months need not be read
        history = cls.history(account, since=period if stored else None, until=period,
                              detailed=period if detailed else None,
                              balances=[stored] if stored else None)
        if history and history[-1].period == period:
            return history[-1]
        return None


def meter_readings(account, period):
    """(meter, values per zone, submitted_at or None) for the account's meters: the reading
    that counts for their latest month up to `period`, else the meter's initial values."""
    meters = list(Meter.select().where(Meter.account == account, Meter.archived == False)  # noqa: E712
                  .order_by(Meter.kind, Meter.id))
    if not meters:
        return []
    latest = Reading.latest_counting(meters, period)
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
    period = parse_period(text)
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

    # imported here: the web worker imports this module, and the PDF code (fpdf2, fontTools:
    # ~30 MB) is loaded only where receipts are drawn, in the render process or the command
    import receipt_pdf
    return receipt_pdf.render_batch(items(), progress=progress)


# --- the resident's pages --------------------------------------------------------------------

bp.add_app_template_filter(receipts.tariff_text, "tariff")


@bp.app_template_global()
def balance_summary(account):
    """The latest month's statement for the cabinet's balance box, or None."""
    # the latest month with data, by the (account, period) indexes, then only what that
    # month needs: reading every month here cost the cabinet page three quarters of its time
    latest = [Charge.period.python_value(value) for value in LATEST_PERIODS.first(account.id)
              if value is not None]
    return Statement.for_month(account, max(latest), detailed=False) if latest else None


@bp.app_template_global()
def standing_of(statement):
    """('debt' | 'due' | 'advance' | 'zero', the bill's pay-by day). A closing balance owed is
    a debt only once the pay-by day has passed or when a sum from before this bill is still
    unpaid; until then it is simply this bill, due by that day."""
    pay_by = receipts.pay_by_date(statement.account.hoa, statement.period)
    if statement.closing < 0:
        return "advance", pay_by
    if statement.closing == 0:
        return "zero", pay_by
    unpaid_before = statement.opening + statement.penalty - statement.paid > 0
    return ("debt" if unpaid_before or today() > pay_by else "due"), pay_by


def statement_or_page(period_text):
    period = period_from_url(period_text)
    statement = Statement.for_month(current_user.account, period)
    if statement is None:
        return period, None, (render_template("statements/empty.html", period=period), 404)
    return period, statement, None


@bp.route("/cabinet/statements")
@resident_required
def index():
    """The latest RECENT_MONTHS months, newest first, or one calendar year's (?year=2025):
    the page stays the same size however long the account's history grows."""
    account = current_user.account
    history = Statement.history(account)
    years = sorted({s.period.year for s in history}, reverse=True)
    year = request.args.get("year")
    if year is None:
        months = history[-RECENT_MONTHS:]
        # «Earlier months» offers only the years with months before those on the screen
        years = sorted({s.period.year for s in history[:-RECENT_MONTHS]}, reverse=True)
    else:
        year = int(year) if YEAR.fullmatch(year) else None
        if year not in years:
            abort(404)
        months = [s for s in history if s.period.year == year]
    return render_template("statements/index.html", account=account, months=months[::-1],
                           latest=history[-1] if history else None, year=year,
                           years=years if len(history) > RECENT_MONTHS else [])


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
    pdf = forked.run("receipt_pdf.render_receipt", statement, meter_readings(account, period))
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
    month_date = parse_period(period)
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
