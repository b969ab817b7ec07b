"""Loading a month again: what the preview says it replaces, the rows a load deletes kept in the
database, and undoing the latest load of a month with them.

A month in the files replaces that month of the same kind whole (importbatch.py). The preview
compares, per kind and month, the rows and sums in Domkom with those of the files, and names
the accounts whose rows go although the files do not mention them. Saving copies the rows it
deletes into ReplacedRow by INSERT … SELECT, so no row passes through Python however big the
month; undoing deletes what the load wrote and copies them back, ids included, while no later
load has replaced the same month and kind.
"""
import json
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from peewee import JOIN, Value, fn

from formats import format_money, format_period, format_time
from importruns import ImportMonth, ImportRun, ReplacedRow
from models import (
    Account, Accountant, AuditEvent, Charge, Hoa, ImportLog, MonthBalance, Payment, db, now,
)

SHOWN_ACCOUNTS = 10  # accounts named in a warning; the rest are counted
ZERO = Decimal("0.00")
KIND_WORDS = {"charges": _l("Charges"), "balances": _l("Opening balances and penalties"),
              "payments": _l("Payments")}
# what each kind's rows and sum are read from
TABLES = {"charges": Charge, "balances": MonthBalance, "payments": Payment}
SUMS = {"charges": Charge.amount + Charge.recalculation - Charge.benefit,
        "balances": MonthBalance.opening_balance, "payments": Payment.amount}
COPIED = {  # the columns ReplacedRow keeps of each table
    Charge: ("service", "unit", "volume", "tariff", "amount", "recalculation", "benefit"),
    MonthBalance: ("opening_balance", "penalty"),
    Payment: ("paid_on", "amount", "reference"),
}


class Refused(Exception):
    """Why a load cannot be undone; str() is the message for the accountant."""


@dataclass
class Change:
    """One kind's month as the preview shows it: now in Domkom, and after the load."""
    kind: str
    month: object
    rows_before: int = 0
    sum_before: Decimal = ZERO
    rows_after: int = 0
    sum_after: Decimal = ZERO
    absent: list = field(default_factory=list)  # (number, rows, sum) of the first accounts
    absent_count: int = 0
    absent_rows: int = 0
    absent_sum: Decimal = ZERO

    @property
    def words(self):
        return KIND_WORDS[self.kind]

    @property
    def warning(self):
        return warning(self)


def hoa_accounts(hoa):
    return Account.select(Account.id).where(Account.hoa == hoa)


def figures_now(hoa, kind, months):
    """{month: (rows, sum)} of a kind in Domkom now, for the given months."""
    model = TABLES[kind]
    query = (model.select(model.period, fn.COUNT(model.id), fn.SUM(SUMS[kind]))
             .where(model.period.in_(sorted(months)), model.account.in_(hoa_accounts(hoa)))
             .group_by(model.period).tuples())
    return {period: (rows, cents(total)) for period, rows, total in query}


def cents(total):
    """A SUM as money: SQLite sums DECIMAL columns as floats."""
    return ZERO if total is None else Decimal(total).quantize(ZERO)


def preview(batch):
    """The Changes of a checked batch, by month and kind: what loading it removes and adds."""
    after = defaultdict(lambda: [0, ZERO, set()])
    for number, month, _s, _u, _v, _t, amount, recalculation, benefit in batch.charges:
        figures = after[("charges", month)]
        figures[0] += 1
        figures[1] += amount + recalculation - benefit
        figures[2].add(number)
        after[("balances", month)]  # a month of charges replaces its balances too
    for (number, month), (opening, _penalty, _row) in batch.balances.items():
        figures = after[("balances", month)]
        figures[0] += 1
        figures[1] += opening or 0
        figures[2].add(number)
    for number, month, _paid_on, amount, _reference in batch.payments:
        figures = after[("payments", month)]
        figures[0] += 1
        figures[1] += amount
        figures[2].add(number)
    changes = []
    for kind in TABLES:
        months = {month for k, month in after if k == kind}
        before = figures_now(batch.hoa, kind, months) if months else {}
        for month in months:
            rows, total, numbers = after[(kind, month)]
            change = Change(kind, month, *before.get(month, (0, ZERO)), rows, total)
            if change.rows_before:
                find_absent(batch.hoa, change, numbers)
            if change.rows_before or change.rows_after:
                changes.append(change)
    order = list(TABLES)
    return sorted(changes, key=lambda c: (c.month, order.index(c.kind)))


