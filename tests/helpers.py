"""What tests act with: a resident's steps, the outbox and mailed links, a live server, an SMTP
server on loopback, the browser to launch."""
import email
import os
import re
import shutil
import socket
import threading
from email import policy
from pathlib import Path
from urllib.parse import urlsplit

from werkzeug.serving import make_server

from factories import registration_code
from testdb import make_app

ROOT = Path(__file__).resolve().parent.parent
LINK = re.compile(r"https?://[^\s<>\"]+")


class Outbox:
    """The .eml files written when no SMTP server is configured."""

    def __init__(self, folder):
        self.folder = Path(folder)

    def messages(self):
        if not self.folder.exists():
            return []
        return [email.message_from_bytes(p.read_bytes(), policy=policy.default)
                for p in sorted(self.folder.glob("*.eml"))]

    def last(self):
        messages = self.messages()
        assert messages, "no mail was written"
        return messages[-1]

    @staticmethod
    def text(message):
        return message.get_body(preferencelist=("plain",)).get_content()

    def links(self, message=None):
        return LINK.findall(self.text(message or self.last()))

    def password(self, message=None):
        found = re.search(r":\s*([A-Za-z0-9]{10})\s*$", self.text(message or self.last()),
                          re.MULTILINE)
        assert found, "no password in the mail"
        return found.group(1)


def path_of(link):
    """The path and query of an absolute link, for the test client."""
    parts = urlsplit(link)
    return parts.path + (f"?{parts.query}" if parts.query else "")


CONFIRM_FORM = re.compile(r"<form[^>]*data-link-confirm")


def follow(client, link):
    """Open a mailed link and press the one button its page offers, as a resident does; a page
    without the button (a used, expired or broken link) is the answer itself."""
    response = client.get(path_of(link))
    if not CONFIRM_FORM.search(response.get_data(as_text=True)):
        return response
    return client.post(path_of(link))


class ResidentActions:
    def __init__(self, client, outbox):
        self.client, self.outbox = client, outbox

    def register(self, account="100001", email="resident@example.ru", name="Анна", consent="y",
                 **extra):
        # the code on the receipt, as the owner would type it, unless the test gives its own
        extra.setdefault("code", registration_code(self.client.application, account))
        data = {"account": account, "email": email, "name": name, **extra}
        if consent:
            data["consent"] = consent
        return self.client.post("/register", data=data)

    def activate(self):
        return follow(self.client, self.outbox.links()[0])

    def register_and_activate(self, account="100001", email="resident@example.ru"):
        self.register(account, email)
        password = self.outbox.password()
        self.activate()
        return password

    def login(self, account="100001", password="", remember=False):
        data = {"account": account, "password": password}
        if remember:
            data["remember"] = "y"
        return self.client.post("/login", data=data)

    def logout(self):
        return self.client.post("/logout")


def serve(folder):
    """Domkom on a database of its own in `folder`, served by a real HTTP server in a thread,
    with CSRF on, as in production; stop it with shutdown()."""
    app = make_app(folder, WTF_CSRF_ENABLED=True, TESTING=False)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    # polled every 50 ms, not 0.5 s: shutdown() waits for the next poll
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    server.url = f"http://127.0.0.1:{server.server_port}"
    server.app = app
    app.config["BASE_URL"] = server.url
    return server


# the browser the tests launch: DOMKOM_CHROMIUM (a path or a command name), or Debian's chromium
CHROMIUM = shutil.which(os.environ.get("DOMKOM_CHROMIUM") or "chromium")


class SmtpCollector:
    """An aiosmtpd handler on 127.0.0.1 keeping what it receives; set `reply` (e.g.
    "451 4.3.0 Try later") to make it refuse, `delay` (seconds) to make it slow, stop() to make
    it unreachable."""

    def __init__(self, port):
        self.port, self.reply, self.delay, self.controller = port, None, 0, None
        self.envelopes, self.messages = [], []

    async def handle_DATA(self, server, session, envelope):
        if self.delay:
            import asyncio
            await asyncio.sleep(self.delay)
        if self.reply:
            return self.reply
        self.envelopes.append(envelope)
        self.messages.append(email.message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"

    def start(self):
        from aiosmtpd.controller import Controller
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self):
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
