"""The month's figures: an account's charges, payments and balance month by month
(`Statement`), the readings its receipt shows, and the HOA's months and accounts with data."""
import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from peewee import SQL, Select, fn

from meter_models import Meter, Reading
from models import Account, Charge, MonthBalance, Payment, db, today
from periods import add_months, last_day_of_month
from speedups import Prepared

ZERO = Decimal("0.00")


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
# the latest charged month (an index lookup)
LATEST_CHARGE = Prepared(lambda account_id: Select(columns=[
    Charge.select(fn.MAX(Charge.period)).where(Charge.account == account_id)]).bind(db).tuples())
# whether a month after this one has charges, and what was paid for the months after it
LATER_CHARGE = Prepared(lambda account_id, period: (
    Charge.select(Charge.id).where(Charge.account == account_id, Charge.period > period)
    .limit(1).tuples()))
PAID_AFTER = Prepared(lambda account_id, period: (
    Payment.select(fn.SUM(Payment.amount))
    .where(Payment.account == account_id, Payment.period > period).tuples()))


@dataclass
class Statement:
    """One account's figures for one month: the pages, the PDF and the QR code all read these."""
    account: Account
    period: date
    opening: Decimal = ZERO  # positive is debt, negative is advance
    penalty: Decimal = ZERO
    charges: list = field(default_factory=list)
    payments: list = field(default_factory=list)
    billed: bool = False  # the month has charges: only such a month is a receipt month
    # payments counted in later months not billed yet: they lower what is due now
    paid_since: Decimal = ZERO

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

    @property
    def due_now(self):
        """The closing balance less the payments made since this bill (positive is owed)."""
        return self.closing - self.paid_since

    @property
    def to_pay_now(self):
        """What is left to pay of this bill: the sum the payment QR code asks for."""
        return max(self.due_now, ZERO)

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
                month(period).billed = True
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
                month(charge.period).billed = True
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


def month_statements(accounts, period):
    """Statement.for_month(account, period) of each account, in order, read for all of them in
    three queries (a house's receipts: 2–4 queries per account cost ~2.5 ms a receipt, read
    this way with the meters ~1 ms, on a loaded machine). An
    account without a stored opening balance for the month is read alone, as for_month does."""
    ids = [account.id for account in accounts]
    stored = {account_id: (opening, penalty) for account_id, opening, penalty in
              MonthBalance.select(MonthBalance.account, MonthBalance.opening_balance,
                                  MonthBalance.penalty)
              .where(MonthBalance.account.in_(ids), MonthBalance.period == period).tuples()}
    charges, payments = {}, {}
    for charge in (Charge.select().where(Charge.account.in_(ids), Charge.period == period)
                   .order_by(Charge.id)):
        charges.setdefault(charge.account_id, []).append(charge)
    for payment in (Payment.select().where(Payment.account.in_(ids), Payment.period == period)
                    .order_by(Payment.paid_on, Payment.id)):
        payments.setdefault(payment.account_id, []).append(payment)
    statements = []
    for account in accounts:
        if account.id not in stored:
            statements.append(Statement.for_month(account, period))
            continue
        statement = Statement(account, period, charges=charges.get(account.id, []),
                              payments=payments.get(account.id, []))
        statement.billed = bool(statement.charges)
        statement.opening, statement.penalty = stored[account.id]
        statements.append(statement)
    return statements


def meter_readings(account, period):
    """(meter, values per zone, submitted_at or None) for the account's meters: the reading
    that counts for their latest month up to `period`, else the meter's initial values."""
    meters = list(Meter.select().where(Meter.account == account, Meter.archived == False)  # noqa: E712
                  .order_by(Meter.kind, Meter.id))
    if not meters:
        return []
    return reading_rows(meters, Reading.latest_counting(meters, period))


def house_meter_readings(accounts, period):
    """{account id: meter_readings(account, period)} for many accounts, in two queries."""
    ids = [account.id for account in accounts]
    meters = list(Meter.select().where(Meter.account.in_(ids), Meter.archived == False)  # noqa: E712
                  .order_by(Meter.account, Meter.kind, Meter.id))
    latest = Reading.latest_counting_of_accounts(ids, period)
    by_account = {}
    for meter in meters:
        by_account.setdefault(meter.account_id, []).append(meter)
    return {account_id: reading_rows(own, latest) for account_id, own in by_account.items()}


def reading_rows(meters, latest):
    rows = []
    for meter in meters:
        reading = latest.get(meter.id)
        if reading is not None:
            values, when = (reading.t1, reading.t2, reading.t3), reading.submitted_at
        else:
            values, when = (meter.initial_t1, meter.initial_t2, meter.initial_t3), None
        rows.append((meter, values[:max(1, min(meter.zones, 3))], when))
    return rows


