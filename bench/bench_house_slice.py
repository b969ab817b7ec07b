"""CPU per receipt of a slice of a big house, read from an existing database without writing.

    .venv/bin/python bench/bench_house_slice.py /tmp/bench100k.db [--accounts 1000] [--profile]

The database (bench/generate.py's, e.g. 100,000 accounts × 24 months) is opened read-only; the
slice is the HOA's first accounts in address order's place, its latest month. Prints the CPU
time per receipt of house_receipts.house_receipts() in this one process (the figure to compare:
the machine is shared, wall time is not), the digest of what the slice's PDF shows (its page
streams and the QR payloads: the same before and after a speed-up) and, with --profile, the
profile of a 200-receipt part of it.
"""
import argparse
import cProfile
import hashlib
import os
import pstats
import re
import sys
import tempfile
import time
import zlib
from pathlib import Path

from playhouse.pool import PooledSqliteDatabase

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import house_receipts  # noqa: E402
import receipts  # noqa: E402
from app import create_app  # noqa: E402
from database import db  # noqa: E402
from models import Account, Charge, Hoa  # noqa: E402


def open_read_only(path):
    database = PooledSqliteDatabase(f"file:{path}?mode=ro", uri=True, check_same_thread=False,
                                    pragmas={"cache_size": -8000, "query_only": 1})
    db.initialize(database)


def digest(pdf):
    """A digest of the PDF's page streams (what it draws) and nothing that varies by run."""
    streams = [zlib.decompressobj().decompress(m.group(1)) for m in
               re.finditer(rb"stream\r?\n(.*?)endstream", pdf, re.S)
               if m.group(1)[:1] == b"x"]
    whole = re.sub(rb"/CreationDate \(.*?\)", b"", pdf)
    return (hashlib.sha256(b"".join(streams)).hexdigest()[:16], len(streams),
            hashlib.sha256(whole).hexdigest()[:16])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("database")
    parser.add_argument("--accounts", type=int, default=1000)
    parser.add_argument("--hoa", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=2, help="timed runs; the best is quoted")
    parser.add_argument("--profile", action="store_true")
    options = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="domkom-bench-slice-"))
    app = create_app({"DATABASE": str(folder / "app.db"), "SECRET_KEY": "bench", "TESTING": True,
                      "QUEUE_URL": str(folder / "queue.db")})
    open_read_only(options.database)
    with app.app_context():
        hoa = Hoa.get_by_id(options.hoa)
        period = Charge.select(Charge.period).order_by(Charge.period.desc()).first().period
        accounts = list(Account.select().where(Account.hoa == hoa).order_by(Account.id)
                        .limit(options.accounts))
        house_receipts.house_receipts(hoa, period, accounts[:20])  # imports, fonts, caches
        payloads = []
        make_qr = receipts.BatchQr.__call__

        def recording(self, payload):
            qr = make_qr(self, payload)
            payloads.append(f"{payload} {b''.join(qr.matrix).hex()}")
            return qr

        receipts.BatchQr.__call__ = recording
        pdf = house_receipts.house_receipts(hoa, period, accounts)
        receipts.BatchQr.__call__ = make_qr
        pages, streams, _ = digest(pdf)
        qr = hashlib.sha256("\n".join(payloads).encode()).hexdigest()[:16]
        print(f"{len(accounts)} accounts of HOA {hoa.id}, {period:%Y-%m}: PDF {len(pdf) / 1e6:.1f} MB, "
              f"page streams {pages} ({streams}), QR payloads and codes {qr} ({len(payloads)})")
        best = None
        for _ in range(options.rounds):
            start = time.process_time()
            house_receipts.house_receipts(hoa, period, accounts)
            cpu = (time.process_time() - start) / len(accounts)
            best = cpu if best is None else min(best, cpu)
            print(f"  {cpu * 1000:.2f} ms CPU per receipt")
        print(f"best of {options.rounds}: {best * 1000:.2f} ms CPU per receipt; "
              f"load average {os.getloadavg()[0]:.2f}")
        if options.profile:
            profiler = cProfile.Profile()
            profiler.enable()
            house_receipts.house_receipts(hoa, period, accounts[:200])
            profiler.disable()
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(40)
            pstats.Stats(profiler).sort_stats("tottime").print_stats(30)


if __name__ == "__main__":
    main()