def find_absent(hoa, change, numbers):
    """The accounts whose rows of the month go although the files do not name them: the first
    SHOWN_ACCOUNTS with their rows and sums, the rest only counted. The query is read row by
    row, so a big HOA's month is never held in memory."""
    model = TABLES[change.kind]
    query = (model.select(Account.number, fn.COUNT(model.id), fn.SUM(SUMS[change.kind]))
             .join(Account).where(Account.hoa == hoa, model.period == change.month)
             .group_by(Account.number).order_by(Account.number).tuples())
    for number, rows, total in query.iterator():
        if number in numbers:
            continue
        total = cents(total)
        if len(change.absent) < SHOWN_ACCOUNTS:
            change.absent.append((number, rows, total))
        change.absent_count += 1
        change.absent_rows += rows
        change.absent_sum += total


def warning(change):
    """The preview's warning about rows of accounts missing from the files, or ""."""
    if not change.absent_count:
        return ""
    where = _("%(what)s, %(month)s", what=change.words, month=format_period(change.month))
    if change.kind == "balances" and not change.rows_after:
        return ngettext("%(where)s: the files have no opening balances or penalties, so those "
                        "loaded earlier for %(num)s account will be removed.",
                        "%(where)s: the files have no opening balances or penalties, so those "
                        "loaded earlier for %(num)s accounts will be removed.",
                        change.absent_count, where=where)
    named = "; ".join(f"{number} — {format_money(total)}" for number, _rows, total in
                      change.absent)
    text = _("%(where)s: the rows of accounts that are not in the new files will be removed: "
             "%(accounts)s.", where=where, accounts=named)
    hidden = change.absent_count - len(change.absent)
    if hidden:
        text += " " + ngettext(
            "And %(num)s more account; rows removed of such accounts in all: %(rows)s, for "
            "%(sum)s.", "And %(num)s more accounts; rows removed of such accounts in all: "
            "%(rows)s, for %(sum)s.", hidden, rows=change.absent_rows,
            sum=format_money(change.absent_sum))
    return text


# --- saving: the rows a load replaces are kept ------------------------------------------------

def hold(hoa):
    """Take the HOA's row for this transaction (a write that changes nothing): loads and undos
    of one HOA then follow one another, on SQLite and PostgreSQL alike."""
    Hoa.update(name=Hoa.name).where(Hoa.id == hoa.id).execute()


def start_run(hoa, accountant, names):
    hold(hoa)
    return ImportRun.create(hoa=hoa, accountant=accountant, files="\n".join(names))


def keep_replaced(run, kind, months):
    """Before a load deletes a kind's months: note their figures and copy their rows."""
    if not months:
        return
    for period, (rows, total) in figures_now(run.hoa_id, kind, months).items():
        ImportMonth.create(run=run, kind=kind, period=period, rows_before=rows, sum_before=total)
    model = TABLES[kind]
    names = COPIED[model]
    columns = [Value(run.id), Value(model._meta.table_name), model.id, model.account,
               model.period, *[getattr(model, name) for name in names]]
    query = model.select(*columns).where(model.period.in_(sorted(months)),
                                         model.account.in_(hoa_accounts(run.hoa_id)))
    ReplacedRow.insert_from(query, [ReplacedRow.run, ReplacedRow.source, ReplacedRow.row_id,
                                    ReplacedRow.account, ReplacedRow.period,
                                    *[getattr(ReplacedRow, name) for name in names]]).execute()


def note_written(run, kind, months):
    """After a load wrote a kind's months: their figures now."""
    if not months:
        return
    written = figures_now(run.hoa_id, kind, months)
    for period in months:
        rows, total = written.get(period, (0, ZERO))
        updated = (ImportMonth.update(rows_after=rows, sum_after=total)
                   .where(ImportMonth.run == run, ImportMonth.kind == kind,
                          ImportMonth.period == period).execute())
        if not updated:
            ImportMonth.create(run=run, kind=kind, period=period, rows_after=rows,
                               sum_after=total)


# --- undoing ----------------------------------------------------------------------------------

def months_of(run):
    return list(run.months.order_by(ImportMonth.period, ImportMonth.kind))


def later_load(run, months):
    """(later load, its month) of the first load after this one, not undone, that replaced a
    month of a kind this one did; None when there is none."""
    mine = {(m.kind, m.period) for m in months}
    query = (ImportMonth.select(ImportMonth, ImportRun).join(ImportRun)
             .where(ImportRun.hoa == run.hoa_id, ImportRun.id > run.id,
                    ImportRun.undone_at.is_null(),
                    ImportMonth.period.in_(sorted({period for _k, period in mine})))
             .order_by(ImportRun.id, ImportMonth.period))
    for month in query:
        if (month.kind, month.period) in mine:
            return month.run, month
    return None


