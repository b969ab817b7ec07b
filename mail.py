"""Outgoing e-mail: one send_email() and small wrappers per purpose. The letters about the
login (activation, password, e-mail, release) always go; letters about changes a resident may
turn off go through letters.send_notice()."""
import json
from urllib.parse import urlsplit

from flask import current_app, render_template
from flask_babel import gettext as _

import mailqueue
from models import OutgoingMail
from tokens import make_token

# send_email() results; both are true, since the letter is not lost either way
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
    """Write the letter and hand it to the queue (mailqueue.py sends it): SENT when it is on
    its way, QUEUED when the resident should be told it may come late. Inside a transaction,
    call compose() there and mailqueue.post() after the commit instead: a worker may take the
    job before the commit, and would not find the letter yet."""
    letter = compose(to, subject, template, **context)
    mailqueue.post(letter)
    return QUEUED if mailqueue.is_late(letter) else SENT


def compose(to, subject, template, headers=None, footer=None, **context):
    """The letter rendered from templates/email/<template>.txt/.html (a template name with a
    "/" is taken as it is: "tickets/email/reply"), saved, not yet queued. `footer`: a template
    of the same kind appended to both bodies; `headers`: further headers of the letter."""
    name = template if "/" in template else f"email/{template}"
    text = render_template(f"{name}.txt", **context)
    html = render_template(f"{name}.html", **context)
    if footer:
        text = text.rstrip("\n") + "\n\n" + render_template(f"{footer}.txt", **context)
        html += render_template(f"{footer}.html", **context)
    return OutgoingMail.create(
        to=clean_header(to), subject=clean_header(subject), text=text, html=html,
        headers=json.dumps({clean_header(k): clean_header(v) for k, v in (headers or {}).items()},
                           ensure_ascii=False) if headers else "")


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
    return send_account_notice(
        resident, _("Domkom: a new e-mail was entered for account %(number)s",
                    number=resident.account.number), "email_change_notice")


def send_password_changed(resident):
    return send_account_notice(
        resident, _("Domkom: the password of account %(number)s was changed",
                    number=resident.account.number), "password_changed")


def send_account_notice(resident, subject, template):
    """A letter to the address in use about a change to the login, with whom to ask if it was
    not the resident: the HOA's contacts, or the operator's."""
    return send_email(resident.email, subject, template, resident=resident, hoa=resident.hoa,
                      operator_email=current_app.config["OPERATOR_EMAIL"])


def send_operator_request(resident_number, email, phone, text):
    return send_email(
        current_app.config["OPERATOR_EMAIL"],
        _("Domkom: account %(number)s is registered by someone else", number=resident_number),
        "operator_request", number=resident_number, email=email, phone=phone, text=text)


def send_registration_released(resident, hoa):
    """Tell the released address: its owner learns it, and a stranger knows the login is gone."""
    return send_email(
        resident.email, _("Domkom: the registration of account %(number)s is released",
                          number=resident.account.number),
        "released", resident=resident, hoa=hoa, register_link=external_url("auth.register"),
        operator_email=current_app.config["OPERATOR_EMAIL"])
