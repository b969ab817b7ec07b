"""Residents' registration, activation, login and password recovery."""
from flask import (
    Blueprint, current_app, flash, redirect, render_template, request, session, url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user
from peewee import IntegrityError

import mail
import registration
from access import client_ip, safe_next
from forms import (
    ConfirmLinkForm, ForgotForm, LoginForm, OperatorRequestForm, RegisterForm,
    ResendActivationForm,
)
from models import Account, AuditEvent, Hoa, Resident, db, now
from passwords import generate_password, hash_password
from security import end_session
from throttle import login_limits, mail_limits, operator_limits, register_limits
from tokens import read_token, token_matches

bp = Blueprint("auth", __name__)


def activation_expired(resident):
    """Counted from the registration itself, so that resending the letter never extends it."""
    age = (now() - resident.created_at).total_seconds()
    return age > current_app.config["ACTIVATION_MAX_AGE"]


def mask_email(email):
    name, _sep, domain = email.partition("@")
    return f"{name[:1]}***@{domain}"


@bp.route("/register", methods=["GET", "POST"])
@register_limits
def register():
    form = RegisterForm()
    if not form.validate_on_submit():
        needed = None
        if not form.is_submitted():
            # «Try again» after a failed attempt: its e-mail, name and consent, not its code
            draft = session.pop(DRAFT, None) or {}
            needed = draft.pop("needed", None)
            form = RegisterForm(data=draft)
        return render_register(form, needed), 400 if form.is_submitted() else 200
    number = form.account.data
    account = Account.by_number(number)
    if account is None:
        hoa = Hoa.for_number(number)
        if hoa is not None and hoa.has_accounts():
            keep_draft(form)
            return outcome("mistyped", number=number, hoa=hoa)
        return outcome("not_loaded", number=number, hoa=hoa)

    hoa = account.hoa
    needed = registration.proof_needed(hoa, account)
    if not registration.proof_given(needed, account, form.code.data, form.email.data):
        AuditEvent.record("register_check_failed", client_ip(), hoa=hoa, account_number=number)
        keep_draft(form, needed)
        return outcome("check_failed", number=number, hoa=hoa, needed=needed,
                       has_code=bool(account.registration_code)), 403

    resident = Resident.get_or_none(Resident.account == account)
    if resident is not None and resident.is_active:
        return outcome("taken", number=number, form=OperatorRequestForm(account=number))
    if resident is not None and not activation_expired(resident) and \
            not registration.owner_proven(account, form.code.data, form.email.data):
        return pending_outcome(account, resident)

    password = generate_password()
    try:
        return save_registration(form, account, resident, password)
    except IntegrityError:
        # the same number was registered by another request a moment ago: show it as it is now
        resident = Resident.get_or_none(Resident.account == account)
        if resident is None:  # and that one was rolled back in turn
            keep_draft(form)
            return outcome("mail_failed", number=number), 503
        return pending_outcome(account, resident)


DRAFT = "register_draft"


def keep_draft(form, needed=None):
    """What a failed attempt typed, for the form «Try again» opens (the code is not kept)."""
    session[DRAFT] = {"account": form.account.data or "", "email": (form.email.data or "").strip(),
                      "name": (form.name.data or "").strip(), "consent": bool(form.consent.data),
                      "needed": needed}


def render_register(form, needed=None):
    modes = {hoa.registration_check for hoa in Hoa.select(Hoa.registration_check)}
    ask_code, email_will_do = registration.form_asks(needed, modes)
    return render_template("register.html", form=form, ask_code=ask_code,
                           email_will_do=email_will_do)


def pending_outcome(account, resident):
    return outcome("pending", number=account.number, masked=mask_email(resident.email),
                   form=ResendActivationForm(account=account.number),
                   can_take_over=bool(account.registration_code or account.email_on_file))


def save_registration(form, account, resident, password):
    number, hoa = account.number, account.hoa
    was_stale = resident is not None and activation_expired(resident)
    taken_over = resident is not None and not was_stale
    with db.atomic():
        if resident is not None:
            # a stale registration, or one the owner has just proved is not theirs, gives way
            # to the new one; its letter's link stops working with it
            if taken_over:
                AuditEvent.record("register_taken_over", client_ip(), hoa=hoa,
                                  account_number=number, detail=resident.email)
            resident.delete_instance()
        resident = Resident.create(
            account=account, email=form.email.data.strip(), name=(form.name.data or "").strip(),
            password_hash=hash_password(password), consent_at=now(),
            consent_ip=client_ip(),
            consent_version=current_app.config["PRIVACY_POLICY_VERSION"])
        AuditEvent.record("register", client_ip(), hoa=hoa, resident=resident,
                          account_number=number)
    # Sent after the commit, so that a slow mail server never holds the database locked;
    # mail it cannot take is queued, so the registration stands and the resident is told.
    sent = mail.send_activation(resident, password)
    return outcome("registered", number=number, masked=mask_email(resident.email),
                   was_stale=was_stale, taken_over=taken_over, delayed=sent == mail.QUEUED)


def outcome(kind, **context):
    return render_template("register_result.html", kind=kind,
                           operator_email=current_app.config["OPERATOR_EMAIL"], **context)


@bp.route("/register/resend", methods=["POST"])
@mail_limits
def resend_activation():
    """Send the activation e-mail again to the address given at registration."""
    form = ResendActivationForm()
    resident = Resident.by_number(form.account.data) if form.validate_on_submit() else None
    if resident is None or resident.is_active:
        flash(_("There is no registration awaiting activation for this account."), "warning")
        return redirect(url_for("auth.register"))
    if activation_expired(resident):
        # a new letter would keep a stranger's registration alive for ever
        flash(_("This registration was not activated in time. Please register again."),
              "warning")
        return redirect(url_for("auth.register"))
    password = generate_password()
    resident.password_hash = hash_password(password)
    resident.activation_sent_at = now()
    resident.end_other_sessions()  # the previous letter's link stops working
    resident.save()
    sent = mail.send_activation(resident, password)  # queued if the server cannot take it
    AuditEvent.record("activation_resent", client_ip(), hoa=resident.hoa, resident=resident,
                      account_number=resident.account.number)
    if sent == mail.QUEUED:
        flash(_("Our mail server is not answering right now. The new activation link and "
                "password for %(email)s will be sent automatically as soon as it does.",
                email=mask_email(resident.email)), "warning")
    else:
        flash(_("A new activation link and password were sent to %(email)s.",
                email=mask_email(resident.email)), "success")
    return redirect(url_for("auth.login"))


@bp.route("/register/operator", methods=["POST"])
@operator_limits
def operator_request():
    """Someone else holds the account: pass the resident's request on to the operator."""
    form = OperatorRequestForm()
    if not form.validate_on_submit():
        return outcome("taken", number=form.account.data, form=form), 400
    sent = mail.send_operator_request(form.account.data, form.email.data, form.phone.data,
                                      form.text.data or "")
    if sent == mail.QUEUED:
        flash(_("Your request is saved and will reach the operator as soon as our mail server "
                "answers; the operator will call you back."), "warning")
    else:
        flash(_("Your request was sent to the operator, who will call you back."), "success")
    return redirect(url_for("pages.index"))


def activation_state(token):
    """(state, resident) of an activation link, read without changing anything; 'ready' when
    pressing its button activates the registration."""
    try:
        rid, fingerprint, expired = read_token("activate", token,
                                               current_app.config["ACTIVATION_MAX_AGE"])
    except ValueError:
        return "invalid", None
    resident = Resident.get_or_none(Resident.id == rid)
    if resident is None:
        return "invalid", None
    if resident.is_active:
        return "already", resident
    if not token_matches("activate", resident, fingerprint):
        return "superseded", resident
    return ("expired" if expired or activation_expired(resident) else "ready"), resident


@bp.route("/activate/<token>", methods=["GET", "POST"])
def activate(token):
    """A GET only shows the button (mail scanners open links); its POST activates."""
    state, resident = activation_state(token)
    if state in ("invalid", "superseded"):
        return render_template("activate.html", state=state), 400
    if state == "expired":
        # past the registration's own deadline a new letter is no help: register again
        form = None if activation_expired(resident) else \
            ResendActivationForm(account=resident.account.number)
        return render_template("activate.html", state=state, form=form), 400
    form = ConfirmLinkForm()
    if state == "ready" and form.validate_on_submit():
        resident.activated_at = now()
        resident.save()
        AuditEvent.record("activate", client_ip(), hoa=resident.hoa, resident=resident,
                          account_number=resident.account.number)
        state = "done"
    return render_template("activate.html", state=state, form=form,
                           number=resident.account.number)


@bp.route("/login", methods=["GET", "POST"])
@login_limits
def login():
    if current_user.is_authenticated and current_user.login_kind == "r":
        return redirect(url_for("cabinet.home"))
    form = LoginForm()
    if not form.validate_on_submit():
        return render_template("login.html", form=form), 400 if form.is_submitted() else 200
    number = form.account.data
    resident = Resident.by_number(number)
    if resident is None or not resident.log_in_with(form.password.data):
        AuditEvent.record("login_failed", client_ip(), account_number=number,
                          resident=resident, hoa=resident.hoa if resident else None)
        form.password.errors.append(_("Wrong account number or password."))
        return render_template("login.html", form=form), 401
    if not resident.is_active:
        return render_template("login.html", form=form, not_activated=True,
                               resend=ResendActivationForm(account=number)), 403
    session.clear()  # a fresh session at every login
    login_user(resident, remember=form.remember.data)
    resident.last_login_at = now()
    resident.save(only=[Resident.last_login_at])
    AuditEvent.record("login", client_ip(), hoa=resident.hoa, resident=resident,
                      account_number=number)
    return redirect(safe_next(request.args.get("next"), url_for("cabinet.home")))


@bp.route("/logout", methods=["POST"])
def logout():
    end_session()
    flash(_("You have logged out."), "info")
    return redirect(url_for("pages.index"))


@bp.route("/forgot", methods=["GET", "POST"])
@mail_limits
def forgot():
    form = ForgotForm()
    if not form.validate_on_submit():
        return render_template("forgot.html", form=form), 400 if form.is_submitted() else 200
    resident = Resident.by_number(form.account.data)
    sent = None
    if resident is not None and resident.is_active:
        password = generate_password()
        # the old password keeps working until the link in the e-mail is followed
        resident.pending_password_hash = hash_password(password)
        resident.save()
        sent = mail.send_password_reset(resident, password)  # queued if the server cannot take it
        AuditEvent.record("password_reset_requested", client_ip(), hoa=resident.hoa,
                          resident=resident, account_number=resident.account.number)
    return render_template("forgot.html", form=None, sent=True, delayed=sent == mail.QUEUED)


def reset_state(token):
    """(state, resident) of a password reset link, read without changing anything; 'ready'
    when pressing its button switches to the new password."""
    try:
        rid, fingerprint, expired = read_token("reset", token, current_app.config["RESET_MAX_AGE"])
    except ValueError:
        return "invalid", None
    resident = Resident.get_or_none(Resident.id == rid)
    if resident is None or not resident.pending_password_hash \
            or not token_matches("reset", resident, fingerprint):
        return "used", None
    return ("expired" if expired else "ready"), resident


@bp.route("/reset/<token>", methods=["GET", "POST"])
def reset(token):
    """A GET only shows the button (mail scanners open links); its POST switches passwords."""
    state, resident = reset_state(token)
    if state != "ready":
        return render_template("reset.html", state=state), 400
    form = ConfirmLinkForm()
    if not form.validate_on_submit():
        return render_template("reset.html", state=state, form=form,
                               number=resident.account.number)
    resident.password_hash = resident.pending_password_hash
    resident.pending_password_hash = None
    resident.end_other_sessions()
    resident.save()
    if current_user.is_authenticated and current_user.get_id().startswith(f"r:{resident.id}:"):
        logout_user()
    AuditEvent.record("password_reset", client_ip(), hoa=resident.hoa, resident=resident,
                      account_number=resident.account.number)
    return render_template("reset.html", state="done", number=resident.account.number)
