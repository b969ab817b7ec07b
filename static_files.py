"""Static files (Domkom's own and Bootstrap's) under addresses that change with their content,
kept by browsers for a year.

Without this every page asked again for its five files (a 304 each when unchanged) and, for a
logged-in visitor, fetched Bootstrap's 230 KB whole again (`no-store` was set on everything but
Domkom's own folder); behind nginx an updated domkom.css could be an hour late. Now
`url_for("static", filename="domkom.css")` gives `/static/domkom.css?v=<hash of the file>`:
an update changes the address, so the old copy can be kept for as long as a browser likes.
"""
import hashlib
import os

from flask import request

STATIC_ENDPOINTS = frozenset({"static", "bootstrap.static"})
YEAR = 365 * 24 * 3600


def is_static_request():
    """Whether this request is for a static file: no session, no login, no page headers."""
    return request.endpoint in STATIC_ENDPOINTS


class Versions:
    """The first hex digits of each file's SHA-256, read again when its size or time changes."""

    def __init__(self):
        self.known = {}  # path -> ((mtime_ns, size), version)

    def of(self, path):
        try:
            stat = os.stat(path)
        except OSError:
            return None  # a missing file: its address stays as it was, and answers 404
        stamp = (stat.st_mtime_ns, stat.st_size)
        known = self.known.get(path)
        if known is None or known[0] != stamp:
            with open(path, "rb") as f:
                known = (stamp, hashlib.sha256(f.read()).hexdigest()[:12])
            self.known[path] = known
        return known[1]


def init_app(app):
    """Call after the extensions: Bootstrap-Flask's blueprint must be registered."""
    versions = Versions()

    @app.url_defaults
    def add_version(endpoint, values):
        if endpoint in STATIC_ENDPOINTS and "filename" in values and "v" not in values:
            owner = app if endpoint == "static" else app.blueprints[endpoint.split(".")[0]]
            version = versions.of(os.path.join(owner.static_folder, values["filename"]))
            if version is not None:
                values["v"] = version

    @app.after_request
    def keep_versioned(response):
        if is_static_request() and request.args.get("v") and response.status_code in (200, 304):
            response.cache_control.no_cache = None
            response.cache_control.public = True
            response.cache_control.max_age = YEAR
            response.cache_control.immutable = True
        return response
