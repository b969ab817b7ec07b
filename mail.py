"""Outgoing e-mail: one send_email() and small wrappers per purpose."""
import logging
import re
import smtplib
import socket
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit

from flask import current_app, render_template
from flask_babel import gettext as _
from flask_mail import Message, sanitize_address, sanitize_addresses

from models import OutgoingMail
from tokens import make_token

log = logging.getLogger("domkom.mail")
LINK = re.compile(r"https?://\S+")

# send_email() results; both are true, since the message is not lost either way
SENT = "sent"
QUEUED = "queued"


def external_url(endpoint, **values):
    """An absolute link for a letter, always on the configured site address (BASE_URL): the
    Host of the request that caused the letter is the sender's to choose, not ours."""
    base = urlsplit(current_app.config["BASE_URL"])
    current_app.inject_url_defaults(endpoint, values)
    adapter = current_app.url_map.bind(base.netloc, script_name=base.path.rstrip("/") or "/",
                                       url_scheme=base.scheme)
    return adapter.build(endpoint, values, force_external=True)


def clean_header(value):
    """A header value on one line: a name with a newline must not add headers."""
    return " ".join(str(value).split())


def send_email(to, subject, template, **context):
    """Render templates/email/<template>.txt/.html and send it: SENT, or QUEUED for a retry."""
    message = Message(
        subject=clean_header(subject),
        recipients=[clean_header(to)],
        body=render_template(f"email/{template}.txt", **context),
        html=render_template(f"email/{template}.html", **context),
    )
    if not current_app.config.get("MAIL_SERVER"):
        return save_to_outbox(message) and SENT
    try:
        deliver(message)
    except (smtplib.SMTPException, OSError, socket.error) as exc:
        log.warning("could not send mail to %s, queued for a retry: %s", to, exc)
        keep(message, exc)
        return QUEUED
    return SENT


def deliver(message):
    """Hand one message to the SMTP server; raises when it refuses or cannot be reached."""
    config = current_app.config
    smtp = smtplib.SMTP_SSL if config["MAIL_USE_SSL"] else smtplib.SMTP
    with smtp(config["MAIL_SERVER"], config["MAIL_PORT"],
              timeout=config.get("MAIL_TIMEOUT", 5)) as host:
        if config["MAIL_USE_TLS"]:
            host.starttls()
        if config.get("MAIL_USERNAME"):
            host.login(config["MAIL_USERNAME"], config.get("MAIL_PASSWORD") or "")
        # as Flask-Mail's own send does: a Cyrillic domain goes into the envelope as punycode
        host.sendmail(sanitize_address(message.sender), list(sanitize_addresses(message.send_to)),
                      message.as_bytes())


def keep(message, error):
    """Queue the message for `flask send-queued`; in the caller's transaction, if any."""
    OutgoingMail.create(to=message.recipients[0], subject=message.subject, text=message.body,
                        html=message.html or "", attempts=1, last_error=str(error)[:1000])


def save_to_outbox(message):
    """Without an SMTP server, mail is written to the outbox folder and its links logged."""
    outbox = Path(current_app.config["MAIL_OUTBOX"])
    outbox.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S-%f")
    name = re.sub(r"[^A-Za-z0-9@._-]", "_", message.recipients[0])
    path = outbox / f"{stamp}-{name}.eml"
    path.write_bytes(message.as_bytes())
    log.info("mail to %s saved as %s", message.recipients[0], path)
    for link in LINK.findall(message.body):
        log.info("  link: %s", link)
    return True


def send_activation(resident, password):
    return send_email(
        resident.email, _("Domkom: registration of account %(number)s",
                          number=resident.account.number),
        "activation", resident=resident, password=password,
        link=external_url("auth.activate", token=make_token("activate", resident)))


def send_password_reset(resident, password):
    return send_email(
        resident.email, _("Domkom: new password for account %(number)s",
                          number=resident.account.number),
        "reset", resident=resident, password=password,
        link=external_url("auth.reset", token=make_token("reset", resident)))


def send_email_change(resident):
    return send_email(
        resident.pending_email, _("Domkom: confirm your new e-mail"),
        "confirm_email", resident=resident,
        link=external_url("cabinet.confirm_email", token=make_token("email", resident)))


def send_email_change_notice(resident):
    """Tell the address in use that another one was asked for: a thief's change is seen."""
    return send_email(
        resident.email, _("Domkom: a new e-mail was entered for account %(number)s",
                          number=resident.account.number),
        "email_change_notice", resident=resident, hoa=resident.hoa,
        operator_email=current_app.config["OPERATOR_EMAIL"])


def send_password_changed(resident):
    return send_email(
        resident.email, _("Domkom: the password of account %(number)s was changed",
                          number=resident.account.number),
        "password_changed", resident=resident, hoa=resident.hoa,
        operator_email=current_app.config["OPERATOR_EMAIL"])


def send_operator_request(resident_number, email, phone, text):
    return send_email(
        current_app.config["OPERATOR_EMAIL"],
        _("Domkom: account %(number)s is registered by someone else", number=resident_number),
        "operator_request", number=resident_number, email=email, phone=phone, text=text)
