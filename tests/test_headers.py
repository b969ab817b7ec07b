"""Security headers on every response, and templates that a strict CSP can serve."""
import re

import pytest

from helpers import ROOT
from testdb import make_app

PAGES = ["/", "/register", "/login", "/forgot", "/help", "/privacy", "/office/login",
         "/no-such-page", "/static/domkom.css"]


def csp_directives(response):
    return {part.strip().split(" ", 1)[0]: part.strip().split(" ", 1)[1]
            for part in response.headers["Content-Security-Policy"].split(";")}


@pytest.mark.parametrize("path", PAGES)
def test_headers_on_every_response(demo, client, path):
    r = client.get(path)
    csp = csp_directives(r)
    assert csp["default-src"] == "'self'"
    assert csp["img-src"] == "'self' data:"
    assert csp["frame-ancestors"] == "'none'"
    assert csp["form-action"] == "'self'"
    assert csp["base-uri"] == "'none'"
    assert csp["object-src"] == "'none'"
    assert "unsafe-inline" not in r.headers["Content-Security-Policy"]
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert r.headers["X-Frame-Options"] == "DENY"
    assert r.headers["Referrer-Policy"] == "same-origin"
    assert "Strict-Transport-Security" not in r.headers


def test_headers_on_posts_and_errors(demo, client):
    r = client.post("/login", data={"account": "100001", "password": "x"})
    assert r.status_code == 401 and "frame-ancestors 'none'" in r.headers["Content-Security-Policy"]


def test_hsts_only_with_https(tmp_path):
    app = make_app(tmp_path, HTTPS=True)
    r = app.test_client().get("/login", base_url="https://localhost")
    assert r.headers["Strict-Transport-Security"].startswith("max-age=31536000")


def test_personal_pages_are_not_cached(logged_in, client):
    assert client.get("/cabinet").headers["Cache-Control"] == "no-store"


INLINE_SCRIPT = re.compile(r"<script\b(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
STYLE_ATTR = re.compile(r"\sstyle\s*=", re.IGNORECASE)
STYLE_TAG = re.compile(r"<style\b", re.IGNORECASE)
HANDLER_ATTR = re.compile(r"\son[a-z]+\s*=", re.IGNORECASE)
JS_URL = re.compile(r"javascript:", re.IGNORECASE)


def page_templates():
    # e-mail bodies are not served under the CSP (mail clients need inline styles)
    return [p for p in (ROOT / "templates").rglob("*.html") if "email" not in p.parts]


def test_templates_have_no_inline_script_or_style():
    found = []
    for path in page_templates():
        text = path.read_text(encoding="utf-8")
        for pattern in (INLINE_SCRIPT, STYLE_ATTR, STYLE_TAG, HANDLER_ATTR, JS_URL):
            for match in pattern.finditer(text):
                line = text.count("\n", 0, match.start()) + 1
                found.append(f"{path.relative_to(ROOT)}:{line}: {match.group(0).strip()}")
    assert len(page_templates()) > 10
    assert found == []


@pytest.mark.parametrize("snippet", ['<script>alert(1)</script>', '<div style="x">',
                                     '<a onclick="x()">', '<style>p{}</style>'])
def test_the_scan_recognises_inline_code(snippet):
    assert any(p.search(snippet) for p in (INLINE_SCRIPT, STYLE_ATTR, STYLE_TAG, HANDLER_ATTR))
    assert not any(p.search('<script src="/static/x.js"></script>')
                   for p in (INLINE_SCRIPT, STYLE_ATTR, STYLE_TAG, HANDLER_ATTR))
