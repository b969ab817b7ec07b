"""Domkom as production runs it, plus /hello: the baseline every page is compared with.

BENCH_WITHOUT=prepared,translations,constant_calls (any of them) serves it with those
speed-ups of speedups.py replaced by the plain library calls, to measure what each saves:
`BENCH_WITHOUT=translations make bench BENCH_ARGS="--sizes 1000 --skip-extra"`.
"""
import os

from app import create_app  # first, as gunicorn's app:create_app(): see optional_drivers.py

from flask_babel import get_translations  # noqa: E402

import formats  # noqa: E402
import speedups  # noqa: E402

SPEEDUPS = ("prepared", "translations", "constant_calls")
FAST = {"prepared": speedups.Prepared.__call__, "translations": speedups.request_translations}
PLAIN = {"prepared": lambda self, *values: iter(self.build(*values)),
         "translations": get_translations}  # what Flask-Babel's own gettext calls


def use_speedups(without=()):
    """The process-wide speed-ups on, but those named `without` (the plain calls instead)."""
    speedups.Prepared.__call__ = (PLAIN if "prepared" in without else FAST)["prepared"]
    translations = (PLAIN if "translations" in without else FAST)["translations"]
    speedups.request_translations = formats.request_translations = translations


def hello():
    return "Hello, world!"


def make_app(without=()):
    """An app with /hello; without ConstantCalls if "constant_calls" is named."""
    app = create_app()
    if "constant_calls" in without:  # before any template is compiled
        del app.jinja_env.extensions["speedups.ConstantCalls"]
    app.add_url_rule("/hello", "hello", hello)
    return app


WITHOUT = {name for name in os.environ.get("BENCH_WITHOUT", "").split(",") if name}
assert WITHOUT <= set(SPEEDUPS), f"BENCH_WITHOUT names one of {', '.join(SPEEDUPS)}"
use_speedups(WITHOUT)
app = make_app(WITHOUT)
