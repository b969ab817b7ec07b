"""Benchmark data: one managing company with N accounts, 24 months of everything, residents.

Rows are made by the database itself (INSERT … SELECT over small helper tables), so 100,000
accounts — 24 million charge lines — take minutes, not hours. They are written month by month,
account by account, as loading the billing program's monthly files writes them: an account's
month sits together on disk (unordered, PostgreSQL spread one account's rows over 240 pages). The schema is Domkom's own
(`create_tables()`), so what is measured is what production would hold.

    python bench/generate.py DATABASE ACCOUNTS [RESIDENTS]
"""
import hashlib
import sys
import time
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from database import open_database  # noqa: E402
from meter_models import Meter, Reading  # noqa: E402
from migrate import MODELS, create_tables  # noqa: E402
from models import (  # noqa: E402
    Account, Charge, Hoa, MonthBalance, Notice, Payment, Resident, Setting, db,
)
from passwords import hash_password  # noqa: E402
from periods import add_months, month_start  # noqa: E402

PASSWORD = "bench-pass-1"
MONTHS = 24
# service, unit, tariff, billed by area (else a fixed monthly volume)
SERVICES = [
    ("Содержание жилья", "м²", "32.4100", True, "0"),
    ("Капитальный ремонт", "м²", "11.6100", True, "0"),
    ("Отопление", "Гкал", "2874.6500", False, "1.250"),
    ("Холодное водоснабжение", "м³", "42.8900", False, "6.300"),
    ("Горячее водоснабжение", "м³", "221.7400", False, "3.900"),
    ("Водоотведение", "м³", "31.2300", False, "10.200"),
    ("Электроэнергия", "кВт·ч", "6.1200", False, "180.000"),
    ("Вывоз ТКО", "чел.", "118.9000", False, "2.000"),
    ("Домофон", "кв.", "60.0000", False, "1.000"),
    ("Лифт", "м²", "4.2700", True, "0"),
]
# kind, unit, zones, reading growth a month
METERS = [("cold_water", "м³", 1, "6.300"), ("hot_water", "м³", 1, "3.900"),
          ("electricity", "кВт·ч", 2, "180.000")]


GENERATOR_VERSION = 3  # raise when the data made here changes


def marker():
    """Changes when the tables or the generated data change: old data is then regenerated."""
    schema = "".join(model._schema._create_table().query()[0] for model in MODELS)
    return hashlib.sha1(f"{GENERATOR_VERSION}{schema}".encode()).hexdigest()[:16]


def already_generated(accounts):
    if not db.table_exists(Setting._meta.table_name):
        return False
    row = Setting.get_or_none(Setting.key == "bench_marker")
    return row is not None and row.value == f"{marker()}:{accounts}"


def is_postgres():
    return "postgres" in type(db.obj).__name__.lower()


