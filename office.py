"""The accountant's office: login, loading data, registrations, notices and HOA settings."""
import json
from pathlib import PurePath

from flask import (
    Blueprint, current_app, flash, redirect, render_template, request, session, url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_user

import dashboard
import importer
import importjob
import mail
import reimport
from access import accountant_required, client_ip, get_hoa_or_404, one_or_404, safe_next
from forms import HoaSettingsForm, ImportForm, NoticeForm, OfficeLoginForm, PasswordForm
from importbatch import MAX_PROBLEMS, Batch
from importcolumns import KINDS, METER_WORDS
from importruns import ImportRun
from models import Account, Accountant, AuditEvent, Notice, Resident, now
from uploads import ImportJob
from security import end_session, keep_only_this_session, stamp_office_session
from requisites import prefix_problem
from texts import plain_text
from throttle import office_login_limits

bp = Blueprint("office", __name__, url_prefix="/office", cli_group=None)


@bp.route("/login", methods=["GET", "POST"])
@office_login_limits
def login():
    form = OfficeLoginForm()
    if not form.validate_on_submit():
        return render_template("office/login.html", form=form), 400 if form.is_submitted() else 200
    accountant = Accountant.get_or_none(Accountant.email == form.email.data.strip().lower())
    if accountant is None or not accountant.log_in_with(form.password.data):
        # tied to the accountant when the e-mail is one: their HOA's log then shows it
        AuditEvent.record("office_login_failed", client_ip(), accountant=accountant,
                          email=form.email.data.strip()[:254])
        form.password.errors.append(_("Wrong e-mail or password."))
        return render_template("office/login.html", form=form), 401
    session.clear()
    login_user(accountant)
    stamp_office_session()
    accountant.last_login_at = now()
    accountant.save(only=[Accountant.last_login_at])
    AuditEvent.record("office_login", client_ip(), accountant=accountant)
    return redirect(safe_next(request.args.get("next"), url_for("office.home")))


@bp.route("/logout", methods=["POST"])
def logout():
    end_session()
    return redirect(url_for("office.login"))


@bp.route("/password", methods=["GET", "POST"])
@accountant_required
def password():
    accountant = current_user._get_current_object()  # login_user() needs the object itself
    form = PasswordForm()
    if form.validate_on_submit():
        if accountant.check_password(form.current_password.data):
            accountant.set_password(form.new_password.data)
            keep_only_this_session(accountant)
            AuditEvent.record("office_password_changed", client_ip(), accountant=accountant)
            flash(_("The password is changed. Other devices have been logged out."), "success")
            return redirect(url_for("office.home"))
        form.current_password.errors.append(_("The current password is wrong."))
    status = 400 if form.is_submitted() else 200
    return render_template("office/password.html", form=form), status


@bp.route("/logout-others", methods=["POST"])
@accountant_required
def logout_others():
    keep_only_this_session(current_user._get_current_object())
    AuditEvent.record("office_logout_others", client_ip(), accountant=current_user.id)
    flash(_("You are logged out on every other device."), "success")
    return redirect(url_for("office.password"))


@bp.route("")
@accountant_required
def home():
    hoas = list(current_user.hoas)
    if len(hoas) == 1:
        return redirect(url_for("office.hoa", hoa_id=hoas[0].id))
    return render_template("office/home.html", hoas=hoas)


@bp.route("/<int:hoa_id>")
@accountant_required
def hoa(hoa_id):
    hoa = get_hoa_or_404(hoa_id)
    board = dashboard.month_figures(hoa)
    return render_template("office/hoa.html", hoa=hoa, board=board,
                           chart=dashboard.money_chart(board.money))


# --- loading data ------------------------------------------------------------------------------

HISTORY_PER_PAGE = 20
KIND_NAMES = {"accounts": _l("Accounts"), "charges": _l("Charges"), "payments": _l("Payments"),
              "meters": _l("Meters")}


@bp.context_processor
def kind_names():
    return {"kind_names": KIND_NAMES, "kind_words": reimport.KIND_WORDS}


@bp.route("/<int:hoa_id>/import", methods=["GET", "POST"])
@accountant_required
def imports(hoa_id):
    hoa = get_hoa_or_404(hoa_id)
    form = ImportForm()
    files = uploaded_files(form) if form.validate_on_submit() else []
    if not files:
        rows, page, pages = reimport.history(hoa, request.args.get("page", 1, type=int),
                                             HISTORY_PER_PAGE)
        return render_template("office/import.html", hoa=hoa, form=form, rows=rows, page=page,
                               pages=pages, kinds=KINDS), 400 if form.is_submitted() else 200
    discard_pending()
    full = importer.no_room(current_user.id, files)
    if full:
        flash(full, "danger")
        return redirect(url_for("office.imports", hoa_id=hoa.id))
    with importer.slot() as free:
        if not free:
            flash(importer.busy(), "warning")
            return redirect(url_for("office.imports", hoa_id=hoa.id))
        batch = Batch(hoa, files)
    if batch.ok:
        session["import"] = {"token": importer.stash(files, current_user.id, hoa.id),
                             "hoa": hoa.id}
    return render_template("office/import_preview.html", hoa=hoa, batch=batch,
                           meter_words=METER_WORDS, max_problems=MAX_PROBLEMS,
                           summary=batch.summary() if batch.ok else None), 200 if batch.ok else 422


@bp.route("/<int:hoa_id>/import/confirm", methods=["POST"])
@accountant_required
def confirm_import(hoa_id):
    """Hand the upload to the worker, which checks it again and saves it; see its progress."""
    hoa = get_hoa_or_404(hoa_id)
    if not importer.slot_free():
        flash(importer.busy(), "warning")
        return redirect(url_for("office.imports", hoa_id=hoa.id))
    pending = session.pop("import", None) or {}
    upload = importer.waiting(pending.get("token")) if pending.get("hoa") == hoa.id else None
    if upload is None:
        flash(files_gone(), "warning")
        return redirect(url_for("office.imports", hoa_id=hoa.id))
    job = importjob.start(hoa, upload, current_user.id, client_ip())
    return redirect(url_for("office.import_job", hoa_id=hoa.id, job_id=job.id))


@bp.route("/<int:hoa_id>/import/jobs/<int:job_id>")
@accountant_required
def import_job(hoa_id, job_id):
    """The saving's progress (the page reloads itself), then its outcome as the preview's."""
    hoa = get_hoa_or_404(hoa_id)
    job = one_or_404(ImportJob, ImportJob.id == job_id, ImportJob.hoa == hoa)
    if job.state == importjob.DONE:
        flash(_("The data is saved: %(files)s.", files=", ".join(importjob.saved_files(job))),
              "success")
        return redirect(url_for("office.imports", hoa_id=hoa.id))
    if job.error == importjob.PROBLEMS:
        return render_template("office/import_preview.html", hoa=hoa,
                               batch=importjob.refused_batch(job),
                               max_problems=MAX_PROBLEMS), 422
    if job.state == importjob.FAILED:
        flash({importjob.GONE: files_gone(), importjob.BUSY: importer.busy()}.get(
            job.error, _("The data could not be saved; nothing was changed. Please try again "
                         "or ask the service operator.")), "danger")
        return redirect(url_for("office.imports", hoa_id=hoa.id))
    return render_template("office/import_job.html", hoa=hoa, job=job,
                           saved=importjob.rows_saved(job))


@bp.route("/<int:hoa_id>/import/loads/<int:run_id>/undo", methods=["GET", "POST"])
@accountant_required
def undo_import(hoa_id, run_id):
    """GET: what undoing the load would remove and bring back, with the button; POST: undo."""
    hoa = get_hoa_or_404(hoa_id)
    run = one_or_404(ImportRun, ImportRun.id == run_id, ImportRun.hoa == hoa)
    refusal = None
    if request.method == "POST":
        try:
            reimport.undo(run, current_user.id, client_ip())
        except reimport.Refused as refused:
            refusal = str(refused)
        else:
            flash(_("The load is undone: the rows it replaced are back. Files: %(files)s.",
                    files=", ".join(run.file_names)), "success")
            return redirect(url_for("office.imports", hoa_id=hoa.id))
    months = reimport.months_of(run)
    refusal = refusal or reimport.refusal(run, months, hoa.time_zone)
    return render_template("office/import_undo.html", hoa=hoa, run=run, months=months,
                           refusal=refusal), 409 if refusal and request.method == "POST" else 200


def files_gone():
    return _("The uploaded files are no longer on the server. Please upload them again.")


def uploaded_files(form):
    """[(file name, bytes)]; a little over the size limit is read, so it can be reported."""
    limit = current_app.config["IMPORT_MAX_BYTES"]
    files = [(plain_text(PurePath(f.filename.replace("\\", "/")).name)[:200] or "file",
              f.stream.read(limit + 1)) for f in form.files.data if f.filename]
    if not files:  # browsers send one nameless part when no file is chosen
        form.files.errors = [_("Choose one or more files.")]
    return files


def discard_pending():
    pending = session.pop("import", None)
    if pending:
        importer.discard(pending.get("token"))


# --- registrations -----------------------------------------------------------------------------

@bp.route("/<int:hoa_id>/registrations")
@accountant_required
def registrations(hoa_id):
    hoa = get_hoa_or_404(hoa_id)
    residents = {r.account_id: r for r in Resident.select().join(Account)
                 .where(Account.hoa == hoa)}
    rows = [(account, residents.get(account.id))
            for account in hoa.accounts.order_by(Account.number)]
    state = request.args.get("state", "")
    counts = {"none": 0, "pending": 0, "active": 0}
    for _account, resident in rows:
        counts[registration_state(resident)] += 1
    if state in counts:
        rows = [row for row in rows if registration_state(row[1]) == state]
    return render_template("office/registrations.html", hoa=hoa, rows=rows, counts=counts,
                           state=state, state_of=registration_state)


def registration_state(resident):
    if resident is None:
        return "none"
    return "active" if resident.is_active else "pending"


@bp.route("/<int:hoa_id>/registrations/<int:account_id>/release", methods=["GET", "POST"])
@accountant_required
def release(hoa_id, account_id):
    """GET: what releasing would do, with the button; POST: release, and tell the address."""
    hoa = get_hoa_or_404(hoa_id)
    account = one_or_404(Account, Account.id == account_id, Account.hoa == hoa)
    resident = Resident.get_or_none(Resident.account == account)
    if resident is None:
        flash(_("Account %(number)s is not registered.", number=account.number), "info")
        return redirect(url_for("office.registrations", hoa_id=hoa.id))
    if request.method == "GET":
        return render_template("office/release.html", hoa=hoa, account=account,
                               resident=resident)
    confirmed = request.form.get("email")  # what the accountant saw on the confirmation
    if confirmed is not None and confirmed != resident.email:  # re-registered meanwhile
        flash(_("The registration of account %(number)s has changed since this page was "
                "opened. Check it again.", number=account.number), "warning")
        return redirect(url_for("office.release", hoa_id=hoa.id, account_id=account.id))
    resident.release(accountant=current_user.id, ip=client_ip())
    mail.send_registration_released(resident, hoa)
    flash(_("The registration of account %(number)s is released; the resident can register "
            "again.", number=account.number), "success")
    flash(_("A letter about it was sent to %(email)s.", email=resident.email), "info")
    return redirect(url_for("office.registrations", hoa_id=hoa.id))


# --- notices -----------------------------------------------------------------------------------

@bp.route("/<int:hoa_id>/notices")
@accountant_required
def notices(hoa_id):
    hoa = get_hoa_or_404(hoa_id)
    items = hoa.notices.order_by(Notice.starts_on.desc(), Notice.id.desc())
    return render_template("office/notices.html", hoa=hoa, notices=items)


@bp.route("/<int:hoa_id>/notices/new", methods=["GET", "POST"], endpoint="notice_new")
@bp.route("/<int:hoa_id>/notices/<int:notice_id>", methods=["GET", "POST"])
@accountant_required
def notice_edit(hoa_id, notice_id=None):
    hoa = get_hoa_or_404(hoa_id)
    notice = get_notice_or_404(hoa, notice_id) if notice_id else Notice(hoa=hoa)
    form = NoticeForm(obj=notice)
    if not form.is_submitted() and notice_id is None:
        form.starts_on.data = now().date()
    if not form.validate_on_submit():
        return render_template("office/notice_form.html", hoa=hoa, form=form, notice=notice), \
            400 if form.is_submitted() else 200
    form.populate_obj(notice)
    notice.body = notice.body or ""
    notice.save()
    flash(_("The notice is saved."), "success")
    return redirect(url_for("office.notices", hoa_id=hoa.id))


@bp.route("/<int:hoa_id>/notices/<int:notice_id>/delete", methods=["POST"])
@accountant_required
def notice_delete(hoa_id, notice_id):
    hoa = get_hoa_or_404(hoa_id)
    get_notice_or_404(hoa, notice_id).delete_instance()
    flash(_("The notice is deleted."), "success")
    return redirect(url_for("office.notices", hoa_id=hoa.id))


def get_notice_or_404(hoa, notice_id):
    return one_or_404(Notice, Notice.id == notice_id, Notice.hoa == hoa)


# --- HOA settings ------------------------------------------------------------------------------

@bp.route("/<int:hoa_id>/settings", methods=["GET", "POST"])
@accountant_required
def settings(hoa_id):
    hoa = get_hoa_or_404(hoa_id)
    form = HoaSettingsForm(obj=hoa)
    valid = form.validate_on_submit()
    if valid:
        problem = prefix_problem(hoa, form.prefixes.data.split(","))
        if problem:
            form.prefixes.errors.append(problem)
            valid = False
    if not valid:
        return render_template("office/settings.html", hoa=hoa, form=form), \
            400 if form.is_submitted() else 200
    before = setting_values(hoa, form)
    form.populate_obj(hoa)
    hoa.save()
    after = setting_values(hoa, form)
    changed = [[name, old, after[name]] for name, old in before.items() if old != after[name]]
    if changed:  # the log says which settings changed, from what to what
        AuditEvent.record("settings_changed", client_ip(), hoa=hoa, accountant=current_user.id,
                          detail=json.dumps({"changed": changed}, ensure_ascii=False))
    flash(_("The settings are saved."), "success")
    return redirect(url_for("office.settings", hoa_id=hoa.id))


def setting_values(hoa, form):
    """The HOA's values of the form's settings, as text."""
    return {field.name: "" if getattr(hoa, field.name) is None else str(getattr(hoa, field.name))
            for field in form if hasattr(hoa, field.name)}

