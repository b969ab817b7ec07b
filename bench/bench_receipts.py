"""Receipt rendering speed: one receipt as a resident downloads it, and a 1,000-receipt house.

    .venv/bin/python bench/bench_receipts.py [--accounts 1000] [--profile]
    .venv/bin/python bench/bench_receipts.py --job 1000 10000 [--database postgresql://…]

Data is generated into a temporary SQLite file. The batch should cost less per receipt than a
single receipt: fonts are set up once per document and the QR mask is chosen once per batch.

With --house DATABASE, the month of bench/generate.py's house in that database (make bench's
data at each size) is printed the same way, and the printing is deleted afterwards.

With --job, each size gets a database of its own and the house is printed as the office does
it: the start request (timed through the app, the job only queued), then the job as the worker
runs it (RECEIPTS_PROCESSES render processes), with the CPU its render processes used, read
from /proc; the per-receipt cost of each size is compared with the first one's.
"""
import argparse
import os
import threading
import cProfile
import pstats
import shutil
import statistics
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import house_receipts  # noqa: E402
import ledger  # noqa: E402
import receipt_pdf  # noqa: E402
import receipts  # noqa: E402
from app import create_app  # noqa: E402
from migrate import create_tables  # noqa: E402
from meter_models import Meter, Reading  # noqa: E402
from models import Account, Accountant, AccountantHoa, Charge, Hoa, MonthBalance, Payment, db  # noqa: E402
from peewee import fn  # noqa: E402
from periods import add_months  # noqa: E402
import receipt_files  # noqa: E402
from receipt_files import HouseReceipts  # noqa: E402

PERIOD = date(2026, 10, 1)
MONTHS = 12
SERVICES = [("Содержание и ремонт жилого помещения", "м²", "54", "32.50"),
            ("Холодное водоснабжение", "м³", "4.2", "48.12"),
            ("Горячее водоснабжение", "м³", "2.8", "221.39"),
            ("Водоотведение", "м³", "7", "39.61"),
            ("Электроснабжение", "кВт·ч", "180", "6.43"),
            ("Отопление", "Гкал", "1.12", "2413.55"),
            ("Обращение с ТКО", "чел.", "2", "118.70")]


def generate(accounts):
    """One HOA with `accounts` accounts, 12 months of charges and payments, two meters each."""
    hoa = Hoa.create(name="ТСЖ «Бенчмарк»", inn="6312345675", kpp="631201001",
                     address="г. Самара, ул. Тестовая, д. 1", phone="+7 (846) 200-00-09",
                     prefixes="9", recipient="ТСЖ «Бенчмарк»", bank_name="ПАО «Демобанк»",
                     bic="043601999", settlement_account="40703810200000001234",
                     corr_account="30101810400000000999")
    with db.atomic():
        Account.insert_many([dict(number=str(900000 + i), hoa=hoa, address=f"г. Самара, ул. "
                                  f"Тестовая, д. {1 + i // 200}", apartment=str(i % 200 + 1),
                                  owner="Иванов Иван Иванович", area=Decimal("54.00"),
                                  residents=2) for i in range(accounts)]).execute()
    ids = [a.id for a in Account.select(Account.id).where(Account.hoa == hoa)]
    periods = [add_months(PERIOD, -k) for k in range(MONTHS)]
    with db.atomic():
        for n, account_id in enumerate(ids):
            rows = [dict(account=account_id, period=p, service=s, unit=u, volume=Decimal(v),
                         tariff=Decimal(t), amount=(Decimal(v) * Decimal(t)).quantize(Decimal("0.01")))
                    for p in periods for s, u, v, t in SERVICES]
            Charge.insert_many(rows).execute()
            MonthBalance.insert_many([dict(account=account_id, period=p,
                                           opening_balance=Decimal(n % 7 * 1000 - 2000))
                                      for p in periods]).execute()
            Payment.insert_many([dict(account=account_id, period=p, paid_on=p + timedelta(days=9),
                                      amount=Decimal("6500.00")) for p in periods]).execute()
            for kind, unit in (("cold_water", "м³"), ("electricity", "кВт·ч")):
                meter = Meter.create(account=account_id, kind=kind, unit=unit, serial=f"S{n}",
                                     place="Кухня", zones=1 if kind == "cold_water" else 2,
                                     initial_t1=Decimal("1"), initial_t2=Decimal("1"))
                Reading.create(meter=meter, period=PERIOD, t1=Decimal("123.4"), t2=Decimal("56"),
                               submitted_at=datetime(2026, 10, 20))
    return hoa


