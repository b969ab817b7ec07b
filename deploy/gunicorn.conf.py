"""Gunicorn settings for Domkom: `gunicorn -c deploy/gunicorn.conf.py` from the checkout.

Every value can be overridden from /etc/domkom.env (GUNICORN_BIND, GUNICORN_WORKERS, …).
"""
import multiprocessing
import os
import shutil

wsgi_app = "app:create_app()"

# nginx in front talks to this address; a second app server listens on its private address.
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")

# Sync workers: every page is a few indexed queries, so a worker per core plus one covers a
# small VPS; each worker holds its own database connection and peaks at about 70 MB of memory
# on SQLite, 76 on PostgreSQL (bench/results.md; receipt PDFs are drawn in a render process
# beside each worker: forked.py).
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count() * 2 + 1))
worker_class = "sync"
timeout = int(os.environ.get("GUNICORN_TIMEOUT", 60))  # a large import upload can take a while
graceful_timeout = 30
keepalive = 5

# Restart a worker now and then so that a slow leak can never grow without bound (0 turns it
# off); a fresh worker loads its templates compiled, see on_starting.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", 20000))
max_requests_jitter = max_requests // 10

# Load the code once in the master and fork: the workers share its memory pages.
# No database connection is opened at import time, so forking is safe.
preload_app = True

# Heartbeat files in RAM rather than on the (possibly slow) disk.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None

# Only nginx on this machine may set X-Forwarded-*; see DOMKOM_PROXY_COUNT for the app's side.
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1")

accesslog = os.environ.get("GUNICORN_ACCESSLOG", "-") or None  # "-" goes to the journal
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOGLEVEL", "info")
proc_name = "domkom"

# No runtime control socket (gunicornc): systemd reloads with HUP, and the checkout is
# read-only for the service, so there is nowhere to put the socket anyway.
control_socket_disable = True


def when_ready(server):
    """Say so when several workers keep their attempt counters each in its own memory: every
    limit is then multiplied by the number of workers, and a restart forgets them all."""
    uri = server.app.wsgi().config.get("RATELIMIT_STORAGE_URI") or "memory://"
    if server.num_workers > 1 and uri.startswith("memory://"):
        server.log.warning(
            "Throttling counters are in each worker's memory (RATELIMIT_STORAGE_URI=%s) while "
            "%d workers run: every login and registration limit is %d times looser and a "
            "restart resets it. Set DOMKOM_RATELIMIT_STORAGE_URI=redis://127.0.0.1:6379/0.",
            uri, server.num_workers, server.num_workers)


def on_starting(server):
    """Every template compiled once, by a child of the master, for all the workers: a worker
    that compiles its own pages keeps the garbage of it (template_cache.py)."""
    if not server.cfg.preload_app:
        return
    import template_cache  # the checkout is on sys.path only once the app is loaded
    server.template_folder, compiled = template_cache.precompile(server.app.wsgi())
    server.log.info("Templates compiled for the workers: %d, in %s", compiled,
                    server.template_folder)


def on_exit(server):
    if getattr(server, "template_folder", None):
        shutil.rmtree(server.template_folder, ignore_errors=True)
