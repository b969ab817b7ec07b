"""Each speed-up of speedups.py on against off, in one process: the figures of its docstrings.

    python bench/bench_speedups.py DATABASE [NAME …]     (after bench/generate.py DATABASE 1000)

Pages run through the WSGI app (no server), in turns: the app with every speed-up, then an
app without one of them, and so on, ROUNDS turns of REQUESTS requests a page; the CPU time of
each one's best turn. A ratio is the time with the speed-up over the time without it.
"""
import os
import random
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]
os.environ.update(DOMKOM_DATABASE=sys.argv[1], DOMKOM_SECRET_KEY="bench-secret",
                  DOMKOM_RATELIMIT_ENABLED="false")

from app_bench import SPEEDUPS, make_app, use_speedups  # noqa: E402
from generate import residents_of  # noqa: E402

REQUESTS = int(os.environ.get("REQUESTS", 150))
ROUNDS = int(os.environ.get("ROUNDS", 6))
PATHS = ["/", "/cabinet", "/cabinet/statements", "/cabinet/meters"]


def logged_in(app):
    client = app.test_client()
    number, password = residents_of(1)[0]
    html = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
    response = client.post("/login", data={"csrf_token": token, "account": number,
                                            "password": password})
    assert response.status_code == 302, response.status_code
    return client


def main():
    names = sys.argv[2:] or list(SPEEDUPS)
    configs = {"all": ()} | {name: (name,) for name in names}
    clients = {}
    for config, without in configs.items():
        use_speedups(without)
        clients[config] = logged_in(make_app(without))
    best = {config: {path: float("inf") for path in PATHS} for config in configs}
    for _ in range(ROUNDS):
        for config in random.sample(list(configs), len(configs)):
            use_speedups(configs[config])
            for path in PATHS:
                for _ in range(10):
                    clients[config].get(path)
                started = time.process_time()
                for _ in range(REQUESTS):
                    assert clients[config].get(path).status_code == 200
                spent = (time.process_time() - started) / REQUESTS * 1000
                best[config][path] = min(best[config][path], spent)
    for path in PATHS:
        fast = best["all"][path]
        print(f"{path:22} {fast:5.2f} ms" + "".join(
            f" | without {name} {best[name][path]:5.2f} ms: {fast / best[name][path]:.2f}×"
            for name in names))


if __name__ == "__main__":
    main()
