"""`make bench`: Domkom under gunicorn (2 sync workers) driven by wrk, against a hello-world route.

    python bench/run.py [--db sqlite|pg|both] [--sizes 1000,100000] [--seconds 5] [--only-mail]

For each database and data size: generate the data (bench/generate.py, kept in bench/work/
between runs), start gunicorn on 127.0.0.1, log residents in over HTTP, find each page's
address the way a browser would (following links and forms), then let wrk request each page
for a few seconds, rotating residents. Then bench/bench_mail.py on the same database kind
(the worker sending 10,000 letters, a stalled mail server). Prints the figures and writes
bench/results.md.
"""
import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from report import PAGES, machine, ratio, write_report
from servers import (BENCH, PY, ROOT, WORK, Postgres, free_port, helper_memory, start_gunicorn,
                     worker_memory)
from visitor import (READING_FIELD, Browser, check, discover, log_in, reading_bodies, reading_form,
                     run_wrk, wrk_script)


# --- one database, one size --------------------------------------------------------------

def run_script(name, *args, log, timeout=3600):
    """A script of bench/ run to its end: what it printed (the tail of its errors when it
    failed, or that it failed with nothing printed), logged and returned."""
    run = subprocess.run([PY, str(BENCH / name), *args], cwd=ROOT, capture_output=True,
                         text=True, timeout=timeout)
    text = (run.stdout + (run.stderr[-3000:] if run.returncode else "")).strip()
    log(text)
    return text or f"exited with {run.returncode}"


def house_printing(database, log):
    """bench_receipts.py --house: the month's receipts of the whole house in this database,
    printed as the office's job does it once the pages are measured (the machine is free)."""
    text = run_script("bench_receipts.py", "--house", database, log=log)
    per = re.search(r"^per receipt: ([\d.]+) ms$", text, re.MULTILINE)
    answer = re.search(r"start request answered in (\d+) ms", text)
    took = re.search(r"printed in ([\d.]+) s", text)
    return {"text": text, "per_ms": float(per.group(1)) if per else None,
            "answer_ms": float(answer.group(1)) if answer else None,
            "seconds": float(took.group(1)) if took else None}


