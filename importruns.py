"""Confirmed loads as a whole, kept so that the latest one of a month can be undone: each load,
the months of each kind it replaced with their rows and sums before and after, and copies of
the rows it deleted (reimport.py fills and reads them)."""
from peewee import (
    CharField, DateField, DateTimeField, DecimalField, ForeignKeyField, IntegerField, TextField,
)

from models import Account, Accountant, BaseModel, Hoa, now

def money(default=0):
    """models.money, or a nullable one when default is None."""
    return DecimalField(max_digits=14, decimal_places=2, default=default, null=default is None,
                        auto_round=True)


MONTH_KINDS = ("charges", "balances", "payments")  # what loading a month replaces


class ImportRun(BaseModel):
    """One confirmed load; its files are the ImportLog rows whose `run` is its id."""
    hoa = ForeignKeyField(Hoa, on_delete="CASCADE")
    accountant = ForeignKeyField(Accountant, null=True, on_delete="SET NULL", backref="+")
    created_at = DateTimeField(default=now)
    files = TextField(default="")  # the file names, one a line
    undone_at = DateTimeField(null=True)
    undone_by = ForeignKeyField(Accountant, null=True, on_delete="SET NULL", backref="+")
    undone_by_email = CharField(default="")  # the e-mail used then, as the security log keeps it

    class Meta:
        indexes = ((("hoa", "created_at"), False),)

    @property
    def file_names(self):
        return self.files.splitlines()


class ImportMonth(BaseModel):
    """One month of one kind a load replaced: how many rows and what sum it had before the
    load and after it (charges: to pay; balances: opening balances; payments: paid)."""
    run = ForeignKeyField(ImportRun, backref="months", on_delete="CASCADE")
    kind = CharField()  # one of MONTH_KINDS
    period = DateField()
    rows_before = IntegerField(default=0)
    sum_before = money()
    rows_after = IntegerField(default=0)
    sum_after = money()

    class Meta:
        indexes = ((("kind", "period"), False),)


class ReplacedRow(BaseModel):
    """A copy of a charge, balance or payment row a load deleted, with its id, so that undoing
    the load puts it back exactly. `source` names the table; columns it lacks stay empty."""
    run = ForeignKeyField(ImportRun, on_delete="CASCADE")
    source = CharField()  # charge, monthbalance or payment
    row_id = IntegerField()
    account = ForeignKeyField(Account, on_delete="CASCADE")
    period = DateField()
    # null where the table has no such column: INSERT … SELECT fills only the table's own
    service = CharField(null=True)
    unit = CharField(null=True)
    volume = DecimalField(max_digits=14, decimal_places=3, null=True, auto_round=True)
    tariff = DecimalField(max_digits=14, decimal_places=4, null=True, auto_round=True)
    amount = money(None)
    recalculation = money(None)
    benefit = money(None)
    opening_balance = money(None)
    penalty = money(None)
    paid_on = DateField(null=True)
    reference = CharField(null=True)

    class Meta:
        indexes = ((("run", "source"), False),)


IMPORT_RUN_MODELS = [ImportRun, ImportMonth, ReplacedRow]
