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
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from html.parser import HTMLParser
from http.client import HTTPConnection
from pathlib import Path
from urllib.parse import urlencode, urlsplit

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
WORK = BENCH / "work"
PY = sys.executable
GUNICORN = str(Path(PY).parent / "gunicorn")

# (key, label, kind): kind says who asks and how the address is found
PAGES = [
    ("hello", "hello world (baseline)", "anon"),
    ("landing", "landing page /", "anon"),
    ("login", "/login (GET)", "anon"),
    ("cabinet", "/cabinet", "resident"),
    ("statements", "/cabinet/statements", "resident"),
    ("statement", "a month's statement", "resident"),
    ("meters", "/cabinet/meters", "resident"),
    ("reading", "reading submission (POST)", "resident"),
    ("receipt", "receipt PDF", "resident"),
]
TARGETS = {"reading": 0.20}  # the rest: resident pages 0.30 of hello world
RESIDENT_TARGET = 0.30
RECEIPT_TARGET = 1.5  # receipt p50 in a child / drawn in the worker, same run
HOUSE_TARGET = 1.1  # the house's per-receipt cost at the last size / at the first, same run
KEPT = "\n## Further measurements\n"  # from here on results.md is written by hand, and kept


# --- a tiny HTTP client with a cookie jar ----------------------------------------------------

class Browser:
    def __init__(self, port):
        self.port, self.cookies = port, {}

    def request(self, method, path, form=None):
        conn = HTTPConnection("127.0.0.1", self.port, timeout=60)
        headers = {"Cookie": self.cookie_header()} if self.cookies else {}
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        data = response.read()
        self.location = urlsplit(response.getheader("Location", "/")).path or "/"
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name] = rest.split(";", 1)[0]
        conn.close()
        return response.status, response.getheader("Content-Type", ""), data

    def cookie_header(self):
        return "; ".join(f"{k}={v}" for k, v in self.cookies.items() if v)

    def get(self, path):
        return self.request("GET", path)


class Forms(HTMLParser):
    """Every <form> of a page with its fields, and every link."""

    def __init__(self, html):
        super().__init__()
        self.forms, self.links = [], []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "a" and a.get("href"):
            self.links.append(a["href"])
        elif tag == "form":
            self.forms.append({"action": a.get("action") or "", "method": (a.get("method") or
                               "get").lower(), "fields": []})
        elif tag in ("input", "select", "textarea") and self.forms and a.get("name"):
            self.forms[-1]["fields"].append(a)


def csrf_token(html):
    for form in Forms(html).forms:
        for field in form["fields"]:
            if field["name"] == "csrf_token":
                return field.get("value", "")
    return ""


def log_in(port, number, password):
    browser = Browser(port)
    _, _, html = browser.get("/login")
    status, _, _ = browser.request("POST", "/login", {
        "csrf_token": csrf_token(html.decode()), "account": number, "password": password})
    if status != 302:
        raise RuntimeError(f"login of {number} answered {status}")
    # follow the redirect as a browser does: the first page sets the session's CSRF token,
    # and wrk then replays the cookie a browser would hold (else every request re-signs it)
    browser.get(browser.location)
    return browser


# --- finding each page's address ----------------------------------------------------------

READING_FIELD = re.compile(r"m(\d+)_t(\d)$")  # meters.py: reading_field_name(meter, zone)


def reading_form(html, path):
    """The first form on the meters page that posts readings: (action, fixed fields, the
    names of the fields a reading goes into)."""
    for form in Forms(html).forms:
        action = form["action"] or path
        if form["method"] != "post" or action.startswith(("/logout", "/lang")):
            continue
        fixed, readings = {}, []
        for field in form["fields"]:
            kind = (field.get("type") or "text").lower()
            if kind in ("hidden", "submit"):
                fixed[field["name"]] = field.get("value", "")
            elif kind in ("text", "number") and READING_FIELD.match(field["name"]):
                readings.append(field["name"])
        if readings:
            return action, fixed, readings
    return None


