"""Loading the billing program's files (accounts, charges, payments, meters) from CSV or XLSX.

`Batch(hoa, files)` reads and checks every file without writing anything: its `problems`
(file, row, column, message) and `summary()`, the preview's figures; `Batch.save()` then
writes everything in one transaction. The formats are in docs/formats.md; importfiles.py
reads a file into rows, importcolumns.py holds the columns of each kind and their cells.
"""
import json
from collections import Counter, defaultdict
from decimal import Decimal

from flask_babel import gettext as _

import reimport
from formats import format_money
from importcolumns import ACCOUNT_BLANKS, KINDS, METER_UNITS
from importfiles import Problem, parse_file
from meter_models import Meter
from models import Account, AuditEvent, Charge, Hoa, ImportLog, MonthBalance, Payment, db
from speedups import insert_rows

MAX_PROBLEMS = 200  # shown on the preview page; the command line prints them all


class Batch:
    """The files of one load, read and checked; nothing is written until `save()`."""

    def __init__(self, hoa, files, progress=None):
        self.hoa = hoa
        self.problems = []
        self.files = []
        for name, data in files:
            self.files.append(parse_file(name, data, self.problems))
            if progress:
                progress(name)
        self.accounts, self.charges, self.balances = {}, [], {}
        self.payments, self.meters = [], {}
        self.resolve()  # on files with bad cells too: one preview lists every problem

    @property
    def ok(self):
        return not self.problems

    def problem(self, parsed, row, column, message):
        self.problems.append(Problem(parsed.name, row, parsed.titles.get(column, column), message))

    def of_kind(self, kind):
        return [f for f in self.files if f.kind == kind]

    @staticmethod
    def records(parsed):
        """The rows as (row number, {column name: value}), for the kinds that are not bulky."""
        names = [column.name for column in KINDS[parsed.kind]]
        return [(row, dict(zip(names, values))) for row, values in parsed.rows]

    def own_records(self, parsed):
        """The records of accounts this HOA may load; each other row is a problem."""
        for row, v in self.records(parsed):
            message = self.foreign(v["account"])
            if message:
                self.problem(parsed, row, "account", message)
            else:
                yield row, v

    def resolve(self):
        """Check accounts, duplicates and HOA boundaries; collect the rows to save."""
        hoa = self.hoa
        self.known = dict(Account.select(Account.number, Account.id)
                          .where(Account.hoa == hoa).tuples())
        self.verdicts = {}
        self.hoas = list(Hoa.select())
        self.elsewhere = self.accounts_elsewhere()
        self.held = {number for parsed in self.of_kind("accounts")
                     for _row, number in parsed.unchecked}  # not judged "unknown" elsewhere
        seen = {}
        for parsed in self.of_kind("accounts"):
            for row, values in self.records(parsed):
                number = values["number"]
                if self.duplicate(seen, ("accounts", number), parsed, row):
                    continue
                message = self.foreign(number, own_prefix_needed=True)
                if message:
                    self.problem(parsed, row, "number", message)
                else:
                    self.accounts[number] = (values, parsed)
        for parsed in self.files:
            for row, number in parsed.unchecked:
                message = self.foreign(number, own_prefix_needed=parsed.kind == "accounts")
                if message:
                    self.problem(parsed, row, "number" if parsed.kind == "accounts"
                                 else "account", message)
        for kind in ("charges", "payments", "meters"):
            for parsed in self.of_kind(kind):
                getattr(self, f"take_{kind}")(parsed, seen)

    def duplicate(self, seen, key, parsed, row):
        if key in seen:
            name, first = seen[key]
            self.problem(parsed, row, "", _("This row repeats %(file)s, row %(row)s.",
                                            file=name, row=first))
            return True
        seen[key] = (parsed.name, row)
        return False

    def foreign(self, number, own_prefix_needed=False):
        """Why an account number cannot be used in this HOA, or None when it can."""
        if number in self.known or (not own_prefix_needed and (
                number in self.accounts or number in self.held)):
            return None
        key = (number, own_prefix_needed)
        if key not in self.verdicts:
            self.verdicts[key] = self.judge(number, own_prefix_needed)
        return self.verdicts[key]

    def accounts_elsewhere(self):
        """{number: HOA id} of the batch's account numbers that are not this HOA's, in a few
        queries: judging thousands of foreign numbers one query each took minutes."""
        numbers = set()
        for parsed in self.files:
            names = [column.name for column in KINDS[parsed.kind]] if parsed.kind else []
            at = names.index("number" if parsed.kind == "accounts" else "account") \
                if names else None
            numbers.update(values[at] for _row, values in parsed.rows if at is not None)
            numbers.update(number for _row, number in parsed.unchecked)
        numbers = sorted(numbers - self.known.keys())
        found = {}
        for start in range(0, len(numbers), 500):
            found.update(Account.select(Account.number, Account.hoa)
                         .where(Account.number.in_(numbers[start:start + 500])).tuples())
        return found

    def judge(self, number, own_prefix_needed):
        owner = Hoa.for_number(number, self.hoas)
        other_hoa = self.elsewhere.get(number)
        if (other_hoa is not None and other_hoa != self.hoa.id) or \
                (owner is not None and owner.id != self.hoa.id):
            return _("Account %(number)s belongs to another HOA.", number=number)
        if own_prefix_needed:
            if self.hoa.prefix_list and owner is None:
                return _("Account %(number)s does not start with this HOA's prefix "
                         "(%(prefixes)s).", number=number, prefixes=self.hoa.prefixes)
            return None
        return _("Account %(number)s is not among this HOA's accounts. Load the accounts file "
                 "first or check the number.", number=number)

    def take_charges(self, parsed, seen):
        has_balance = "opening_balance" in parsed.titles or "penalty" in parsed.titles
        zero = Decimal("0.00")
        known = self.known  # the loop below runs for every charge row: keep it lean
        for row, (month, number, service, unit, volume, tariff, amount, recalculation, benefit,
                  opening, penalty, to_pay) in parsed.rows:
            if number not in known:
                message = self.foreign(number)
                if message:
                    self.problem(parsed, row, "account", message)
                    continue
            key = ("charges", month, number, service.lower())
            if key in seen:
                self.duplicate(seen, key, parsed, row)
                continue
            seen[key] = (parsed.name, row)
            recalculation, benefit = recalculation or zero, benefit or zero
            if to_pay is not None and to_pay != amount + recalculation - benefit:
                self.problem(parsed, row, "to_pay", _(
                    "«To pay» %(given)s differs from amount + recalculation − benefit = "
                    "%(computed)s.", given=format_money(to_pay, currency=False),
                    computed=format_money(amount + recalculation - benefit, currency=False)))
                continue
            self.charges.append((number, month, service, unit or "", volume or 0, tariff or 0,
                                 amount, recalculation, benefit))
            if has_balance:
                self.take_balance(parsed, row, (number, month), opening, penalty)

    def take_balance(self, parsed, row, key, opening, penalty):
        if key not in self.balances:
            self.balances[key] = [None, None, row]
        balance = self.balances[key]
        for slot, name, value in ((0, "opening_balance", opening), (1, "penalty", penalty)):
            if value is None:
                continue
            if balance[slot] is not None and balance[slot] != value:
                self.problem(parsed, row, name, _(
                    "The value differs from row %(row)s of the same account and month.",
                    row=balance[2]))
            balance[slot] = value

    def take_payments(self, parsed, seen):
        for row, v in self.own_records(parsed):
            number = v["account"]
            month = v["period"] or v["paid_on"].replace(day=1)
            key = ("payments", number, v["paid_on"], v["amount"], v["reference"] or "")
            if not self.duplicate(seen, key, parsed, row):
                self.payments.append((number, month, v["paid_on"], v["amount"],
                                      v["reference"] or ""))

    def take_meters(self, parsed, seen):
        for row, v in self.own_records(parsed):
            number = v["account"]
            if self.duplicate(seen, ("meters", number, v["serial"]), parsed, row):
                continue
            readings = [v["initial_t1"], v["initial_t2"], v["initial_t3"]]
            given = [i + 1 for i, r in enumerate(readings) if r is not None]
            zones = v["zones"] or max([1] + given)
            if not 1 <= zones <= 3:
                self.problem(parsed, row, "zones", _("A meter has 1, 2 or 3 tariff zones."))
                continue
            if zones > 1 and v["kind"] != "electricity":
                self.problem(parsed, row, "zones", _(
                    "Only electricity meters have more than one tariff zone."))
                continue
            extra = [i + 1 for i, r in enumerate(readings) if r is not None and i >= zones]
            if extra:
                self.problem(parsed, row, f"initial_t{extra[0]}", _(
                    "There is a reading for zone %(zone)s, but the meter has %(zones)s.",
                    zone=extra[0], zones=zones))
                continue
            values = dict(
                kind=v["kind"], unit=METER_UNITS[v["kind"]], serial=v["serial"],
                place=v["place"] or "", zones=zones, verified_until=v["verified_until"],
                commissioned_on=v["commissioned_on"],
                initial_t1=readings[0] or 0,
                initial_t2=(readings[1] or 0) if zones >= 2 else None,
                initial_t3=(readings[2] or 0) if zones >= 3 else None)
            self.meters[(number, v["serial"])] = (values, meter_columns(parsed.titles))

    # --- the preview -------------------------------------------------------------------------

    def summary(self):
        """Counts and control totals for the preview page and the log; `changes`, what each
        month of each kind had before and will have after (reimport.preview)."""
        new = [n for n in self.accounts if n not in self.known]
        charges = defaultdict(lambda: dict(rows=0, accounts=set(), amount=Decimal(0),
                                           recalculation=Decimal(0), benefit=Decimal(0),
                                           to_pay=Decimal(0), opening_balance=Decimal(0),
                                           penalty=Decimal(0)))
        for number, month, _s, _u, _v, _t, amount, recalculation, benefit in self.charges:
            total = charges[month]
            total["rows"] += 1
            total["accounts"].add(number)
            total["amount"] += amount
            total["recalculation"] += recalculation
            total["benefit"] += benefit
            total["to_pay"] += amount + recalculation - benefit
        for (number, month), (opening, penalty, _row) in self.balances.items():
            charges[month]["opening_balance"] += opening or 0
            charges[month]["penalty"] += penalty or 0
        for total in charges.values():
            total["accounts"] = len(total["accounts"])
        payments = defaultdict(lambda: dict(rows=0, amount=Decimal(0)))
        for _n, month, _d, amount, _r in self.payments:
            payments[month]["rows"] += 1
            payments[month]["amount"] += amount
        meter_kinds = defaultdict(int)
        for meter, _columns in self.meters.values():
            meter_kinds[meter["kind"]] += 1
        return dict(
            files=[dict(name=f.name, kind=f.kind, rows=len(f.rows), sha256=f.sha256)
                   for f in self.files],
            accounts=dict(rows=len(self.accounts), new=len(new),
                          updated=len(self.accounts) - len(new)),
            charges=sorted(charges.items()), payments=sorted(payments.items()),
            meters=dict(rows=len(self.meters), kinds=dict(sorted(meter_kinds.items())),
                        new=len(self.meters) - self.meters_known()),
            changes=reimport.preview(self))

    def meters_known(self):
        """How many of the batch's meters Domkom has already (they are updated, not added)."""
        if not self.meters:
            return 0
        known = (Meter.select(Account.number, Meter.serial).join(Account)
                 .where(Account.hoa == self.hoa).tuples().iterator())
        return sum(1 for key in known if key in self.meters)

    # --- saving ------------------------------------------------------------------------------

    def save(self, accountant=None, ip="", progress=None):
        """Write everything in one transaction; a month in the files replaces that month.
        `progress`, when given, is called with the number of rows written as they are."""
        assert self.ok, "a batch with problems is never saved"
        self.progress = progress or (lambda count: None)
        with db.atomic():
            run = reimport.start_run(self.hoa, accountant, [f.name for f in self.files])
            self.save_accounts()
            ids = dict(Account.select(Account.number, Account.id)
                       .where(Account.hoa == self.hoa).tuples())
            hoa_accounts = Account.select(Account.id).where(Account.hoa == self.hoa)
            self.save_charges(ids, hoa_accounts, run)
            self.save_payments(ids, hoa_accounts, run)
            self.save_meters(ids, hoa_accounts)
            for parsed in self.files:
                ImportLog.create(hoa=self.hoa, accountant=accountant, filename=parsed.name[:255],
                                 sha256=parsed.sha256, kind=parsed.kind, run=run.id,
                                 counts=json.dumps(self.counts(parsed), ensure_ascii=False))
            AuditEvent.record("import", ip, hoa=self.hoa, accountant=accountant,
                              detail=json.dumps(dict(self.totals(), run=run.id, kinds=[
                                  f.kind for f in self.files]), ensure_ascii=False))
        return self.totals()

    def counts(self, parsed):
        """Rows and months of one file, for its import log entry."""
        months = set()
        if parsed.kind in ("charges", "payments"):
            names = [column.name for column in KINDS[parsed.kind]]
            at, paid = names.index("period"), names.index("paid_on") if "paid_on" in names else 0
            months = {v[at] or v[paid].replace(day=1) for _r, v in parsed.rows}
        return {"rows": len(parsed.rows), "periods": sorted(str(m)[:7] for m in months)}

    def totals(self):
        """Rows saved per kind (and per month), for the log and the command line."""
        def per_month(rows):
            return {str(month)[:7]: n for month, n in sorted(Counter(r[1] for r in rows).items())}
        return {"files": [f.name for f in self.files], "accounts": len(self.accounts),
                "charges": per_month(self.charges), "payments": per_month(self.payments),
                "meters": len(self.meters)}

    def save_accounts(self):
        """Columns the file has are written; the others keep their values (or defaults)."""
        new_rows = []
        for number, (values, parsed) in self.accounts.items():
            fields = {name: ACCOUNT_BLANKS[name] if values[name] is None else values[name]
                      for name in parsed.titles if name != "number"}
            if number in self.known:
                Account.update(**fields).where(Account.id == self.known[number]).execute()
            else:
                new_rows.append(dict(ACCOUNT_BLANKS, **fields, number=number, hoa=self.hoa.id))
        for start in range(0, len(new_rows), 500):
            Account.insert_many(new_rows[start:start + 500]).execute()
        self.progress(len(self.accounts))

    def save_charges(self, ids, hoa_accounts, run):
        months = {row[1] for row in self.charges}
        if not months:
            return
        reimport.keep_replaced(run, "charges", months)
        reimport.keep_replaced(run, "balances", months)
        Charge.delete().where(Charge.period.in_(months), Charge.account.in_(hoa_accounts)).execute()
        MonthBalance.delete().where(MonthBalance.period.in_(months),
                                    MonthBalance.account.in_(hoa_accounts)).execute()
        fields = [Charge.account, Charge.period, Charge.service, Charge.unit, Charge.volume,
                  Charge.tariff, Charge.amount, Charge.recalculation, Charge.benefit]
        rows = [(ids[row[0]],) + row[1:] for row in self.charges]
        insert_rows(Charge, fields, rows, self.progress)
        balances = [(ids[number], month, opening or 0, penalty or 0)
                    for (number, month), (opening, penalty, _row) in self.balances.items()]
        insert_rows(MonthBalance, [MonthBalance.account, MonthBalance.period,
                                   MonthBalance.opening_balance, MonthBalance.penalty], balances)
        reimport.note_written(run, "charges", months)
        reimport.note_written(run, "balances", months)

    def save_payments(self, ids, hoa_accounts, run):
        months = {row[1] for row in self.payments}
        if not months:
            return
        reimport.keep_replaced(run, "payments", months)
        Payment.delete().where(Payment.period.in_(months),
                               Payment.account.in_(hoa_accounts)).execute()
        rows = [(ids[row[0]],) + row[1:] for row in self.payments]
        insert_rows(Payment, [Payment.account, Payment.period, Payment.paid_on, Payment.amount,
                              Payment.reference], rows, self.progress)
        reimport.note_written(run, "payments", months)

    def save_meters(self, ids, hoa_accounts):
        if not self.meters:
            return
        existing = {(a, s): pk for pk, a, s in Meter.select(Meter.id, Meter.account, Meter.serial)
                    .where(Meter.account.in_(hoa_accounts)).tuples()}
        for (number, serial), (values, columns) in self.meters.items():
            pk = existing.get((ids[number], serial))
            if pk:
                Meter.update(**{k: v for k, v in values.items() if k in columns}) \
                    .where(Meter.id == pk).execute()
            else:
                Meter.create(account=ids[number], **values)
        self.progress(len(self.meters))


def meter_columns(titles):
    """The meter fields a file sets: those it has columns for (zones go with the readings)."""
    columns = {"kind", "unit", "serial"} | set(titles)
    if columns & {"zones", "initial_t1", "initial_t2", "initial_t3"}:
        columns |= {"zones", "initial_t2", "initial_t3"}
    return columns
