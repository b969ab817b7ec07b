"""The accountant's office: login, loading data, registrations, notices, HOA settings, and
the operator's commands (create-hoa, create-accountant, import)."""
import json
import sys
from pathlib import Path, PurePath

import click
from flask import (
    Blueprint, abort, current_app, flash, redirect, render_template, request, session, url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_user

import importer
from access import accountant_required, client_ip, get_hoa_or_404, safe_next
from forms import HoaSettingsForm, ImportForm, NoticeForm, OfficeLoginForm, PasswordForm
from models import (
    Account, Accountant, AccountantHoa, AuditEvent, Hoa, ImportLog, Notice, Resident, db,
    generate_password, now,
)
from security import end_session, keep_only_this_session, stamp_office_session
from throttle import office_login_limits

bp = Blueprint("office", __name__, url_prefix="/office", cli_group=None)


@bp.route("/login", methods=["GET", "POST"])
@office_login_limits
def login():
    form = OfficeLoginForm()
    if not form.validate_on_submit():
        return render_template("office/login.html", form=form), 400 if form.is_submitted() else 200
    accountant = Accountant.get_or_none(Accountant.email == form.email.data.strip().lower())
    if accountant is None or not accountant.check_password(form.password.data):
        AuditEvent.record("office_login_failed", client_ip(), detail=form.email.data[:254])
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
    return render_template("office/hoa.html", hoa=hoa)


# --- loading data ------------------------------------------------------------------------------

KIND_NAMES = {"accounts": _l("Accounts"), "charges": _l("Charges"), "payments": _l("Payments"),
              "meters": _l("Meters")}


@bp.context_processor
def kind_names():
    return {"kind_names": KIND_NAMES}


@bp.route("/<int:hoa_id>/import", methods=["GET", "POST"])
@accountant_required
def imports(hoa_id):
    hoa = get_hoa_or_404(hoa_id)
    form = ImportForm()
    files = uploaded_files(form) if form.validate_on_submit() else []
    if not files:
        logs = [(log, json.loads(log.counts)) for log in hoa.imports.order_by(
            ImportLog.created_at.desc(), ImportLog.id.desc()).limit(20)]
        return render_template("office/import.html", hoa=hoa, form=form, logs=logs,
                               kinds=importer.KINDS), 400 if form.is_submitted() else 200
    batch = importer.check(hoa, files)
    discard_pending()
    if batch.ok:
        session["import"] = {"token": importer.stash(files), "hoa": hoa.id}
    return render_template("office/import_preview.html", hoa=hoa, batch=batch,
                           meter_words=importer.METER_WORDS, max_problems=importer.MAX_PROBLEMS,
                           summary=batch.summary() if batch.ok else None), 200 if batch.ok else 422


@bp.route("/<int:hoa_id>/import/confirm", methods=["POST"])
@accountant_required
def confirm_import(hoa_id):
    hoa = get_hoa_or_404(hoa_id)
    pending = session.pop("import", None) or {}
    files = importer.unstash(pending.get("token")) if pending.get("hoa") == hoa.id else None
    if not files:
        flash(_("The uploaded files are no longer on the server. Please upload them again."),
              "warning")
        return redirect(url_for("office.imports", hoa_id=hoa.id))
    batch = importer.check(hoa, files)
    importer.discard(pending["token"])
    if not batch.ok:  # the data changed since the preview, e.g. another load
        return render_template("office/import_preview.html", hoa=hoa, batch=batch,
                               max_problems=importer.MAX_PROBLEMS), 422
    totals = batch.save(current_user.id, client_ip())
    flash(_("The data is saved: %(files)s.", files=", ".join(totals["files"])), "success")
    return redirect(url_for("office.imports", hoa_id=hoa.id))


def uploaded_files(form):
    """[(file name, bytes)]; a little over the size limit is read, so it can be reported."""
    limit = current_app.config["IMPORT_MAX_BYTES"]
    files = [(PurePath(f.filename.replace("\\", "/")).name or "file", f.stream.read(limit + 1))
             for f in form.files.data if f.filename]
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


@bp.route("/<int:hoa_id>/registrations/<int:account_id>/release", methods=["POST"])
@accountant_required
def release(hoa_id, account_id):
    hoa = get_hoa_or_404(hoa_id)
    account = Account.get_or_none(Account.id == account_id, Account.hoa == hoa) or abort(404)
    resident = Resident.get_or_none(Resident.account == account)
    if resident is None:
        flash(_("Account %(number)s is not registered.", number=account.number), "info")
    else:
        resident.release(accountant=current_user.id, ip=client_ip())
        flash(_("The registration of account %(number)s is released; the resident can register "
                "again.", number=account.number), "success")
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
    return Notice.get_or_none(Notice.id == notice_id, Notice.hoa == hoa) or abort(404)


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
    form.populate_obj(hoa)
    hoa.save()
    AuditEvent.record("settings_changed", client_ip(), hoa=hoa, accountant=current_user.id)
    flash(_("The settings are saved."), "success")
    return redirect(url_for("office.settings", hoa_id=hoa.id))


def prefix_problem(hoa, prefixes):
    """Prefixes must not be another HOA's and must still cover every loaded account."""
    for other in Hoa.select().where(Hoa.id != hoa.id):
        for mine in prefixes:
            for theirs in other.prefix_list:
                if mine.startswith(theirs) or theirs.startswith(mine):
                    return _("The prefix %(prefix)s overlaps the prefix of another HOA.",
                             prefix=mine)
    for account in hoa.accounts:
        if not any(account.number.startswith(p) for p in prefixes):
            return _("Account %(number)s would match none of the prefixes.",
                     number=account.number)
    return None


# --- the operator's commands -------------------------------------------------------------------

@bp.cli.command("create-hoa")
@click.option("--name", required=True, help="For example: ТСЖ «Рассвет».")
@click.option("--prefixes", required=True, help="Account-number prefixes, comma-separated.")
@click.option("--inn", default="")
@click.option("--address", default="")
def create_hoa_command(name, prefixes, inn, address):
    """Create an HOA owning the given account-number prefixes."""
    prefixes = [p.strip() for p in prefixes.split(",") if p.strip()]
    if not prefixes or not all(p.isdigit() for p in prefixes):
        raise click.UsageError("Prefixes are digits separated by commas, e.g. 10,11.")
    hoa = Hoa(name=name.strip(), prefixes=",".join(prefixes), inn=inn, address=address)
    with importer.request_context():
        problem = prefix_problem(hoa, prefixes)
    if problem:
        raise click.ClickException(problem)
    hoa.save()
    click.echo(f"HOA {hoa.id} created: {hoa.name}, prefixes {hoa.prefixes}")


@bp.cli.command("registration-codes")
@click.option("--hoa", "hoa_id", type=int, required=True, help="HOA id.")
def registration_codes_command(hoa_id):
    """Print each account's number, apartment and registration code (as on the receipt)."""
    hoa = Hoa.get_or_none(Hoa.id == hoa_id)
    if hoa is None:
        raise click.ClickException(f"No HOA with id {hoa_id}.")
    click.echo(f"{hoa.name}: registration check \"{hoa.registration_check}\"")
    for account in hoa.accounts.order_by(Account.number):
        click.echo(f"{account.number}\t{account.apartment}\t{account.registration_code or '-'}")


@bp.cli.command("create-accountant")
@click.option("--email", required=True)
@click.option("--name", default="")
@click.option("--hoa", "hoa_ids", type=int, multiple=True, required=True, help="HOA id; repeat.")
def create_accountant_command(email, name, hoa_ids):
    """Create an accountant's office login and print its generated password."""
    email = email.strip().lower()
    hoas = [Hoa.get_or_none(Hoa.id == i) for i in hoa_ids]
    if None in hoas:
        raise click.ClickException(f"No HOA with id {hoa_ids[hoas.index(None)]}.")
    if Accountant.select().where(Accountant.email == email).exists():
        raise click.ClickException(f"An accountant with e-mail {email} already exists.")
    password = generate_password(12)
    with db.atomic():
        accountant = Accountant(email=email, name=name)
        accountant.set_password(password)
        accountant.save()
        for hoa in hoas:
            AccountantHoa.create(accountant=accountant, hoa=hoa)
    click.echo(f"Accountant {email} created for {', '.join(h.name for h in hoas)}.")
    click.echo(f"Password: {password}")


@bp.cli.command("reset-accountant-password")
@click.option("--email", required=True)
def reset_accountant_password_command(email):
    """Give an accountant a new generated password and end all of their office sessions."""
    accountant = Accountant.get_or_none(Accountant.email == email.strip().lower())
    if accountant is None:
        raise click.ClickException(f"No accountant with e-mail {email}.")
    password = generate_password(12)
    accountant.set_password(password)
    accountant.end_other_sessions()
    accountant.save()
    AuditEvent.record("office_password_reset", "", accountant=accountant)
    click.echo(f"New password for {accountant.email}: {password}")
    click.echo("Every office session of this accountant has ended.")


@bp.cli.command("import")
@click.option("--hoa", "hoa_id", type=int, required=True, help="The HOA's id.")
@click.option("--dry-run", is_flag=True, help="Check the files and show the totals only.")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
def import_command(hoa_id, dry_run, paths):
    """Load the billing program's files (accounts, charges, payments, meters) into an HOA."""
    hoa = Hoa.get_or_none(Hoa.id == hoa_id)
    if hoa is None:
        raise click.ClickException(f"No HOA with id {hoa_id}.")
    files = [(PurePath(p).name, Path(p).read_bytes()) for p in paths]
    with importer.request_context():
        with click.progressbar(length=len(files), label="Checking", file=sys.stderr) as bar:
            batch = importer.check(hoa, files, progress=lambda _name: bar.update(1))
        for problem in batch.problems:
            click.echo(str(problem), err=True)
        if not batch.ok:
            click.echo(f"{len(batch.problems)} problem(s); nothing was saved.", err=True)
            sys.exit(1)
        for line in importer.summary_lines(batch.summary()):
            click.echo(line)
        if dry_run:
            click.echo("Dry run: nothing was saved.")
            return
        batch.save()
        click.echo("Saved.")
