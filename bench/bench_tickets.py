"""Time the office's list of requests and its filters with 10,000 requests in one house.

Run: `python bench/bench_tickets.py [REQUESTS]`. A fresh SQLite file gets one HOA with 400
accounts, a resident on each, and REQUESTS requests spread over two years, statuses,
categories and deadlines; an accountant's test client then opens each filtered page of the
office's list (and the resident's own list) 20 times. The median and slowest times are printed,
with the query plan of the status filter to show which index it uses.
"""
import random
import shutil
import statistics
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app import create_app  # noqa: E402
from migrate import create_tables  # noqa: E402
from models import Account, Accountant, AccountantHoa, Hoa, Resident, db, now  # noqa: E402
from tickets.models import DEFAULT_CATEGORIES, STATUSES, Ticket  # noqa: E402

ACCOUNTS = 400
RUNS = 20
PAGES = [
    ("all", ""),
    ("open", "?status=open"),
    ("new", "?status=new"),
    ("category", "?category=лифт"),
    ("urgent", "?urgent=1"),
    ("overdue", "?overdue=1"),
    ("search", "?q=подъезд"),
    ("status+search", "?status=done&q=кран"),
    ("page 100", "?page=100"),
]
WORDS = ["течёт кран", "не горит свет в подъезде", "застрял лифт", "нет отопления",
         "сломан домофон", "мусор у контейнеров", "протечка с крыши"]


def fill(hoa, count):
    rng = random.Random(16)
    password = Resident(account=None)
    password.set_password("bench-pass-1")
    with db.atomic():
        Account.insert_many([{"number": f"9{i:05d}", "hoa": hoa.id, "apartment": str(i + 1),
                              "address": "ул. Проверочная, д. 1"} for i in range(ACCOUNTS)]
                            ).execute()
        accounts = list(Account.select().where(Account.hoa == hoa))
        Resident.insert_many([{"account": a.id, "email": f"r{a.number}@example.ru",
                               "password_hash": password.password_hash, "activated_at": now()}
                              for a in accounts]).execute()
        residents = {r.account_id: r.id for r in Resident.select()}
        start = datetime(2025, 1, 1)
        rows = []
        for n in range(count):
            account = accounts[n % ACCOUNTS]
            created = start + timedelta(minutes=n * 100)
            text = f"{rng.choice(WORDS)}, кв. {account.apartment}"
            category = rng.choice(DEFAULT_CATEGORIES)
            rows.append({"hoa": hoa.id, "account": account.id,
                         "resident": residents[account.id], "category": category,
                         "text": text, "urgent": rng.random() < 0.1,
                         "status": rng.choice(STATUSES),
                         "deadline": created.date() + timedelta(days=rng.choice((1, 7))),
                         "search": f"{category} {text} {account.number}".lower(),
                         "created_at": created, "updated_at": created})
        for i in range(0, len(rows), 500):
            Ticket.insert_many(rows[i:i + 500]).execute()


def timed(client, path):
    times = []
    for _ in range(RUNS):
        started = time.perf_counter()
        response = client.get(path)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (path, response.status_code)
    return statistics.median(times), max(times)


def main(count):
    folder = Path(tempfile.mkdtemp(prefix="domkom-bench-tickets-"))
    try:
        run(folder, count)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def run(folder, count):
    app = create_app({"DATABASE": str(folder / "domkom.db"), "SECRET_KEY": "bench",
                      "TESTING": True, "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False,
                      "BASE_URL": "http://localhost", "TODAY": date(2026, 12, 1)})
    with app.app_context():
        create_tables()
        hoa = Hoa.create(name="ТСЖ «Проба»", prefixes="9")
        started = time.perf_counter()
        fill(hoa, count)
        print(f"{count} requests in {time.perf_counter() - started:.1f} s")
        accountant = Accountant(email="bench@example.ru")
        accountant.set_password("bench-office-1")
        accountant.save()
        AccountantHoa.create(accountant=accountant, hoa=hoa)
        plan = db.execute_sql("EXPLAIN QUERY PLAN " + Ticket.select().where(
            Ticket.hoa == hoa.id, Ticket.status == "new").sql()[0].replace("?", "%s")
            % (hoa.id, "'new'")).fetchall()
        print("status filter:", "; ".join(row[-1] for row in plan))
    office = app.test_client()
    office.post("/office/login", data={"email": "bench@example.ru", "password": "bench-office-1"})
    print(f"{'page':<16}{'median ms':>10}{'slowest ms':>12}")
    for name, query in PAGES:
        median, slowest = timed(office, f"/office/{hoa.id}/requests{query}")
        print(f"{name:<16}{median:>10.1f}{slowest:>12.1f}")
    median, slowest = timed(office, f"/office/{hoa.id}")
    print(f"{'office home':<16}{median:>10.1f}{slowest:>12.1f}")
    resident = app.test_client()
    resident.post("/login", data={"account": "900000", "password": "bench-pass-1"})
    median, slowest = timed(resident, "/cabinet/requests")
    print(f"{'resident list':<16}{median:>10.1f}{slowest:>12.1f}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000)
