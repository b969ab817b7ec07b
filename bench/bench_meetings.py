"""How long a meeting's papers take to draw: the personal ballots of a register and its
protocol, for registers of 100, 300 and 1,000 entries (three questions, one owner a flat).

    python bench/bench_meetings.py [--sizes 100 300 1000]

The figure decides MEETING_BALLOTS_IN_REQUEST: ballots drawn inside a request must stay
within a few seconds on the smallest VPS; a bigger register's are printed by the worker.
"""
import argparse
import os
import sys
import tempfile
import time
from datetime import date
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from app import create_app  # noqa: E402
from factories_meetings import make_meeting  # noqa: E402
from migrate import create_tables  # noqa: E402


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 300, 1000])
    args = parser.parse_args()
    folder = tempfile.mkdtemp(prefix="domkom-bench-meetings-")
    app = create_app({"DATABASE": os.path.join(folder, "bench.db"), "SECRET_KEY": "bench",
                      "QUEUE_IMMEDIATE": True})
    with app.app_context():
        create_tables()
        from meetings import pdf, register
        from meetings.results import count_meeting
        from models import Hoa
        hoa = Hoa.create(name="ТСЖ «Бенч»", address="г. Самара, ул. Длинная, д. 1",
                         prefixes="9")
        for size in args.sizes:
            meeting = make_meeting(hoa)
            register.replace(meeting, [
                (f"ул. Длинная, д. 1, кв. {i}", Decimal("55.55"), False, None,
                 [(f"Собственник {i}", Fraction(1), True)]) for i in range(1, size + 1)])
            start = time.perf_counter()
            data = pdf.render_ballots(meeting.id)
            ballots = time.perf_counter() - start
            start = time.perf_counter()
            pdf.protocol(meeting, count_meeting(meeting), date.today())
            protocol = time.perf_counter() - start
            print(f"{size:>6} entries: ballots {ballots:6.2f} s ({ballots / size * 1000:.0f} ms "
                  f"each, {len(data) // 1024} KB), protocol {protocol:5.2f} s")


if __name__ == "__main__":
    main()