def reading_bodies(form, levels, count=5):
    """`count` different submissions of one form: each a month's usual use above the last
    reading, a little more each time, so that every one of them is a change that is saved."""
    action, fixed, names = form
    bodies = []
    for k in range(count):
        data = dict(fixed)
        for name in names:
            meter, zone = READING_FIELD.match(name).groups()
            zones = levels.get(meter, [])
            if int(zone) <= len(zones):
                last, growth = (float(x) for x in zones[int(zone) - 1])
                data[name] = f"{last + growth * (1 + k / 10):.3f}".replace(".", ",")
        bodies.append(urlencode(data))
    return action, bodies


def discover(browser):
    """{page: (method, path, form data) or a reason it is not available} for one resident."""
    found = {"cabinet": ("GET", "/cabinet", None)}
    status, _, html = browser.get("/cabinet/statements")
    pages = {}
    if status == 200:
        found["statements"] = ("GET", "/cabinet/statements", None)
        pages["statements"] = html.decode()
        links = [link for link in Forms(pages["statements"]).links
                 if link.startswith("/cabinet/statements") and link != "/cabinet/statements"]
        months = [link for link in links if "pdf" not in link.lower()
                  and "receipt" not in link.lower()]
        if months:
            found["statement"] = ("GET", months[0], None)
            status, _, html = browser.get(months[0])
            if status == 200:
                pages["statement"] = html.decode()
    for html in pages.values():
        pdfs = [link for link in Forms(html).links if ".pdf" in link.lower()
                or "receipt" in link.lower()]
        if pdfs and "receipt" not in found:
            found["receipt"] = ("GET", pdfs[0], None)
    status, _, html = browser.get("/cabinet/meters")
    if status == 200:
        found["meters"] = ("GET", "/cabinet/meters", None)
        if reading_form(html.decode(), "/cabinet/meters"):
            found["reading"] = ("POST", "/cabinet/meters", None)
    return found


def check(browser, key, method, path, body):
    """The page answers as it should before it is measured; else the reason it does not."""
    conn = HTTPConnection("127.0.0.1", browser.port, timeout=60)
    headers = {"Cookie": browser.cookie_header()}
    if body is not None:
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    conn.request(method, path, body=body, headers=headers)
    response = conn.getresponse()
    status, content_type, body = (response.status, response.getheader("Content-Type", ""),
                                  response.read())
    conn.close()
    if key == "receipt" and (status != 200 or not body.startswith(b"%PDF")):
        return f"answered {status} {content_type}"
    if key == "reading" and status not in (200, 302, 303):
        return f"answered {status}"
    if key not in ("reading", "receipt") and status != 200:
        return f"answered {status}"
    return None


# --- wrk ---------------------------------------------------------------------------------

LUA = """
local requests = {}
local i = 0
init = function(args)
%s
end
request = function()
  i = i %% #requests + 1
  return requests[i]
end
done = function(summary, latency, requests)
  io.write(string.format('WRK {"requests": %%d, "duration_us": %%d, "p50_us": %%d, "p99_us": %%d, ' ..
    '"status_errors": %%d, "socket_errors": %%d}\\n', summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(99), summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
"""


def lua_string(text):
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def wrk_script(variants, folder, key):
    lines = []
    for method, path, cookie, body in variants:
        headers = {"Cookie": cookie} if cookie else {}
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        header_lua = "{" + ", ".join(f"[{lua_string(k)}] = {lua_string(v)}"
                                     for k, v in headers.items()) + "}"
        body_lua = lua_string(body) if body is not None else "nil"
        lines.append(f"  table.insert(requests, wrk.format({lua_string(method)}, "
                     f"{lua_string(path)}, {header_lua}, {body_lua}))")
    script = folder / f"{key}.lua"
    script.write_text(LUA % "\n".join(lines))
    return script


def run_wrk(port, script, seconds, warmup=1):
    url = f"http://127.0.0.1:{port}"
    subprocess.run(["wrk", "-t1", "-c4", f"-d{warmup}s", "-s", str(script), url],
                   capture_output=True, check=True)  # warm-up
    out = subprocess.run(["wrk", "-t1", "-c4", f"-d{seconds}s", "-s", str(script), url],
                         capture_output=True, text=True, check=True).stdout
    stats = json.loads(out.split("WRK ", 1)[1].splitlines()[0])
    stats["rate"] = stats["requests"] / (stats["duration_us"] / 1e6)
    return stats