def timed(func, *args, **kwargs):
    start = time.perf_counter()
    result = func(*args, **kwargs)
    return time.perf_counter() - start, result


class RenderCpu:
    """CPU seconds used by this process's descendants (the render processes, via the fork
    server), sampled from /proc while they run: they are not our children, so getrusage
    cannot see them, and each one's last sample is kept when it exits."""

    def __init__(self):
        self.seen, self.running = {}, True
        self.tick = os.sysconf("SC_CLK_TCK")
        self.thread = threading.Thread(target=self.sample, daemon=True)
        self.thread.start()

    def sample(self):
        while self.running:
            parents, cpu = {}, {}
            for name in os.listdir("/proc"):
                if name.isdigit():
                    try:
                        fields = open(f"/proc/{name}/stat").read().rsplit(")", 1)[1].split()
                    except OSError:
                        continue
                    parents[int(name)] = int(fields[1])
                    cpu[int(name)] = (int(fields[11]) + int(fields[12])) / self.tick
            me = os.getpid()
            for pid in cpu:
                up, hops = parents.get(pid), 0
                while up not in (None, 0, 1, me) and hops < 5:
                    up, hops = parents.get(up), hops + 1
                if up == me:
                    self.seen[pid] = cpu[pid]
            time.sleep(0.2)

    def stop(self):
        self.running = False
        self.thread.join()
        return sum(self.seen.values())


def machine_cpu():
    """(busy, total) CPU seconds of the whole machine so far, from /proc/stat."""
    fields = [int(v) for v in open("/proc/stat").readline().split()[1:]]
    idle = fields[3] + fields[4]
    tick = os.sysconf("SC_CLK_TCK")
    return (sum(fields) - idle) / tick, sum(fields) / tick


def print_as_the_office(app, hoa, period):
    """The house's month printed as the office does it: the start request (timed through the
    app, the job only queued), then the job as the worker runs it (RECEIPTS_PROCESSES render
    processes), with the CPU its render processes used."""
    with app.app_context():
        accountant = Accountant.get_or_none(Accountant.email == "bench-receipts@example.ru")
        if accountant is None:
            accountant = Accountant(email="bench-receipts@example.ru")
            accountant.set_password("bench-pass-1")
            accountant.save()
            AccountantHoa.create(accountant=accountant, hoa=hoa)
    client = app.test_client()
    client.post("/office/login", data={"email": "bench-receipts@example.ru",
                                       "password": "bench-pass-1"})
    answer, response = timed(client.post, f"/office/{hoa.id}/receipts/{period:%Y-%m}/print")
    assert response.status_code == 302, response.status_code
    job_id = int(response.headers["Location"].rsplit("/", 1)[1])
    with app.app_context():
        cpu, (busy_before, total_before) = RenderCpu(), machine_cpu()
        seconds, _ = timed(house_receipts.print_house.call_local, job_id)
        busy = cpu.stop()
        busy_after, total_after = machine_cpu()
        job = HouseReceipts.get_by_id(job_id)
        files = receipt_files.files_of(job)
        assert job.state == "done", job.error
    return {"answer": answer, "seconds": seconds, "receipts": job.receipts,
            "render_cpu": busy, "processes": app.config["RECEIPTS_PROCESSES"],
            "machine": (busy_after - busy_before) / (total_after - total_before) * os.cpu_count(),
            "files": len(files), "mb": sum(f.size for f in files) / 1e6}