def reset_schema():
    if is_postgres():
        db.execute_sql("DROP SCHEMA public CASCADE")
        db.execute_sql("CREATE SCHEMA public")
    else:
        db.close()
        db.obj.close_all()  # the pool would hand back a connection to the deleted file
        path = Path(db.obj.database)
        for suffix in ("", "-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)
        db.connect()
        # Loading, not serving: no journal, no syncing, a big cache; WAL again at the end.
        for pragma in ("journal_mode=OFF", "synchronous=OFF", "cache_size=-1000000"):
            db.execute_sql(f"PRAGMA {pragma}")
    create_tables()


def helper_tables(months):
    """bench_month, bench_service and bench_kind: the small sides of the cross joins."""
    pg = is_postgres()
    num = "NUMERIC" if pg else "REAL"
    day, stamp = ("DATE", "TIMESTAMP") if pg else ("TEXT", "TEXT")
    db.execute_sql(f"CREATE TABLE bench_month (idx INTEGER, period {day}, paid_on {day}, "
                   f"submitted_at {stamp})")
    db.execute_sql(f"CREATE TABLE bench_service (idx INTEGER, service TEXT, unit TEXT, "
                   f"tariff {num}, by_area INTEGER, volume {num})")
    db.execute_sql(f"CREATE TABLE bench_kind (idx INTEGER, kind TEXT, unit TEXT, zones INTEGER, "
                   f"growth {num})")
    p = "%s" if pg else "?"
    for i, period in enumerate(months):
        db.execute_sql(f"INSERT INTO bench_month VALUES ({p}, {p}, {p}, {p})",
                       (i, period, period + timedelta(days=9),
                        datetime.combine(period + timedelta(days=19), datetime.min.time())))
    for i, (service, unit, tariff, by_area, volume) in enumerate(SERVICES):
        db.execute_sql(f"INSERT INTO bench_service VALUES ({p}, {p}, {p}, {p}, {p}, {p})",
                       (i, service, unit, Decimal(tariff), int(by_area), Decimal(volume)))
    for i, (kind, unit, zones, growth) in enumerate(METERS):
        db.execute_sql(f"INSERT INTO bench_kind VALUES ({p}, {p}, {p}, {p}, {p})",
                       (i, kind, unit, zones, Decimal(growth)))


def timed(label, sql, log):
    started = time.perf_counter()
    if is_postgres():
        sql = sql.replace("%", "%%")  # psycopg reads a lone % as a placeholder
    with db.atomic():
        db.execute_sql(sql)
    log(f"  {label}: {time.perf_counter() - started:.1f} s")


def generate(accounts, residents=200, log=print, today=None):
    started = time.perf_counter()
    reset_schema()
    last = month_start(today or date.today())
    months = [add_months(last, i - MONTHS + 1) for i in range(MONTHS)]
    hoa = Hoa.create(name="УК «Бенчмарк»", inn="6300000000", prefixes="7", recipient="УК «Бенчмарк»",
                     bank_name="ПАО «Банк»", bic="043601999", settlement_account="40702810600000000001",
                     corr_account="30101810400000000999", window_start_day=1, window_end_day=31,
                     address="г. Самара", phone="+7 (846) 200-00-00")
    Hoa.create(name="ТСЖ «Соседи»", prefixes="8")
    for i in range(3):
        Notice.create(hoa=hoa, title=f"Объявление {i + 1}", body="Плановое отключение воды.",
                      starts_on=last)
    rows = [(str(7000000 + i), hoa.id, "г. Самара, ул. Длинная, д. %d" % (i // 200 + 1),
             str(i % 200 + 1), "Иванов И. И.", Decimal("30.50") + Decimal(i % 50),
             1 + i % 4) for i in range(1, accounts + 1)]
    fields = [Account.number, Account.hoa, Account.address, Account.apartment, Account.owner,
              Account.area, Account.residents]
    with db.atomic():
        for start in range(0, len(rows), 5000):
            Account.insert_many(rows[start:start + 5000], fields=fields).execute()
    log(f"  {accounts} accounts: {time.perf_counter() - started:.1f} s")
    helper_tables(months)

    t = {m: m._meta.table_name for m in (Account, Charge, MonthBalance, Payment, Meter, Reading)}
    bulk = (Charge, MonthBalance, Payment, Meter, Reading)
    for model in bulk:  # building an index once at the end is much faster than row by row
        model._schema.drop_indexes(safe=True)
    volume = "CASE WHEN s.by_area = 1 THEN a.area ELSE s.volume END"
    timed("charges", f"""
        INSERT INTO {t[Charge]} (account_id, period, service, unit, volume, tariff, amount,
                                 recalculation, benefit)
        SELECT a.id, m.period, s.service, s.unit, {volume}, s.tariff,
               ROUND(s.tariff * {volume} * (100 + a.id % 7) / 100, 2), 0, 0
        FROM {t[Account]} a CROSS JOIN bench_month m CROSS JOIN bench_service s
        ORDER BY m.period, a.id, s.service""", log)
    timed("balances", f"""
        INSERT INTO {t[MonthBalance]} (account_id, period, opening_balance, penalty)
        SELECT a.id, m.period, CASE WHEN a.id % 10 = 0 THEN 1520.40 ELSE 0 END, 0
        FROM {t[Account]} a CROSS JOIN bench_month m ORDER BY m.period, a.id""", log)
    timed("payments", f"""
        INSERT INTO {t[Payment]} (account_id, period, paid_on, amount, reference)
        SELECT a.id, m.period, m.paid_on, ROUND(3000 + a.area * 40, 2), 'bank'
        FROM {t[Account]} a CROSS JOIN bench_month m ORDER BY m.period, a.id""", log)
    false = "FALSE" if is_postgres() else "0"
    timed("meters", f"""
        INSERT INTO {t[Meter]} (account_id, kind, unit, serial, place, zones, initial_t1,
                                initial_t2, archived)
        SELECT a.id, k.kind, k.unit, a.number || '-' || k.idx, 'санузел', k.zones, 100,
               CASE WHEN k.zones > 1 THEN 50 ELSE NULL END, {false}
        FROM {t[Account]} a CROSS JOIN bench_kind k""", log)
    timed("readings", f"""
        INSERT INTO {t[Reading]} (meter_id, period, t1, t2, submitted_at, source, status,
                                  reason, ip)
        SELECT mt.id, m.period, mt.initial_t1 + k.growth * (m.idx + 1),
               CASE WHEN mt.zones > 1 THEN mt.initial_t2 + k.growth / 2 * (m.idx + 1) END,
               m.submitted_at, 'import', 'accepted', '', ''
        FROM {t[Meter]} mt JOIN bench_kind k ON k.kind = mt.kind CROSS JOIN bench_month m
        WHERE m.idx < {MONTHS - 1} ORDER BY m.period, mt.id""", log)
    for table in ("bench_month", "bench_service", "bench_kind"):
        db.execute_sql(f"DROP TABLE {table}")
    started_indexes = time.perf_counter()
    for model in bulk:
        model._schema.create_indexes(safe=True)
    log(f"  indexes: {time.perf_counter() - started_indexes:.1f} s")

    # Residents spread evenly over the accounts; one password hash serves them all.
    password_hash = hash_password(PASSWORD)
    step = max(1, accounts // residents)
    ids = [aid for (aid,) in Account.select(Account.id).order_by(Account.id).tuples()]
    ids = ids[::step][:residents]
    now = datetime.now().replace(microsecond=0)
    with db.atomic():
        Resident.insert_many([
            {"account": aid, "email": f"bench{aid}@example.ru", "password_hash": password_hash,
             "activated_at": now, "consent_at": now, "session_salt": f"{aid:016x}"}
            for aid in ids]).execute()
    if is_postgres():
        db.execute_sql("ANALYZE")
    else:
        db.execute_sql("PRAGMA journal_mode=WAL")
    Setting.delete().where(Setting.key == "bench_marker").execute()
    Setting.create(key="bench_marker", value=f"{marker()}:{accounts}")
    elapsed = time.perf_counter() - started
    log(f"  generated {accounts} accounts in {elapsed:.1f} s")
    return elapsed


def residents_of(limit=None):
    """(account number, password) of every benchmark resident."""
    query = (Resident.select(Account.number).join(Account).order_by(Account.id).tuples())
    return [(number, PASSWORD) for (number,) in (query.limit(limit) if limit else query)]


def reading_levels(meter_ids, today=None):
    """{meter id: [(last value, usual monthly growth) for each zone]} before this month: what a
    plausible new reading builds on."""
    period = month_start(today or date.today())
    levels = {}
    for meter_id in meter_ids:
        last_two = list(Reading.select().where(Reading.meter == meter_id, Reading.period < period)
                        .order_by(Reading.period.desc()).limit(2))
        zones = []
        for zone in (1, 2, 3):
            values = [getattr(r, f"t{zone}") for r in last_two]
            if values and values[0] is not None:
                growth = values[0] - values[1] if len(values) > 1 and values[1] is not None else 1
                zones.append((str(values[0]), str(max(growth, Decimal("0.1")))))
        levels[str(meter_id)] = zones
    return levels


def main():
    database, accounts = sys.argv[1], int(sys.argv[2])
    residents = int(sys.argv[3]) if len(sys.argv) > 3 else 200
    open_database(database)
    db.connect(reuse_if_open=True)
    if already_generated(accounts):
        print(f"  {accounts} accounts already generated in {database}")
        return
    generate(accounts, residents)


if __name__ == "__main__":
    main()
