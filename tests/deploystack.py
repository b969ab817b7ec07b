"""The VPS guide's parts run on loopback for the deployment tests: nginx with the site that
deploy/site.sh writes, a self-signed certificate, gunicorn and the job worker started from the
systemd units' ExecStart lines, PostgreSQL and Redis; and a visitor speaking HTTPS to nginx."""
import http.client
import os
import pwd
import re
import shlex
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import time
import uuid
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
VENV = Path(os.environ.get("DOMKOM_VENV", Path(os.sys.executable).parent.parent))
DOMAIN = "domkom.test"
VISITOR_ADDRESS = "127.0.0.2"  # the visitor's side of loopback; nginx talks to the app from 127.0.0.1
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port, process, seconds=30):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args[0]} exited with {process.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing listens on {port} after {seconds} s")


def unit_command(unit):
    """(argv, working directory) of a systemd unit in deploy/, the checkout and venv of this
    machine put where the guide has /srv/domkom/app."""
    text = (DEPLOY / unit).read_text()
    [start] = re.findall(r"^ExecStart=(.+)$", text, re.MULTILINE)
    [folder] = re.findall(r"^WorkingDirectory=(.+)$", text, re.MULTILINE)
    start = start.replace("/srv/domkom/app/.venv", str(VENV)).replace("/srv/domkom/app", str(ROOT))
    return shlex.split(start), folder.replace("/srv/domkom/app", str(ROOT))


def start_unit(unit, env, log):
    argv, cwd = unit_command(unit)
    with open(log, "ab") as out:
        return subprocess.Popen(argv, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT)


def stop(process, sig=signal.SIGTERM, seconds=40):
    if process.poll() is None:
        process.send_signal(sig)
        try:
            process.wait(seconds)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def env_example():
    """The settings of deploy/domkom.env.example, as systemd's EnvironmentFile reads them."""
    settings = {}
    for line in (DEPLOY / "domkom.env.example").read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            key, value = line.split("=", 1)
            settings[key.strip()] = " ".join(shlex.split(value))
    return settings


def app_environment(folder, database, port, **settings):
    """/etc/domkom.env for one app server on `port`: the guide's example with this site's
    address, database, secret and mail folder filled in."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DOMKOM_", "GUNICORN_"))}
    example = env_example()
    assert (example["DOMKOM_HTTPS"], example["DOMKOM_PROXY_COUNT"]) == ("1", "1")
    env.update(example)
    env.update({
        "DOMKOM_SECRET_KEY": "deploy-test-secret", "DOMKOM_BASE_URL": f"https://{DOMAIN}",
        "DOMKOM_DATABASE": database, "DOMKOM_MAIL_SERVER": "",
        "DOMKOM_MAIL_OUTBOX": str(folder / "outbox"), "DOMKOM_BACKUP_KEEP": "0",
        "GUNICORN_BIND": f"127.0.0.1:{port}", "GUNICORN_WORKERS": "2",
        "GUNICORN_ACCESSLOG": str(folder / f"access-{port}.log"),
    })
    env.update(settings)
    return env


class AppServer:
    """gunicorn as domkom.service starts it, on its own port."""

    def __init__(self, folder, env):
        self.port = int(env["GUNICORN_BIND"].rsplit(":", 1)[1])
        self.access_log = Path(env["GUNICORN_ACCESSLOG"])
        self.process = start_unit("domkom.service", env, folder / f"gunicorn-{self.port}.log")
        wait_for_port(self.port, self.process)

    def requests_served(self):
        return self.access_log.read_text().count("\n") if self.access_log.exists() else 0

    def stop(self):
        stop(self.process)


def make_certificate(folder):
    cert, key = folder / "fullchain.pem", folder / "privkey.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-keyout", key, "-out", cert, "-subj", f"/CN={DOMAIN}",
                    "-addext", f"subjectAltName=DNS:{DOMAIN}"],
                   check=True, capture_output=True)
    return cert, key


class Nginx:
    """Debian's nginx with its own prefix, pid and temp paths, serving the site of deploy/site.sh
    on two free ports (80's and 443's part). Run as an ordinary user: `nobody` when the tests
    run as root."""

    def __init__(self, app_servers, conf=None):
        self.folder = Path(tempfile.mkdtemp(prefix="domkom-nginx-"))
        os.chmod(self.folder, 0o755)
        self.http_port, self.https_port = free_port(), free_port()
        self.cert, key = make_certificate(self.folder)
        shutil.copy(DEPLOY / "nginx-domkom-proxy.conf", self.folder / "domkom-proxy.conf")
        (self.folder / "acme").mkdir()
        site = subprocess.run(
            [DEPLOY / "site.sh", DOMAIN], check=True, capture_output=True, text=True,
            env={**os.environ, "DOMKOM_VENV": str(VENV), "SITE_CERT": str(self.cert),
                 "SITE_KEY": str(key), "SITE_HTTP_PORT": str(self.http_port),
                 "SITE_HTTPS_PORT": str(self.https_port),
                 "SITE_APP_SERVERS": " ".join(f"127.0.0.1:{p}" for p in app_servers),
                 "SITE_ACME_ROOT": str(self.folder / "acme"),
                 "SITE_PROXY_CONF": str(self.folder / "domkom-proxy.conf")}).stdout
        if conf:
            site = conf(site)
        (self.folder / "domkom-site.conf").write_text(site)
        (self.folder / "nginx.conf").write_text(self.main_conf())
        argv = ["nginx", "-p", str(self.folder), "-c", str(self.folder / "nginx.conf"),
                "-e", str(self.folder / "error.log"), "-g", "daemon off;"]
        if os.geteuid() == 0:
            nobody = pwd.getpwnam("nobody")
            for path in [self.folder, *self.folder.iterdir()]:
                os.chown(path, nobody.pw_uid, nobody.pw_gid)
            argv = ["setpriv", f"--reuid={nobody.pw_uid}", f"--regid={nobody.pw_gid}",
                    "--clear-groups", *argv]
        check = subprocess.run([*argv[:-2], "-t"], capture_output=True, text=True)
        if check.returncode:
            raise RuntimeError(check.stderr)
        self.process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        wait_for_port(self.https_port, self.process)

    def main_conf(self):
        """Debian's /etc/nginx/nginx.conf with this instance's pid, logs and temp folders, and
        the Domkom site as the only one enabled."""
        temp = "".join(f"\t{kind}_temp_path {self.folder}/{kind}_temp;\n"
                       for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
        text = Path("/etc/nginx/nginx.conf").read_text()
        for pattern, replacement in [
                (r"(?m)^user .*;\n", ""),
                (r"(?m)^pid .*;", f"pid {self.folder}/nginx.pid;"),
                (r"(?m)^error_log .*;", f"error_log {self.folder}/error.log;"),
                (r"(?m)^(\s*)access_log .*;", rf"\1access_log {self.folder}/access.log;"),
                (r"(?m)^\s*include /etc/nginx/sites-enabled/\*;",
                 f"{temp}\tinclude {self.folder}/domkom-site.conf;")]:
            text, found = re.subn(pattern, replacement, text)
            assert found == 1, pattern
        return text

    def stop(self):
        stop(self.process, signal.SIGQUIT, 10)
        shutil.rmtree(self.folder, ignore_errors=True)


class Response:
    def __init__(self, raw):
        self.status = raw.status
        self.headers = raw.msg
        self.body = raw.read()
        self.text = self.body.decode("utf-8", "replace")

    def header(self, name):
        return self.headers.get(name)


class Visitor:
    """A browser's side over HTTPS through nginx: its cookies, the forms' CSRF tokens, and a
    loopback address of its own (127.0.0.2) so that the app can tell it from the proxy."""

    def __init__(self, nginx, source=VISITOR_ADDRESS, host=DOMAIN):
        self.nginx, self.source, self.host = nginx, source, host
        self.context = ssl.create_default_context(cafile=str(nginx.cert))
        self.cookies = {}

    def connection(self, timeout=30):
        visitor = self

        class Connection(http.client.HTTPSConnection):
            def connect(self):
                sock = socket.create_connection(("127.0.0.1", self.port), self.timeout,
                                                source_address=(visitor.source, 0))
                self.sock = visitor.context.wrap_socket(sock, server_hostname=DOMAIN)

        return Connection(self.host, self.nginx.https_port, timeout=timeout,
                          context=self.context)

    def request(self, method, path, body=None, headers=None, timeout=30):
        headers = {"Host": self.host, **(headers or {})}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        conn = self.connection(timeout)
        try:
            conn.request(method, path, body=body, headers=headers)
            response = Response(conn.getresponse())
        finally:
            conn.close()
        for line in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(line).items():
                if morsel["max-age"] == "0" or "1970" in morsel["expires"]:
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value
        return response

    def get(self, path, **kwargs):
        return self.request("GET", path, **kwargs)

    def token(self, path):
        page = self.get(path)
        found = CSRF.search(page.text)
        assert found, f"no form on {path}: {page.status}"
        return found.group(1) or found.group(2)

    def post_form(self, path, data, headers=None, token=None):
        """POST a form as the page at `path` sends it (its CSRF token unless `token` is given)."""
        body = urlencode({"csrf_token": token or self.token(path), **data})
        return self.request("POST", path, body=body, headers={
            "Content-Type": "application/x-www-form-urlencoded", **self.referer(path),
            **(headers or {})})

    def referer(self, path):
        """The page the form was on: Flask-WTF checks it over HTTPS, as browsers send it."""
        return {"Referer": f"https://{self.host}{path}", "Origin": f"https://{self.host}"}

    def post_files(self, path, files, form_path=None):
        """POST a multipart form of files [(name, bytes)] under the field `files`, with the
        CSRF token of the page at `form_path` (`path` unless given)."""
        form_path = form_path or path
        boundary = uuid.uuid4().hex
        parts = [f"--{boundary}\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n"
                 f"{self.token(form_path)}\r\n".encode()]
        for name, data in files:
            parts.append(f"--{boundary}\r\nContent-Disposition: form-data; name=\"files\"; "
                         f"filename=\"{name}\"\r\nContent-Type: text/csv\r\n\r\n".encode()
                         + data + b"\r\n")
        parts.append(f"--{boundary}--\r\n".encode())
        return self.request("POST", path, body=b"".join(parts), headers={
            "Content-Type": f"multipart/form-data; boundary={boundary}",
            **self.referer(form_path)})

    def upload(self, path, form_path, name, size):
        """A multipart POST of one file of `size` bytes, as the office's import form sends it;
        sent by hand, since nginx may answer before the body is all there."""
        boundary = uuid.uuid4().hex
        head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n"
                f"{self.token(form_path)}\r\n--{boundary}\r\nContent-Disposition: form-data; "
                f"name=\"files\"; filename=\"{name}\"\r\nContent-Type: text/csv\r\n\r\n").encode()
        tail = f"\r\n--{boundary}--\r\n".encode()
        length = len(head) + size + len(tail)
        request = (f"POST {path} HTTP/1.1\r\nHost: {self.host}\r\nContent-Length: {length}\r\n"
                   f"Content-Type: multipart/form-data; boundary={boundary}\r\n"
                   f"Cookie: {'; '.join(f'{k}={v}' for k, v in self.cookies.items())}\r\n"
                   f"Referer: https://{self.host}{form_path}\r\n"
                   "Connection: close\r\n\r\n").encode()
        conn = self.connection(timeout=120)
        conn.connect()
        sock = conn.sock
        try:
            sock.sendall(request + head)
            chunk = b"x" * (1024 * 1024)
            for start in range(0, size, len(chunk)):
                sock.sendall(chunk[:size - start])
            sock.sendall(tail)
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError):
            pass  # refused before the end: the answer is already there
        raw = http.client.HTTPResponse(sock, method="POST")
        raw.begin()
        try:
            return Response(raw)
        finally:
            sock.close()


class Pinned(Visitor):
    """The same browser (its cookies are the visitor's own) talking to one app server directly
    over loopback HTTP, with the headers nginx would add: so the test knows who answers."""

    def __init__(self, visitor, server):
        super().__init__(visitor.nginx, visitor.source, visitor.host)
        self.cookies, self.server = visitor.cookies, server

    def connection(self, timeout=30):
        return http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=timeout)

    def request(self, method, path, body=None, headers=None, timeout=30):
        forwarded = {"X-Forwarded-For": self.source, "X-Forwarded-Proto": "https",
                     "X-Forwarded-Host": self.host}
        return super().request(method, path, body, {**forwarded, **(headers or {})}, timeout)


def plain_http(nginx, path, host=DOMAIN):
    conn = http.client.HTTPConnection("127.0.0.1", nginx.http_port, timeout=10)
    try:
        conn.request("GET", path, headers={"Host": host})
        return Response(conn.getresponse())
    finally:
        conn.close()


class Redis:
    """A throw-away redis-server on a free port, keeping nothing on disk."""

    def __init__(self, folder):
        self.port = free_port()
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(folder)], stdout=subprocess.DEVNULL)
        wait_for_port(self.port, self.process)
        self.url = f"redis://127.0.0.1:{self.port}"

    def stop(self):
        stop(self.process)


class Postgres:
    """A throw-away cluster from .ci/pg on a free port."""

    def __init__(self):
        self.folder = tempfile.mkdtemp(prefix="domkom-deploy-pg.")
        self.url = subprocess.run([ROOT / ".ci" / "pg", "start", self.folder, str(free_port())],
                                  check=True, capture_output=True, text=True).stdout.strip()

    def stop(self):
        subprocess.run([ROOT / ".ci" / "pg", "stop", self.folder], check=False)