def measure(database, size, seconds, residents, log, house=True):
    log(f"\n== {describe(database)}, {size:,} accounts ==")
    out = subprocess.run([PY, str(BENCH / "generate.py"), database, str(size), str(residents)],
                         cwd=ROOT, check=True, capture_output=True, text=True).stdout
    log(out.rstrip())
    made = re.search(r"generated \d+ accounts in ([\d.]+) s", out)
    generation = float(made.group(1)) if made else None
    workdir = Path(tempfile.mkdtemp(prefix="domkom-bench-"))
    port = free_port()
    server = start_gunicorn(database, port, workdir)
    try:
        for path in ("/hello", "/", "/login"):
            Browser(port).get(path)
        before_logins = worker_memory(server.pid)
        numbers = resident_numbers(database, residents)
        with ThreadPoolExecutor(4) as pool:
            browsers = list(pool.map(lambda n: log_in(port, n, "bench-pass-1"), numbers))
        found = [discover(browsers[0])]
        results = {}
        for key, label, kind in PAGES:
            variants, reason = [], None
            if kind == "anon":
                path = {"hello": "/hello", "landing": "/", "login": "/login"}[key]
                variants = [("GET", path, "", None)]
                reason = check(Browser(port), key, "GET", path, None)
            elif key not in found[0]:
                reason = "not available"
            elif key == "reading":
                # each resident's own form (CSRF token, meters), a few different submissions
                # each, interleaved so that a resident's next one always changes something
                forms = [(browser, reading_form(browser.get("/cabinet/meters")[2].decode(),
                                                "/cabinet/meters")) for browser in browsers]
                forms = [(browser, form) for browser, form in forms if form]
                levels = reading_levels(database, {READING_FIELD.match(name).group(1)
                                                   for _, form in forms for name in form[2]})
                per_resident = [(browser, *reading_bodies(form, levels))
                                for browser, form in forms]
                for i, (browser, path, bodies) in enumerate(per_resident[:3]):
                    reason = reason or check(browser, key, "POST", path, bodies[-1])
                for k in range(5):
                    for browser, path, bodies in per_resident:
                        variants.append(("POST", path, browser.cookie_header(), bodies[k]))
            else:
                method, path, _data = found[0][key]
                for i, browser in enumerate(browsers):
                    if i < 3:
                        reason = reason or check(browser, key, method, path, None)
                    variants.append((method, path, browser.cookie_header(), None))
            if reason or not variants:
                results[key] = {"missing": reason or "not available"}
                log(f"  {label}: {results[key]['missing']}")
                continue
            # a receipt's first request in a worker starts its render process: not measured
            results[key] = run_wrk(port, wrk_script(variants, workdir, key), seconds,
                                   warmup=3 if key == "receipt" else 1)
            if key == "hello":
                hello_script = wrk_script(variants, workdir, key)
            if key == "receipt":
                receipt_script = wrk_script(variants, workdir, key)
            stats = results[key]
            log(f"  {label}: {stats['rate']:.0f} req/s, p50 {stats['p50_us'] / 1000:.1f} ms, "
                f"p99 {stats['p99_us'] / 1000:.1f} ms"
                + (f", {stats['status_errors']} bad answers" if stats["status_errors"] else ""))
        if "rate" in results.get("receipt", {}):
            stats = results["receipt_in_worker"] = receipt_in_worker(database, receipt_script,
                                                                     seconds)
            log(f"  receipt PDF drawn in the worker: {stats['rate']:.0f} req/s, p50 "
                f"{stats['p50_us'] / 1000:.1f} ms; in a child / in the worker: "
                f"{ratio(results['receipt']['p50_us'], stats['p50_us']):.2f} ×; that server's "
                "workers (peak / now): " + ", ".join(f"{p:.0f} / {n:.0f} MB"
                                                     for p, n in stats["memory"]))
        # hello world once more at the end: the baseline is the mean of both, and their
        # difference shows how steady the machine was during the run
        again = run_wrk(port, hello_script, seconds)
        first = results["hello"]
        results["hello"] = dict(first, rate=(first["rate"] + again["rate"]) / 2,
                                rate_first=first["rate"], rate_last=again["rate"])
        log(f"  hello world again: {again['rate']:.0f} req/s")
        memory, helpers = worker_memory(server.pid), helper_memory(server.pid)
    finally:
        server.terminate()
        server.wait(timeout=30)
        shutil.rmtree(workdir, ignore_errors=True)
    log("  worker memory (peak / now): " + ", ".join(f"{p:.0f} / {n:.0f} MB" for p, n in memory)
        + "; their helper processes: " + ", ".join(f"{p:.0f} / {n:.0f} MB" for p, n in helpers))
    return {"pages": results, "memory": memory, "helpers": helpers,
            "before_logins": before_logins, "generation_s": generation, "residents": residents,
            "house": house_printing(database, log) if house else None}


def receipt_in_worker(database, script, seconds):
    """The receipt's wrk run against a second gunicorn that draws it in the worker
    (DOMKOM_RENDER_IN_CHILD=false): the in-process figure the child is compared with."""
    workdir = Path(tempfile.mkdtemp(prefix="domkom-bench-"))
    port = free_port()
    server = start_gunicorn(database, port, workdir, DOMKOM_RENDER_IN_CHILD="false")
    try:
        stats = run_wrk(port, script, seconds, warmup=3)
        return dict(stats, memory=worker_memory(server.pid))
    finally:
        server.terminate()
        server.wait(timeout=30)
        shutil.rmtree(workdir, ignore_errors=True)


def ask(database, expression, *args):
    """The value (as JSON) of an expression over bench/generate.py with the database open."""
    code = ("import json, sys; sys.path.insert(0, 'bench'); from database import open_database; "
            "import generate; open_database(sys.argv[1]); args = sys.argv[2:]; "
            f"print(json.dumps({expression}))")
    out = subprocess.run([PY, "-c", code, database, *args], cwd=ROOT, capture_output=True,
                         text=True, check=True).stdout
    return json.loads(out)


def resident_numbers(database, residents):
    return [n for n, _ in ask(database, "generate.residents_of(int(args[0]))", str(residents))]


