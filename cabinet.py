"""The resident's cabinet: home page, personal data and password."""
from flask import Blueprint, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

import mail
from access import client_ip, resident_required
from forms import ConfirmLinkForm, PasswordForm, ProfileForm
from meter_models import ACCOUNT_METERS, Reading
from models import AuditEvent, Notice, Resident
from periods import today
from security import keep_only_this_session
from tokens import read_token, token_matches

bp = Blueprint("cabinet", __name__, url_prefix="/cabinet")


@bp.route("")
@resident_required
def home():
    account = current_user.account
    hoa = account.hoa
    day = today()
    return render_template("cabinet/home.html", account=account, hoa=hoa,
                           window=hoa.window_state(day), notices=Notice.showing(hoa, day),
                           sent=readings_sent(account, day))


def readings_sent(account, day):
    """This month's readings of the meters that take them: how many meters, how many have
    a reading, when the latest was sent."""
    period = account.hoa.readings_period(day)
    meters = [m.id for m in ACCOUNT_METERS(account.id)
              if not m.archived and not m.verification_expired(day)]
    # a prepared query a meter, each one walk of its (meter, period) index
    counting = {meter: reading for meter in meters
                for reading in [Reading.counting_for_meter(meter, period)] if reading}
    latest = max((r.submitted_at for r in counting.values()), default=None)
    return {"period": period, "meters": len(meters), "sent": len(counting), "latest": latest}


@bp.route("/profile", methods=["GET", "POST"])
@resident_required
def profile():
    resident = current_user
    form = ProfileForm(obj=resident)
    valid = form.validate_on_submit()
    new_email = (form.email.data or "").strip()
    changed_email = new_email.lower() != resident.email.lower()
    if valid and changed_email and not resident.check_password(form.current_password.data or ""):
        # an open session alone must not be enough to take the account over by its e-mail
        form.current_password.errors.append(_("Enter your current password to change the "
                                              "e-mail.") if not form.current_password.data
                                            else _("The current password is wrong."))
        valid = False
    if not valid:
        return render_template("cabinet/profile.html", form=form), 400 if form.is_submitted() else 200
    resident.name = (form.name.data or "").strip()
    resident.phone = (form.phone.data or "").strip()
    if changed_email:
        resident.pending_email = new_email
    resident.save()
    if changed_email:
        AuditEvent.record("email_change_requested", client_ip(), hoa=resident.hoa,
                          resident=resident, account_number=resident.account.number,
                          detail=f"{resident.email} -> {new_email}")
    # the letters go after the save: a slow mail server must not hold the database
    if changed_email:
        mail.send_email_change_notice(resident)
    sent = mail.send_email_change(resident) if changed_email else None
    if sent == mail.QUEUED:
        flash(_("Your data is saved. Our mail server is not answering right now; the link to "
                "confirm %(email)s will be sent as soon as it does.", email=new_email), "warning")
    elif changed_email:
        flash(_("Your data is saved. To change the e-mail, follow the link we sent to "
                "%(email)s.", email=new_email), "success")
    else:
        flash(_("Your data is saved."), "success")
    return redirect(url_for("cabinet.profile"))


@bp.route("/email/<token>", methods=["GET", "POST"])
def confirm_email(token):
    """A GET only shows the button (mail scanners open links); its POST changes the e-mail."""
    try:
        rid, fingerprint, expired = read_token("email", token,
                                               current_app.config["EMAIL_CHANGE_MAX_AGE"])
    except ValueError:
        return render_template("message.html", title=_("The link is not valid"),
                               text=_("Check that the whole link from the e-mail was copied.")), 400
    resident = Resident.get_or_none(Resident.id == rid)
    if resident is None or not resident.pending_email \
            or not token_matches("email", resident, fingerprint):
        return render_template("message.html", title=_("The link was already used"),
                               text=_("This e-mail change is already confirmed or was "
                                      "replaced by a newer one.")), 400
    if expired:
        return render_template("message.html", title=_("The link has expired"),
                               text=_("Enter the new e-mail in your data once more to get "
                                      "a fresh link.")), 400
    form = ConfirmLinkForm()
    if not form.validate_on_submit():
        return render_template("message.html", title=_("Confirm the new e-mail"),
                               text=_("Mail from Domkom for account %(number)s will go to "
                                      "%(email)s once you press the button.",
                                      number=resident.account.number,
                                      email=resident.pending_email),
                               form=form, button=_("Confirm the e-mail"))
    old = resident.email
    resident.email, resident.pending_email = resident.pending_email, None
    resident.save()
    AuditEvent.record("email_changed", client_ip(), hoa=resident.hoa, resident=resident,
                      account_number=resident.account.number, detail=f"{old} -> {resident.email}")
    return render_template("message.html", title=_("The new e-mail is confirmed"),
                           text=_("Mail from Domkom will now go to %(email)s.",
                                  email=resident.email))


@bp.route("/password", methods=["GET", "POST"])
@resident_required
def password():
    resident = current_user._get_current_object()  # login_user() below needs the object itself
    form = PasswordForm()
    if form.validate_on_submit():
        if not resident.check_password(form.current_password.data):
            form.current_password.errors.append(_("The current password is wrong."))
        else:
            resident.set_password(form.new_password.data)
            resident.pending_password_hash = None
            keep_only_this_session(resident)
            AuditEvent.record("password_changed", client_ip(), hoa=resident.hoa,
                              resident=resident, account_number=resident.account.number)
            mail.send_password_changed(resident)
            flash(_("The password is changed. Other devices have been logged out."), "success")
            return redirect(url_for("cabinet.home"))
    status = 400 if form.is_submitted() else 200
    return render_template("cabinet/password.html", form=form), status


@bp.route("/logout-others", methods=["POST"])
@resident_required
def logout_others():
    resident = current_user._get_current_object()
    keep_only_this_session(resident)
    AuditEvent.record("logout_others", client_ip(), hoa=resident.hoa, resident=resident,
                      account_number=resident.account.number)
    flash(_("You are logged out on every other device."), "success")
    return redirect(url_for("cabinet.password"))