def job_app(database, folder):
    """The app as the office's job sees it, its queue in `folder`: the job is run in place."""
    return create_app({"DATABASE": database, "SECRET_KEY": "bench", "TESTING": True,
                       "WTF_CSRF_ENABLED": False, "QUEUE_IMMEDIATE": False,
                       "QUEUE_URL": str(folder / "queue.db"), "RATELIMIT_ENABLED": False})


def report(figures, first=None):
    """The printing's lines; each per-receipt cost compared with `first`'s when given."""
    per = figures["seconds"] / figures["receipts"]
    cpu_per = figures["render_cpu"] / figures["receipts"]
    against = (f" ({per / first[0]:.2f} × the first size's)", f" ({cpu_per / first[1]:.2f} ×)") \
        if first else ("", "")
    print(f"  start request answered in {figures['answer'] * 1000:.0f} ms (job queued)")
    print(f"  printed in {figures['seconds']:.1f} s by {figures['processes']} render "
          f"processes: {per * 1000:.2f} ms per receipt{against[0]}, {cpu_per * 1000:.2f} ms of "
          f"render CPU per receipt{against[1]}")
    print(f"  render processes kept {figures['render_cpu'] / figures['seconds']:.2f} cores busy; "
          f"the whole machine {figures['machine']:.2f} of {os.cpu_count()} (other work "
          f"included); {figures['files']} files, {figures['mb']:.0f} MB in the database; "
          f"100,000 receipts at this rate: {100000 * per / 60:.1f} min")
    return per, cpu_per


def bench_job(sizes, database):
    """The start request's answer time and the job's per-receipt cost for each house size."""
    first = None
    for size in sizes:
        folder = Path(tempfile.mkdtemp(prefix="domkom-bench-job-"))
        app = job_app(database or str(folder / "bench.db"), folder)
        with app.app_context():
            create_tables()  # on an empty database (make bench gives a fresh one)
            seconds, hoa = timed(generate, size)
            print(f"job, {size} accounts: data generated in {seconds:.1f} s")
        costs = report(print_as_the_office(app, hoa, PERIOD), first)
        first = first or costs
        shutil.rmtree(folder, ignore_errors=True)


def bench_house(database):
    """The month's receipts of bench/generate.py's house in `database` (make bench's data at
    each size), printed as the office does it; the printing is deleted again afterwards, so
    the database stays as the page benchmarks expect it."""
    folder = Path(tempfile.mkdtemp(prefix="domkom-bench-house-"))
    app = job_app(database, folder)
    with app.app_context():
        hoa = (Hoa.select().join(Account)
               .group_by(Hoa.id).order_by(fn.COUNT(Account.id).desc()).first())
        period = (Charge.select(fn.MAX(Charge.period)).join(Account)
                  .where(Account.hoa == hoa.id).scalar())
        forget(hoa, period)
    try:
        figures = print_as_the_office(app, hoa, period)
    finally:
        with app.app_context():
            forget(hoa, period)
            Accountant.delete().where(Accountant.email == "bench-receipts@example.ru").execute()
        shutil.rmtree(folder, ignore_errors=True)
    print(f"house of {figures['receipts']} accounts, {period:%Y-%m}:")
    per, _cpu_per = report(figures)
    print(f"per receipt: {per * 1000:.3f} ms")