def reading_levels(database, meter_ids):
    return ask(database, "generate.reading_levels([int(a) for a in args])", *sorted(meter_ids))


def describe(database):
    return "PostgreSQL" if "://" in database else "SQLite"


# --- other areas' benchmarks ------------------------------------------------------------

def extra_benchmarks(log, database=None):
    """bench_import.py and bench_receipts.py (SQLite), and the house's receipts as the worker's
    job on this database kind (a fresh PostgreSQL database when `database` is given)."""
    runs = [("bench_receipts.py", ["--job", "1000", "--database", database], "PostgreSQL")] \
        if database else [("bench_import.py", [], ""), ("bench_receipts.py", [], ""),
                          ("bench_receipts.py", ["--job", "1000"], "SQLite")]
    outputs = {}
    for name, args, kind in runs:
        label = " ".join([name] + [a for a in args if a != database and a != "--database"])
        label += f" ({kind})" if kind else ""
        log(f"\n== {label} ==")
        outputs[label] = run_script(name, *args, log=log, timeout=1800)
    return outputs


def mail_benchmark(db_kind, database, log):
    """bench_mail.py on this database kind (a fresh SQLite file when database is None); its
    figures are kept in bench/work/mail-<db>.json for the report."""
    log(f"\n== bench_mail.py, {describe(database or '')} ==")
    text = run_script("bench_mail.py", *(["--database", database] if database else []), log=log)
    (WORK / f"mail-{db_kind}.json").write_text(json.dumps({
        "db": describe(database or ""), "when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "machine": machine(), "text": text},
        ensure_ascii=False, indent=1))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default="sqlite", choices=["sqlite", "pg", "both"])
    parser.add_argument("--sizes", default="1000,100000")
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--residents", type=int, default=100)
    parser.add_argument("--skip-extra", action="store_true",
                        help="do not run bench_import.py and bench_receipts.py")
    parser.add_argument("--skip-house", action="store_true",
                        help="do not print the whole house's receipts at each size")
    parser.add_argument("--skip-mail", action="store_true", help="do not run bench_mail.py")
    parser.add_argument("--only-mail", action="store_true",
                        help="run only bench_mail.py; the page tables in results.md are kept")
    args = parser.parse_args()
    WORK.mkdir(exist_ok=True)
    log = lambda text: print(text, flush=True)  # noqa: E731
    kinds = ["sqlite", "pg"] if args.db == "both" else [args.db]
    if args.only_mail:
        for db_kind in kinds:
            if db_kind == "sqlite":
                mail_benchmark(db_kind, None, log)
            else:
                with Postgres() as pg:
                    mail_benchmark(db_kind, pg.fresh_database("domkom_bench_mail"), log)
        write_report(log, only_mail=True)
        return
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed: apt-get install wrk (make bench does it)")
    sizes = [int(s) for s in args.sizes.split(",")]
    extra = None if args.skip_extra else extra_benchmarks(log)
    for db_kind in kinds:
        runs = {}
        if db_kind == "sqlite":
            for size in sizes:
                runs[size] = measure(str(WORK / f"bench-{size}.db"), size, args.seconds,
                                     args.residents, log, house=not args.skip_house)
            if not args.skip_mail:
                mail_benchmark(db_kind, None, log)
        else:
            with Postgres() as pg:
                for size in sizes:
                    runs[size] = measure(pg.database(size), size, args.seconds, args.residents,
                                         log, house=not args.skip_house)
                kind_extra = None if args.skip_extra else extra_benchmarks(
                    log, pg.fresh_database("domkom_bench_job"))
                if not args.skip_mail:
                    mail_benchmark(db_kind, pg.fresh_database("domkom_bench_mail"), log)
        name = {"sqlite": "SQLite", "pg": "PostgreSQL"}[db_kind]
        (WORK / f"results-{db_kind}.json").write_text(json.dumps({
            "db": name, "when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
            "machine": machine(), "runs": runs,
            "extra": extra if db_kind == "sqlite" else kind_extra}, ensure_ascii=False, indent=1))
    write_report(log)


if __name__ == "__main__":
    main()
