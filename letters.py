"""Letters about changes, which a resident may turn off: the one way to send them, the
resident's choice of topics and the one-click unsubscribe link every such letter carries.

    letters.send_notice(resident, "readings", _l("Domkom: …"), "reading_declined", meter=…)

sends one letter unless the resident turned its topic off (or has not activated the login);
inside a transaction use compose_notice() and mailqueue.post() after the commit (on SQLite,
let the transaction write its own row before it composes: one that reads first may fail when
another worker commits meanwhile). The template
is templates/email/<name>.txt/.html, or a package's "tickets/email/<name>"; the context has
`resident` and `hoa`, and the footer saying how to stop such letters is added. A letter the
office causes is written in the site's default language (Russian), one the resident causes in
theirs: give the subject as lazy_gettext (_l) so that it follows. Each letter
carries `List-Unsubscribe` and `List-Unsubscribe-Post: List-Unsubscribe=One-Click` (RFC 8058):
a mail program's POST to the link turns the topic off without a login; a GET only shows the
button (mail scanners open links). Letters about the login itself (activation, password,
e-mail, release) go through mail.py and cannot be turned off.
"""
from flask import (
    Blueprint, abort, current_app, flash, has_request_context, redirect, render_template, request,
    url_for,
)
from flask_babel import force_locale, get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from peewee import IntegrityError
from wtforms import BooleanField

import mail
import mailqueue
from access import resident_required
from database import db
from extensions import csrf
from forms import ConfirmLinkForm, Form
from letter_models import LetterOptOut
from models import Resident
from tokens import make_unsubscribe_token, read_unsubscribe_token

bp = Blueprint("letters", __name__)

# the topics of letters a resident may turn off, in the order "My data" lists them
TOPICS = {
    "charges": _l("New charges and the month's receipt"),
    "readings": _l("The accountant's decisions on my meter readings"),
    "requests": _l("Replies and status changes of my requests"),
    "reminders": _l("Reminders to send meter readings and of meter verification"),
    "meetings": _l("Notices of meetings"),
}
FOOTER = "email/_unsubscribe"


def wants(resident, topic):
    """True unless the resident turned the topic's letters off."""
    return not LetterOptOut.select().where(LetterOptOut.resident == resident,
                                           LetterOptOut.topic == topic).exists()


def unsubscribe_link(resident, topic):
    return mail.external_url("letters.unsubscribe",
                             token=make_unsubscribe_token(resident.id, topic))


def compose_notice(resident, topic, subject, template, **context):
    """The letter written and saved but not queued, or None when it is not to be sent (the
    topic turned off, the login not activated)."""
    if topic not in TOPICS:
        raise ValueError(f"unknown topic of letters {topic!r}")
    if not resident.is_active or not wants(resident, topic):
        return None
    link = unsubscribe_link(resident, topic)
    context.setdefault("hoa", resident.account.hoa)
    with force_locale(letter_locale(resident)):
        return mail.compose(resident.email, str(subject), template, footer=FOOTER,
                            headers={"List-Unsubscribe": f"<{link}>",
                                     "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"},
                            resident=resident, unsubscribe_link=link, topic_label=TOPICS[topic],
                            preferences_link=mail.external_url("cabinet.profile"), **context)


def letter_locale(resident):
    """The resident's own language when it is their request; otherwise the site's default
    (the office's or the worker's language is not the resident's)."""
    if has_request_context() and current_user and current_user.is_authenticated \
            and current_user.login_kind == "r" and current_user.id == resident.id:
        return str(get_locale())
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def send_notice(resident, topic, subject, template, **context):
    """Send a letter of `topic` to the resident unless they turned it off; True when queued."""
    letter = compose_notice(resident, topic, subject, template, **context)
    if letter is not None:
        mailqueue.post(letter)
    return letter is not None


def turn_off(resident_id, topic):
    try:
        with db.atomic():
            LetterOptOut.create(resident=resident_id, topic=topic)
    except IntegrityError:  # already off: a second click, or the mail program and the page
        pass


def choose(resident, wanted):
    """Keep the topics in `wanted` on and turn the others off."""
    with db.atomic():
        LetterOptOut.delete().where(LetterOptOut.resident == resident,
                                    LetterOptOut.topic.in_(list(wanted))).execute()
        for topic in TOPICS:
            if topic not in wanted:
                turn_off(resident.id, topic)


class PreferencesForm(Form):
    """«Which letters I get» in "My data": one box per topic, ticked when it comes."""
    charges = BooleanField(TOPICS["charges"])
    readings = BooleanField(TOPICS["readings"])
    requests = BooleanField(TOPICS["requests"])
    reminders = BooleanField(TOPICS["reminders"])
    meetings = BooleanField(TOPICS["meetings"])


@bp.app_template_global("letters_form")
def letters_form():
    """The form as the resident's choices stand now (the "My data" page shows it)."""
    off = {row.topic for row in LetterOptOut.select(LetterOptOut.topic)
           .where(LetterOptOut.resident == current_user.id)}
    return PreferencesForm(formdata=None, data={topic: topic not in off for topic in TOPICS})


@bp.route("/cabinet/letters", methods=["POST"])
@resident_required
def preferences():
    form = PreferencesForm()
    if not form.validate_on_submit():
        abort(400)
    choose(current_user, {topic for topic in TOPICS if form[topic].data})
    flash(_("Your choice of letters is saved."), "success")
    return redirect(url_for("cabinet.profile"))


def message(title, text, status=200, **extra):
    return render_template("message.html", title=title, text=text, **extra), status


@bp.route("/unsubscribe/<token>", methods=["GET", "POST"])
@csrf.exempt  # a mail program's one-click POST carries no form token (RFC 8058)
def unsubscribe(token):
    """A GET shows the one button; a POST, the button's or a mail program's, turns it off."""
    try:
        resident_id, topic = read_unsubscribe_token(token)
    except ValueError:
        return message(_("The link is not valid"),
                       _("Check that the whole link from the e-mail was copied."), 400)
    resident = Resident.get_or_none(Resident.id == resident_id)
    if resident is None or topic not in TOPICS:
        return message(_("The link was already used"),
                       _("This registration no longer exists: no more letters will come."))
    label = TOPICS[topic]
    if request.method != "POST":
        if not wants(resident, topic):
            return message(_("These letters are already off"), _(
                "Letters «%(topic)s» no longer come to %(email)s. You can turn them on again "
                "in «My data» in your cabinet.", topic=label, email=resident.email))
        return message(_("Stop these letters?"), _(
            "Letters «%(topic)s» for account %(number)s will no longer come to %(email)s once "
            "you press the button. Letters about your login and password still come.",
            topic=label, number=resident.account.number, email=resident.email),
            form=ConfirmLinkForm(), button=_("Stop these letters"))
    turn_off(resident.id, topic)
    return message(_("The letters are off"), _(
        "Letters «%(topic)s» no longer come to %(email)s. You can turn them on again in "
        "«My data» in your cabinet.", topic=label, email=resident.email))