# --- gunicorn ----------------------------------------------------------------------------

def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_gunicorn(database, port, workdir, **settings):
    env = dict(os.environ, **settings, DOMKOM_DATABASE=database, DOMKOM_SECRET_KEY="bench-secret",
               DOMKOM_RATELIMIT_ENABLED="false", DOMKOM_MAIL_OUTBOX=str(workdir / "outbox"),
               DOMKOM_BASE_URL=f"http://127.0.0.1:{port}", GUNICORN_ACCESSLOG="", GUNICORN_MAX_REQUESTS="0",
               GUNICORN_LOGLEVEL="warning")
    process = subprocess.Popen(
        [GUNICORN, "-c", "deploy/gunicorn.conf.py", "--workers", "2", "--bind",
         f"127.0.0.1:{port}", "bench.app_bench:app"], cwd=ROOT, env=env)
    for _ in range(300):
        try:
            if Browser(port).get("/hello")[0] == 200:
                return process
        except OSError:
            time.sleep(0.1)
    process.terminate()
    raise RuntimeError("gunicorn did not start")


def children(pid):
    return Path(f"/proc/{pid}/task/{pid}/children").read_text().split()


def process_memory(pid):
    """(peak, current) resident memory in MB (VmHWM, VmRSS) of one process."""
    fields = dict(line.split(":", 1) for line in
                  Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line)
    return (int(fields["VmHWM"].split()[0]) / 1024, int(fields["VmRSS"].split()[0]) / 1024)


def worker_memory(master):
    """(peak, current) resident memory in MB of each gunicorn worker."""
    return [process_memory(pid) for pid in children(master)]


def descendants(pid):
    return [p for child in children(pid) for p in [child, *descendants(child)]]


def helper_memory(master):
    """(peak, current) MB of the workers' long-lived helpers (the receipts' fork server and
    render process, multiprocessing's resource tracker): not the workers', but the machine's."""
    return [process_memory(pid) for worker in children(master) for pid in descendants(worker)]


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


# --- PostgreSQL ---------------------------------------------------------------------------

