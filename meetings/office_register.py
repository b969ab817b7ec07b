"""The office's register of owners: built from the accounts, imported, edited by premises."""
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from access import accountant_required, get_hoa_or_404
from meetings import events
from meetings import register as reg
from meetings.access import account_of_hoa, get_entry_or_404, get_meeting_or_404
from meetings.counting import ShareProblem, parse_share
from meetings.forms import PremisesForm, UploadForm
from meetings.models import RegisterEntry, Vote
from models import db

bp = Blueprint("office_meeting_register", __name__,
               url_prefix="/office/<int:hoa_id>/meetings/<int:meeting_id>/register",
               template_folder="templates", cli_group=None)
PER_PAGE = 50
BLANK_ROWS = 2  # room for more owners of one premises


def load(hoa_id, meeting_id):
    hoa = get_hoa_or_404(hoa_id)
    return hoa, get_meeting_or_404(hoa, meeting_id)


@bp.route("")
@accountant_required
def index(hoa_id, meeting_id, form=None, problems=(), status=200):
    hoa, meeting = load(hoa_id, meeting_id)
    query = meeting.ordered_entries()
    total_entries = query.count()
    pages = max(1, -(-total_entries // PER_PAGE))
    page = min(max(request.args.get("page", 1, type=int), 1), pages)
    return render_template("meetings/office_register.html", hoa=hoa, meeting=meeting,
                           entries=query.paginate(page, PER_PAGE), page=page, pages=pages,
                           count=total_entries, total=reg.total_votes(meeting),
                           locked=reg.has_votes(meeting), form=form or UploadForm(),
                           problems=problems), status


def refuse_when_voted(hoa, meeting):
    if reg.has_votes(meeting):
        flash(_("Votes are already given: the register can no longer be made anew. Edit its "
                "premises one by one."), "danger")
        return redirect(url_for(".index", hoa_id=hoa.id, meeting_id=meeting.id))
    return None


@bp.route("/build", methods=["POST"])
@accountant_required
def build(hoa_id, meeting_id):
    hoa, meeting = load(hoa_id, meeting_id)
    refused = refuse_when_voted(hoa, meeting)
    if refused:
        return refused
    count = reg.from_accounts(meeting)
    events.record("meeting_register_changed", meeting, f"accounts: {count}",
                  accountant=current_user.id)
    flash(_("The register is made from the accounts: %(count)s entries. Add co-owners and "
            "their shares where a flat has several.", count=count), "success")
    return redirect(url_for(".index", hoa_id=hoa.id, meeting_id=meeting.id))


@bp.route("/import", methods=["POST"])
@accountant_required
def upload(hoa_id, meeting_id):
    hoa, meeting = load(hoa_id, meeting_id)
    refused = refuse_when_voted(hoa, meeting)
    if refused:
        return refused
    form = UploadForm()
    file = request.files.get("file")
    if not form.validate_on_submit() or file is None or not file.filename:
        return index(hoa_id, meeting_id, form, [_("Choose a CSV or XLSX file.")], 400)
    premises, problems = reg.read_register(file.filename, file.read(), hoa)
    if problems:
        return index(hoa_id, meeting_id, form, [str(p) for p in problems[:50]], 400)
    count = reg.replace(meeting, premises)
    events.record("meeting_register_changed", meeting, f"{file.filename[:100]}: {count}",
                  accountant=current_user.id)
    flash(_("The register is loaded: %(count)s entries.", count=count), "success")
    return redirect(url_for(".index", hoa_id=hoa.id, meeting_id=meeting.id))


@bp.route("/new", methods=["GET", "POST"], endpoint="new")
@bp.route("/<int:entry_id>", methods=["GET", "POST"])
@accountant_required
def premises(hoa_id, meeting_id, entry_id=None):
    hoa, meeting = load(hoa_id, meeting_id)
    entries = reg.premises_entries(meeting, get_entry_or_404(meeting, entry_id).premises) \
        if entry_id else []
    form = PremisesForm()
    if not form.is_submitted():
        fill(form, entries)
    elif form.validate():
        problem = save(hoa, meeting, entries, form)
        if problem is None:
            flash(_("The premises is saved."), "success")
            return redirect(url_for(".index", hoa_id=hoa.id, meeting_id=meeting.id))
        form.form_errors.append(problem)
    return render_template("meetings/office_premises.html", hoa=hoa, meeting=meeting,
                           form=form, entries=entries), 400 if form.is_submitted() else 200


def fill(form, entries):
    if entries:
        first = entries[0]
        form.premises.data = first.premises
        form.area.process_data(first.area)
        form.non_residential.data = first.non_residential
        form.account.data = first.account.number if first.account else ""
    rows = [{"owner": e.owner, "share": e.share_text, "member": e.member} for e in entries]
    rows += [{"owner": "", "share": "", "member": True}] * BLANK_ROWS
    while len(form.owners):
        form.owners.pop_entry()
    for row in rows:
        form.owners.append_entry(row)


def save(hoa, meeting, entries, form):
    """None when saved, else the message saying why nothing changed."""
    owners = [((row.owner.data or "").strip(), parse_share(row.share.data or "1"),
               row.member.data) for row in form.owners if (row.owner.data or "").strip()]
    if not owners:
        return _("Enter at least one owner.")
    premises = form.premises.data.strip()
    others = reg.premises_entries(meeting, premises)
    if others and (not entries or others[0].id not in {e.id for e in entries}):
        return _("«%(premises)s» is already in the register: open it there to add an owner.",
                 premises=premises)
    account = account_of_hoa(hoa, (form.account.data or "").strip())
    if (form.account.data or "").strip() and account is None:
        return _("Account %(number)s is not one of this HOA's.", number=form.account.data)
    dropped = entries[len(owners):]
    if Vote.select().where(Vote.entry.in_([e.id for e in dropped])).exists() or any(
            e.ballots.exists() for e in dropped):
        return _("An owner who has voted cannot be removed from the register.")
    try:
        with db.atomic():
            reg.save_premises(meeting, entries, premises, form.area.data,
                              form.non_residential.data, account, owners)
            events.record("meeting_register_changed", meeting, premises[:200],
                          accountant=current_user.id)
    except ShareProblem as e:
        return reg.share_message(premises, e.args[0])
    return None


@bp.route("/<int:entry_id>/delete", methods=["POST"])
@accountant_required
def delete(hoa_id, meeting_id, entry_id):
    hoa, meeting = load(hoa_id, meeting_id)
    entries = reg.premises_entries(meeting, get_entry_or_404(meeting, entry_id).premises)
    ids = [e.id for e in entries]
    if Vote.select().where(Vote.entry.in_(ids)).exists() or any(e.ballots.exists()
                                                                  for e in entries):
        flash(_("An owner who has voted cannot be removed from the register."), "danger")
    else:
        RegisterEntry.delete().where(RegisterEntry.id.in_(ids)).execute()
        events.record("meeting_register_changed", meeting, f"- {entries[0].premises[:200]}",
                      accountant=current_user.id)
        flash(_("The premises is removed from the register."), "success")
    return redirect(url_for(".index", hoa_id=hoa.id, meeting_id=meeting.id))
