"""Where a page's time goes: pyinstrument over N requests through the WSGI app (no server).

    python bench/profile_pages.py DATABASE [PATH …]     (after bench/generate.py DATABASE 1000)
"""
import os
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.update(DOMKOM_DATABASE=sys.argv[1], DOMKOM_SECRET_KEY="bench-secret",
                  DOMKOM_RATELIMIT_ENABLED="false")

from pyinstrument import Profiler  # noqa: E402

sys.path.insert(0, str(ROOT / "bench"))
from app_bench import app  # noqa: E402
from generate import residents_of  # noqa: E402

N = int(os.environ.get("PROFILE_REQUESTS", 300))


def logged_in_client():
    client = app.test_client()
    number, password = residents_of(1)[0]
    html = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
    response = client.post("/login", data={"csrf_token": token, "account": number,
                                            "password": password})
    assert response.status_code == 302, response.status_code
    return client


def main():
    paths = sys.argv[2:] or ["/hello", "/", "/login", "/cabinet"]
    anonymous, resident = app.test_client(), logged_in_client()
    for path in paths:
        client = resident if path.startswith("/cabinet") else anonymous
        for _ in range(20):
            client.get(path)
        started = time.perf_counter()
        profiler = Profiler(interval=0.0002)
        profiler.start()
        for _ in range(N):
            assert client.get(path).status_code == 200
        profiler.stop()
        per_request = (time.perf_counter() - started) / N * 1000
        print(f"\n===== {path}: {per_request:.2f} ms a request (profiled) =====")
        print(profiler.output_text(unicode=True, color=False, show_all=False))


if __name__ == "__main__":
    main()