def refusal(run, months, time_zone):
    """Why the load cannot be undone now, or None when it can."""
    if run.undone_at:
        return _("This load was already undone on %(when)s by %(who)s.",
                 when=format_time(run.undone_at, time_zone), who=run.undone_by_email or "—")
    if not months:
        return _("This load replaced no month of charges or payments, so there is nothing to "
                 "undo. Accounts and meters are corrected by loading their files again.")
    later = later_load(run, months)
    if later:
        other, month = later
        return _("This load cannot be undone: %(what)s for %(month)s were loaded again later, "
                 "on %(when)s (%(files)s). Undo that later load first.",
                 what=str(KIND_WORDS[month.kind]).lower(), month=format_period(month.period),
                 when=format_time(other.created_at, time_zone),
                 files=", ".join(other.file_names))
    return None


def undo(run, accountant, ip=""):
    """Delete what the load wrote and put back the rows it replaced, in one transaction;
    raises Refused when it cannot be undone."""
    hoa = Hoa.get_by_id(run.hoa_id)
    with db.atomic():
        hold(hoa)  # a load or another undo of this HOA waits until this one is done
        run = ImportRun.get_by_id(run.id)
        months = months_of(run)
        problem = refusal(run, months, hoa.time_zone)
        if problem:
            raise Refused(problem)
        accounts = hoa_accounts(hoa)
        for kind, model in TABLES.items():
            periods = sorted({m.period for m in months if m.kind == kind})
            if periods:
                model.delete().where(model.period.in_(periods),
                                     model.account.in_(accounts)).execute()
        for model in COPIED:
            put_back(run, model)
        ReplacedRow.delete().where(ReplacedRow.run == run).execute()
        run.undone_at = now()
        run.undone_by = accountant
        run.undone_by_email = AuditEvent.email_of(None, accountant)
        run.save()
        AuditEvent.record("import_undone", ip, hoa=hoa, accountant=accountant, detail=json.dumps(
            {"run": run.id, "files": run.file_names,
             "months": [[m.kind, str(m.period)[:7], m.rows_after, str(m.sum_after),
                         m.rows_before, str(m.sum_before)] for m in months]},
            ensure_ascii=False))
    return months


def put_back(run, model):
    """Copy the load's replaced rows of one table back, under their own ids. SQLite gives
    out the highest id + 1, so a deleted row's id may have gone to a later load's row of
    another month meanwhile: such a row (marked by id 0 first) comes back under a new id."""
    names = COPIED[model]
    mine = (ReplacedRow.run == run) & (ReplacedRow.source == model._meta.table_name)
    ReplacedRow.update(row_id=0).where(mine, ReplacedRow.row_id.in_(model.select(model.id))) \
        .execute()
    kept = ReplacedRow.select(ReplacedRow.account, ReplacedRow.period,
                              *[getattr(ReplacedRow, name) for name in names]).where(mine)
    fields = [model.account, model.period, *[getattr(model, name) for name in names]]
    model.insert_from(kept.select_extend(ReplacedRow.row_id).where(ReplacedRow.row_id != 0),
                      fields + [model.id]).execute()
    model.insert_from(kept.where(ReplacedRow.row_id == 0), fields).execute()


# --- the list of loads ------------------------------------------------------------------------

@dataclass
class HistoryRow:
    log: object
    counts: dict
    run: object = None  # on the first row of its load shown, else None
    span: int = 1  # rows of the page its load's cell spans
    own_cell: bool = True  # False for the further files of a load, under its first one's cell
    undoable: bool = False


def history(hoa, page, per_page):
    """(rows of the page, the page, pages): the files loaded, newest first, each load's first
    row carrying the load and whether it replaced months (so that it may be undone)."""
    query = ImportLog.select(ImportLog, Accountant).join(Accountant, JOIN.LEFT_OUTER).where(
        ImportLog.hoa == hoa).order_by(ImportLog.created_at.desc(), ImportLog.id.desc())
    pages = max(1, -(-query.count() // per_page))
    page = min(max(page, 1), pages)
    logs = list(query.paginate(page, per_page))
    ids = {log.run for log in logs if log.run}
    runs = {run.id: run for run in ImportRun.select().where(ImportRun.id.in_(sorted(ids)))}
    replacing = {run_id for run_id, in ImportMonth.select(ImportMonth.run).where(
        ImportMonth.run.in_(sorted(ids))).distinct().tuples()}
    spans = Counter(log.run for log in logs)
    rows, seen = [], set()
    for log in logs:
        first = log.run is not None and log.run not in seen
        seen.add(log.run)
        run = runs.get(log.run) if first else None
        rows.append(HistoryRow(log, json.loads(log.counts), run, spans[log.run] if first else 1,
                               log.run is None or first,
                               run is not None and run.id in replacing and not run.undone_at))
    return rows, page, pages
