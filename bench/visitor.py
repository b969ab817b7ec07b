"""The bench as the site's visitor: HTTP with cookies, logins, each page's address, wrk."""
import json
import re
import subprocess
from html.parser import HTMLParser
from http.client import HTTPConnection
from urllib.parse import urlencode, urlsplit


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
