"""bench/results.md: the pages measured, their targets, the tables and the mail part."""
import json
import os
from pathlib import Path

from servers import BENCH, WORK

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