def address_key(account):
    """Address order: street and house, then the apartment as a number where it is one."""
    apartment = account.apartment or ""
    digits = re.match(r"\d+", apartment)
    return (account.address, int(digits.group()) if digits else 0, apartment, account.number)


def house_periods(hoa):
    """The HOA's receipt months, newest first: the months with charges. Payments made after
    the latest charged month do not make a month of their own; the next bill counts them.

    Read month by month down the index on the charge's month, each step asking for the
    latest month before the last one found: a few index steps a month instead of reading the
    house's millions of charge lines (17 ms instead of 6 s at 100,000 accounts)."""
    of_hoa = fn.EXISTS(Account.select(Account.id).where(Account.id == Charge.account,
                                                         Account.hoa == hoa))
    periods = []
    while True:
        query = Charge.select(Charge.period).where(of_hoa)
        if periods:
            query = query.where(Charge.period < periods[-1])
        latest = query.order_by(Charge.period.desc()).limit(1).first()
        if latest is None:
            return periods
        periods.append(latest.period)


def accounts_with_data_query(hoa, period):
    """The HOA's accounts having charges, payments or a balance for the month (a query: each
    account is looked up in the three tables' (account, month) indexes)."""
    def having(model):  # EXISTS, not IN: PostgreSQL hashes no IN list of 800,000 ids inside an OR
        return fn.EXISTS(model.select(SQL("1")).where(model.account == Account.id,
                                                      model.period == period))
    return Account.select().where(Account.hoa == hoa,
                                  having(Charge) | having(MonthBalance) | having(Payment))


def is_receipt_month(hoa, period):
    """True when some account of the HOA has charges for the month."""
    return Charge.select().join(Account).where(Account.hoa == hoa, Charge.period == period).exists()


def accounts_with_data(hoa, period):
    """The HOA's accounts having data for the month, in address order; none when the month
    has no charges in the HOA (it is not a receipt month)."""
    if not is_receipt_month(hoa, period):
        return []
    return sorted(accounts_with_data_query(hoa, period), key=address_key)


def count_with_data(hoa, period):
    """How many receipts the month has: len(accounts_with_data()) without loading them."""
    return accounts_with_data_query(hoa, period).count() if is_receipt_month(hoa, period) else 0


def paid_since(statement):
    """Set and return the payments counted after the statement's month when it is the
    account's latest bill: those months have no charges yet, so no bill of their own."""
    account_id = statement.account.id
    later = LATER_CHARGE.first(account_id, statement.period) is not None
    total = ZERO if later else PAID_AFTER.first(account_id, statement.period)[0]
    statement.paid_since = ZERO if total is None else Decimal(total).quantize(Decimal("0.01"))
    return statement.paid_since


def latest_bill(history):
    """The latest billed month of an account's `history` (Statement.history), with the
    payments of the months after it as its `paid_since`; None when nothing is billed."""
    billed = [index for index, statement in enumerate(history) if statement.billed]
    if not billed:
        return None
    latest = history[billed[-1]]
    latest.paid_since = sum((later.paid for later in history[billed[-1] + 1:]), ZERO)
    return latest


def balance_summary(account):
    """The latest bill's statement for the cabinet's balance box (with the payments made
    since it), or None."""
    # the latest charged month, by the (account, period) index, then only what that month
    # needs: reading every month here cost the cabinet page three quarters of its time
    period = LATEST_CHARGE.first(account.id)[0]
    if period is None:
        return None
    statement = Statement.for_month(account, Charge.period.python_value(period), detailed=False)
    paid_since(statement)
    return statement


def pay_by_date(hoa, period):
    """The day the bill for `period` is to be paid by: the HOA's pay-by day of the next month."""
    following = add_months(period, 1)
    return following.replace(day=min(max(hoa.pay_by_day, 1), last_day_of_month(following).day))


def standing_of(statement):
    """('debt' | 'due' | 'advance' | 'zero', the bill's pay-by day). A closing balance owed is
    a debt only once the pay-by day has passed or when a sum from before this bill is still
    unpaid; until then it is simply this bill, due by that day."""
    pay_by = pay_by_date(statement.account.hoa, statement.period)
    if statement.due_now < 0:
        return "advance", pay_by
    if statement.due_now == 0:
        return "zero", pay_by
    unpaid_before = (statement.opening + statement.penalty - statement.paid
                     - statement.paid_since > 0)
    return ("debt" if unpaid_before or today() > pay_by else "due"), pay_by