class Postgres:
    """BENCH_PG_URL's server, or a throw-away cluster started with .ci/pg (needs root)."""

    def __init__(self):
        self.url, self.folder = os.environ.get("BENCH_PG_URL", ""), None

    def __enter__(self):
        if not self.url:
            self.folder = tempfile.mkdtemp(prefix="domkom-bench-pg-")
            self.url = subprocess.run(
                [str(ROOT / ".ci" / "pg"), "start", self.folder, str(free_port())],
                env=dict(os.environ, PG_DURABLE="1"),
                capture_output=True, text=True, check=True).stdout.strip()
        return self

    def database(self, size):
        import psycopg
        name = f"domkom_bench_{size}"
        with psycopg.connect(self.url, autocommit=True) as admin:
            exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s",
                                   (name,)).fetchone()
            if not exists:
                admin.execute(f'CREATE DATABASE "{name}"')
        return urlsplit(self.url)._replace(path="/" + name).geturl()

    def fresh_database(self, name):
        """An empty database of that name (dropped first when an earlier run left it)."""
        import psycopg
        with psycopg.connect(self.url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
            admin.execute(f'CREATE DATABASE "{name}"')
        return urlsplit(self.url)._replace(path="/" + name).geturl()

    def __exit__(self, *exc):
        if self.folder:
            subprocess.run([str(ROOT / ".ci" / "pg"), "stop", self.folder], check=False)


# --- other areas' benchmarks and the report ------------------------------------------------

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


def mail_section():
    """The report's Mail part: each database's latest bench_mail.py run."""
    saved = sorted(WORK.glob("mail-*.json"), key=lambda p: p.name != "mail-sqlite.json")
    if not saved:
        return []
    parts = ["### Mail", "",
             "`bench/bench_mail.py` (`make bench BENCH_ARGS=--only-mail` runs only it): the "
             "worker (`flask --app app worker`, 4 threads) sends 10,000 letters to an aiosmtpd "
             "server on 127.0.0.1 while a second process asks for /login every 50 ms; then "
             "registrations through gunicorn with no worker and with the worker hung on a "
             "stalled SMTP server (accepts, never answers), and every letter counted by its "
             "address at the server once it recovers. Targets: at least 50 letters a second, "
             "the stalled registration's p50 within 1.5 × of the one with no mail, none lost, "
             "none twice.", ""]
    for path in saved:
        data = json.loads(path.read_text())
        parts += [f"{data['db']}, run {data['when']} on {data['machine']}:", "", "```",
                  data["text"], "```", ""]
    return parts


def ratio(value, base):
    return value / base if base else 0.0


def table(db_name, runs):
    """The markdown table of one database: every page at every size, with the ratios."""
    sizes = sorted(runs)
    head = ["page"]
    for size in sizes:
        head += [f"{size:,}: req/s", "p50 ms", "p99 ms", "× hello"]
    if len(sizes) > 1:
        head.append(f"{sizes[-1]:,} / {sizes[0]:,}")
    lines = [f"### {db_name}", "", "| " + " | ".join(head) + " |",
             "|" + "---|" * len(head)]
    for key, label, _kind in PAGES:
        row = [label]
        for size in sizes:
            stats = runs[size]["pages"].get(key, {"missing": "not run"})
            if "missing" in stats:
                row += [stats["missing"], "", "", ""]
                continue
            hello = runs[size]["pages"]["hello"]["rate"]
            share = ratio(stats["rate"], hello)
            target = TARGETS.get(key, RESIDENT_TARGET if key not in ("hello", "landing", "login")
                                 else None)
            mark = "" if target is None else (" ✓" if share >= target else f" ✗ (≥{target:.0%})")
            errors = f" ({stats['status_errors']} bad)" if stats["status_errors"] else ""
            row += [f"{stats['rate']:.0f}{errors}", f"{stats['p50_us'] / 1000:.1f}",
                    f"{stats['p99_us'] / 1000:.1f}",
                    f"{share:.0%}{mark}" if key != "hello" else "100%"]
        if len(sizes) > 1:
            first = runs[sizes[0]]["pages"].get(key, {})
            last = runs[sizes[-1]]["pages"].get(key, {})
            if "rate" in first and "rate" in last:
                change = ratio(last["rate"], first["rate"])
                mark = "" if key == "hello" else (" ✓" if change >= 0.8 else " ✗ (≥0.80)")
                row.append(f"{change:.2f}{mark}")
            else:
                row.append("")
        lines.append("| " + " | ".join(row) + " |")
    lines.append("")
    for size in sizes:
        hello = runs[size]["pages"]["hello"]
        if "rate_last" in hello:
            lines.append(f"- {size:,} accounts: hello world {hello['rate_first']:.0f} req/s at the "
                         f"start and {hello['rate_last']:.0f} at the end of the run")
        memory = runs[size]["memory"]
        worst = max(p for p, _ in memory) if memory else 0
        made = runs[size]["generation_s"]
        lines.append(f"- {size:,} accounts: data "
                     + (f"generated in {made:.0f} s" if made is not None
                        else "kept from an earlier run")
                     + "; worker memory, peak (VmHWM) / at the end (VmRSS): "
                     + ", ".join(f"{p:.0f} / {n:.0f} MB" for p, n in memory)
                     + (", peak before any login "
                        + ", ".join(f"{p:.0f} MB" for p, _ in runs[size]["before_logins"])
                        if runs[size].get("before_logins") else "")
                     + (" ✓ (≤ 75 MB)" if worst <= 75 else " ✗ (≤ 75 MB)")
                     + ("; the workers' helper processes (resource tracker, receipts' fork "
                        "server and render process): " + ", ".join(f"{p:.0f} / {n:.0f} MB" for p, n in
                                                 runs[size]["helpers"])
                        if runs[size].get("helpers") else ""))
        child = runs[size]["pages"].get("receipt", {})
        worker = runs[size]["pages"].get("receipt_in_worker", {})
        if "p50_us" in child and "p50_us" in worker:
            share = ratio(child["p50_us"], worker["p50_us"])
            lines.append(f"- {size:,} accounts: receipt PDF p50 {child['p50_us'] / 1000:.1f} ms "
                         f"drawn in a child, {worker['p50_us'] / 1000:.1f} ms drawn in the worker "
                         f"(DOMKOM_RENDER_IN_CHILD=false, same load, same run): "
                         f"{share:.2f} ×" + (" ✓" if share <= RECEIPT_TARGET else " ✗")
                         + f" (≤ {RECEIPT_TARGET} ×); workers drawing it themselves: "
                         + ", ".join(f"{p:.0f} MB" for p, _ in worker.get("memory", [])))
    lines += house_lines(sizes, runs)
    lines.append("")
    return "\n".join(lines)


def house_lines(sizes, runs):
    """The whole house's receipts at each size, and the per-receipt cost's ratio."""
    printed = [(size, runs[size].get("house") or {}) for size in sizes]
    printed = [(size, house) for size, house in printed if house.get("per_ms")]
    lines = []
    for size, house in printed:
        minutes = house["seconds"] / 60
        lines.append(f"- {size:,} accounts: the house's receipts as the office's job "
                     f"(bench_receipts.py --house): the start request answered in "
                     f"{house['answer_ms']:.0f} ms" + (" ✓ (< 1 s)" if house["answer_ms"] < 1000
                                                       else " ✗ (< 1 s)")
                     + f", all {size:,} drawn in {minutes:.1f} min"
                     + ("" if size < 100000 else " ✓ (≤ 10 min)" if minutes <= 10
                        else " ✗ (≤ 10 min)")
                     + f", {house['per_ms']:.2f} ms per receipt")
    if len(printed) > 1:
        (small, first), (big, last) = printed[0], printed[-1]
        share = last["per_ms"] / first["per_ms"]
        lines.append(f"- per receipt at {big:,} / at {small:,} accounts: {share:.2f} ×"
                     + (" ✓" if share <= HOUSE_TARGET else " ✗") + f" (≤ {HOUSE_TARGET} ×)")
    return lines


def write_report(log, only_mail=False):
    """bench/results.md from every database's latest run kept in bench/work/; with only_mail
    the page tables already in results.md are kept as they are."""
    saved = sorted(WORK.glob("results-*.json"), key=lambda p: p.name != "results-sqlite.json")
    if only_mail or not saved:
        kept = (BENCH / "results.md").read_text() if (BENCH / "results.md").exists() else ""
        parts = [kept.split(KEPT)[0].split("\n### Mail\n")[0].rstrip("\n")
                 or "# Domkom benchmark", ""]
        write_markdown(parts + mail_section(), log)
        return
    parts = ["# Domkom benchmark", "",
             "`make bench` (SQLite) / `make bench DB=pg` / `make bench DB=both`. gunicorn with 2 "
             "sync workers and wrk (1 thread, 4 connections, 5 s per page after a 1 s warm-up) "
             "on the same machine. “× hello” is the page's rate divided by a hello-world route "
             "of the same app in the same run (measured before and after the pages; the mean); "
             "the last column divides the rate at 100,000 accounts by the rate at 1,000. Targets: resident pages ≥ 30 % of hello world, a reading "
             "submission ≥ 20 %, 100k within 20 % of 1k, a worker ≤ 75 MB at its peak.", ""]
    extra = None
    for path in saved:
        data = json.loads(path.read_text())
        parts.append(f"Run {data['when']} on {data['machine']}.")
        parts.append("")
        parts.append(table(data["db"], {int(k): v for k, v in data["runs"].items()}))
        extra = {**(extra or {}), **(data.get("extra") or {})}  # each kind's latest
    if extra:
        parts += ["### Import and receipts", ""]
        for name, text in extra.items():
            parts += [f"`bench/{name}`:", "", "```", text, "```", ""]
    write_markdown(parts + mail_section(), log)


def write_markdown(parts, log):
    path = BENCH / "results.md"
    kept = path.read_text() if path.exists() else ""
    report = "\n".join(parts).rstrip("\n") + "\n"
    if KEPT in kept:
        report += KEPT + kept.split(KEPT, 1)[1]
    (BENCH / "results.md").write_text(report)
    log("\n" + report)


def machine():
    cpu = "?"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    return f"{os.cpu_count()} × {cpu}"


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
