"""Import 100,000 charge rows through the importer and compare with a raw sqlite3 executemany.

Each side runs three times in the same process; the best time of each is reported.

Run: `python bench/bench_import.py [ROWS]`. Both runs write the same rows into a fresh SQLite
file of the same schema; the importer's time includes reading and checking the CSV file.
"""
import sqlite3
import sys
import tempfile
import time
from datetime import date
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app import create_app  # noqa: E402
from migrate import create_tables  # noqa: E402
from models import Account, Charge, Hoa, db  # noqa: E402

SERVICES = ["Содержание жилья", "Холодное водоснабжение", "Горячее водоснабжение",
            "Водоотведение", "Электроэнергия", "Отопление", "Обращение с ТКО",
            "Взнос на капремонт"]


def rows(count):
    """(account number, period, service, unit, volume, tariff, amount, recalc, benefit)."""
    accounts = count // (len(SERVICES) * 12) + 1
    out = []
    for n in range(count):
        service = n % len(SERVICES)
        account = n // len(SERVICES) % accounts
        month = n // (len(SERVICES) * accounts) + 1
        volume = Decimal(1000 + n % 997) / 100
        tariff = Decimal("35.82")
        out.append((str(1000001 + account), date(2025, month, 1), SERVICES[service], "м³",
                    volume, tariff, (volume * tariff).quantize(Decimal("0.01")),
                    Decimal("0.00"), Decimal("0.00")))
    return out, accounts


def write_csv(path, data):
    with open(path, "w", encoding="utf-8") as f:
        f.write("Период;Лицевой счёт;Услуга;Ед. изм.;Объём;Тариф;Начислено;Перерасчёт;Льгота\n")
        for number, period, service, unit, volume, tariff, amount, recalc, benefit in data:
            f.write(f"{period:%m.%Y};{number};{service};{unit};{str(volume).replace('.', ',')};"
                    f"{str(tariff).replace('.', ',')};{str(amount).replace('.', ',')};"
                    f"{recalc};{benefit}\n")


def fresh_app(folder, accounts):
    # 100,000 rows are more cells than a web upload may have; the command line is measured
    app = create_app({"DATABASE": str(folder / "domkom.db"), "SECRET_KEY": "bench",
                      "TESTING": True, "IMPORT_MAX_CELLS": 2_000_000})
    with app.app_context():
        create_tables()
        hoa = Hoa.create(name="ТСЖ «Проба»", prefixes="1")
        with db.atomic():
            Account.insert_many([{"number": str(1000001 + i), "hoa": hoa.id,
                                  "address": "ул. Пробная, 1", "apartment": str(i + 1)}
                                 for i in range(accounts)]).execute()
    return app


def bench_importer(folder, csv_path, count, accounts):
    from importbatch import Batch
    app = fresh_app(folder, accounts)
    with app.app_context(), app.test_request_context():
        hoa = Hoa.get()
        start = time.perf_counter()
        batch = Batch(hoa, [(csv_path.name, csv_path.read_bytes())])
        checked = time.perf_counter()
        assert batch.ok, batch.problems[:5]
        batch.save()
        done = time.perf_counter()
        assert Charge.select().count() == count
    db.close()
    return done - start, checked - start


def bench_raw(folder, data, accounts):
    """The same rows, already parsed, through sqlite3's executemany: the ceiling."""
    fresh_app(folder, accounts)
    db.close()
    connection = sqlite3.connect(folder / "domkom.db")
    connection.execute("PRAGMA journal_mode=wal")
    connection.execute("PRAGMA synchronous=normal")
    ids = dict(connection.execute("SELECT number, id FROM account"))
    prepared = [(ids[r[0]], r[1].isoformat(), r[2], r[3], str(r[4]), str(r[5]), str(r[6]),
                 str(r[7]), str(r[8])) for r in data]
    start = time.perf_counter()
    with connection:
        connection.executemany(
            "INSERT INTO charge (account_id, period, service, unit, volume, tariff, amount, "
            "recalculation, benefit) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", prepared)
    elapsed = time.perf_counter() - start
    connection.close()
    return elapsed


def main():
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    data, accounts = rows(count)
    with tempfile.TemporaryDirectory() as work:
        work = Path(work)
        csv_path = work / "charges.csv"
        write_csv(csv_path, data)
        raws, imports = [], []
        for attempt in range(3):  # best of three: the machine may be busy with other work
            (work / f"raw{attempt}").mkdir()
            (work / f"imp{attempt}").mkdir()
            raws.append(bench_raw(work / f"raw{attempt}", data, accounts))
            imports.append(bench_importer(work / f"imp{attempt}", csv_path, count, accounts))
        raw, (total, checking) = min(raws), min(imports)
        size = csv_path.stat().st_size
    print(f"charge rows: {count:,}, accounts: {accounts:,}, CSV file: {size / 1e6:.1f} MB")
    print(f"raw sqlite3 executemany: {raw:6.2f} s  {count / raw:10,.0f} rows/s")
    print(f"importer (read+check+save): {total:6.2f} s  {count / total:10,.0f} rows/s "
          f"(reading and checking {checking:.2f} s)")
    print(f"importer / raw: {raw / total:.0%} (target: at least 25%)")


if __name__ == "__main__":
    main()