def forget(hoa, period):
    """No printing of the month is left: the next one draws every receipt again."""
    for job in HouseReceipts.select().where(HouseReceipts.hoa == hoa.id,
                                            HouseReceipts.period == period):
        receipt_files.delete_files(job)
        job.delete_instance()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--accounts", type=int, default=1000)
    parser.add_argument("--profile", action="store_true", help="print the batch's profile")
    parser.add_argument("--job", type=int, nargs="+", metavar="ACCOUNTS",
                        help="print houses of these sizes as the office's job does")
    parser.add_argument("--house", metavar="DATABASE",
                        help="print the month of bench/generate.py's house in this database")
    parser.add_argument("--database", default="",
                        help="with --job: an empty PostgreSQL database URL instead of SQLite")
    options = parser.parse_args()
    if options.job:
        return bench_job(options.job, options.database)
    if options.house:
        return bench_house(options.house)
    folder = Path(tempfile.mkdtemp(prefix="domkom-bench-"))
    app = create_app({"DATABASE": str(folder / "bench.db"), "SECRET_KEY": "bench",
                      "TESTING": True})
    with app.app_context():
        create_tables()
        seconds, hoa = timed(generate, options.accounts)
        print(f"data: {options.accounts} accounts × {MONTHS} months generated in {seconds:.1f} s")
        account = Account.select().where(Account.hoa == hoa).first()

        def one_receipt(number):
            # a resident's download: fresh document, fonts, the QR code with the mask search
            receipts.qr_code.cache_clear()
            statement = ledger.Statement.for_month(account, PERIOD)
            return receipt_pdf.render_receipt(statement, ledger.meter_readings(account, PERIOD))

        one_receipt(0)  # warm imports and caches
        singles = [timed(one_receipt, i)[0] for i in range(15)]
        single = statistics.median(singles)
        print(f"single receipt: {single * 1000:.1f} ms (median of 15)")

        # the parts a single receipt pays once and a batch must not pay per page
        fonts = statistics.median(timed(receipt_pdf.ReceiptPdf)[0] for _ in range(5))
        payload = receipts.qr_payload(ledger.Statement.for_month(account, PERIOD))
        search = statistics.median(timed(receipts.make_qr, payload)[0] for _ in range(10))
        fixed = statistics.median(timed(receipts.make_qr, payload, 0)[0] for _ in range(10))
        print(f"  font set-up per document: {fonts * 1000:.1f} ms; QR with mask search: "
              f"{search * 1000:.1f} ms, with the batch's mask: {fixed * 1000:.1f} ms")

        seconds, pdf = timed(house_receipts.house_receipts, hoa, PERIOD)
        per = seconds / options.accounts
        print(f"batch: {options.accounts} receipts in {seconds:.1f} s = {per * 1000:.1f} ms per "
              f"receipt ({per / single:.2f} × a single receipt), PDF {len(pdf) / 1e6:.1f} MB")
        # the profile of a smaller batch: profiling slows every call, so it is not timed above
        sample = list(ledger.accounts_with_data(hoa, PERIOD))[:100]
        profiler = cProfile.Profile()
        profiler.enable()
        house_receipts.house_receipts(hoa, PERIOD, sample)
        profiler.disable()
        stats = pstats.Stats(profiler)
        total = stats.total_tt

        def share(predicate):
            return sum(row[3] for key, row in stats.stats.items() if predicate(key))

        parts = {
            "font set-up (add_font)": share(lambda k: k[2] == "add_font"),
            "QR mask search (segno evaluate_mask)": share(lambda k: "evaluate_mask" in k[2]
                                                          or k[2] == "find_best_mask"),
            "QR encoding (segno.make)": share(lambda k: k[2] == "make_qr"),
            "data queries (Statement.for_month, meter_readings)": share(
                lambda k: k[2] in ("for_month", "meter_readings")),
            "layout (add_receipt)": share(lambda k: k[2] == "add_receipt"),
            "PDF output incl. font subsetting (output)": share(lambda k: k[2] == "output"),
        }
        print(f"profile of a {len(sample)}-receipt batch (cumulative time, share):")
        for name, value in parts.items():
            print(f"  {name:52s} {value:7.2f} s  {value / total * 100:5.1f} %")
        if options.profile:
            stats.sort_stats("cumulative").print_stats(25)


if __name__ == "__main__":
    main()
