"""The office's requests: the HOA's list with filters and counts, a page per request (status,
responsible person, deadline, reply, internal notes, delete) and the HOA's request settings."""
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

import storedfiles
from access import accountant_required, client_ip, get_hoa_or_404, one_or_404
from models import Account
from periods import today
from tickets import actions
from tickets.forms import AssignForm, DeleteForm, NoteForm, ReplyForm, SettingsForm, StatusForm
from tickets.models import STATUS_LABELS, STATUSES, Ticket, TicketSettings
from tickets.paging import paginate

bp = Blueprint("office_tickets", __name__, url_prefix="/office", template_folder="templates")
PER_PAGE = 50
SEARCH_LIMIT = 100


def get_ticket_or_404(hoa_id, ticket_id):
    """The HOA (the accountant's) and its request; another HOA's request is 404."""
    hoa = get_hoa_or_404(hoa_id)
    return hoa, one_or_404(Ticket, Ticket.id == ticket_id, Ticket.hoa == hoa)


@bp.app_template_global()
def office_ticket_counts(hoa):
    """Open and overdue requests of the HOA, for the office's home page."""
    return Ticket.counts(hoa)


def filters_from(args, categories):
    """The list's filters from the URL; what is not one of the choices is ignored."""
    status = args.get("status", "")
    category = args.get("category", "")
    return {
        "status": status if status in STATUSES or status == "open" else "",
        "category": category if category in categories else "",
        "urgent": args.get("urgent") == "1",
        "overdue": args.get("overdue") == "1",
        "q": " ".join(args.get("q", "").split())[:SEARCH_LIMIT],
    }


def filtered(hoa, chosen):
    query = Ticket.of_hoa(hoa)
    if chosen["status"] == "open":
        query = query.where(Ticket.is_open_condition())
    elif chosen["status"]:
        query = query.where(Ticket.status == chosen["status"])
    if chosen["category"]:
        query = query.where(Ticket.category == chosen["category"])
    if chosen["urgent"]:
        query = query.where(Ticket.urgent == True)  # noqa: E712 (a peewee expression)
    if chosen["overdue"]:
        query = query.where(Ticket.overdue_condition())
    if chosen["q"]:
        query = query.where(Ticket.search.contains(chosen["q"].lower()))
    return query.order_by(Ticket.created_at.desc(), Ticket.id.desc())


@bp.route("/<int:hoa_id>/requests")
@accountant_required
def index(hoa_id):
    hoa = get_hoa_or_404(hoa_id)
    categories = TicketSettings.of(hoa).category_list
    used = [c for (c,) in Ticket.select(Ticket.category).where(Ticket.hoa == hoa)
            .distinct().tuples()]
    categories += sorted(set(used) - set(categories))  # a category since removed still filters
    chosen = filters_from(request.args, categories)
    pages = paginate(filtered(hoa, chosen), PER_PAGE)
    return render_template("tickets/office_index.html", hoa=hoa, pages=pages, chosen=chosen,
                           categories=categories, counts=Ticket.counts(hoa),
                           statuses=STATUS_LABELS, day=today())


def render_ticket(hoa, ticket, status=200, **forms):
    forms.setdefault("reply_form", ReplyForm(prefix="reply", formdata=None))
    forms.setdefault("note_form", NoteForm(prefix="note", formdata=None))
    forms.setdefault("status_form", StatusForm(prefix="status", formdata=None,
                                               data={"status": next_status(ticket)}))
    forms.setdefault("assign_form", AssignForm(prefix="assign", formdata=None, obj=ticket))
    forms.setdefault("delete_form", DeleteForm(prefix="delete", formdata=None))
    return render_template("tickets/office_show.html", hoa=hoa, ticket=ticket,
                           account=Account.get_by_id(ticket.account_id),
                           events=list(ticket.thread(internal=True)),
                           attachments=list(ticket.attachments()), day=today(), **forms), status


def next_status(ticket):
    return {"new": "in_progress", "in_progress": "done", "deferred": "in_progress"}.get(
        ticket.status, "in_progress")


@bp.route("/<int:hoa_id>/requests/<int:ticket_id>")
@accountant_required
def show(hoa_id, ticket_id):
    return render_ticket(*get_ticket_or_404(hoa_id, ticket_id))


def back(hoa, ticket):
    return redirect(url_for("office_tickets.show", hoa_id=hoa.id, ticket_id=ticket.id))


@bp.route("/<int:hoa_id>/requests/<int:ticket_id>/reply", methods=["POST"])
@accountant_required
def reply(hoa_id, ticket_id):
    hoa, ticket = get_ticket_or_404(hoa_id, ticket_id)
    form = ReplyForm(prefix="reply")
    if not form.validate_on_submit():
        return render_ticket(hoa, ticket, 400, reply_form=form)
    actions.reply(ticket, current_user.id, form.text.data, client_ip())
    flash(_("The reply is sent to the resident."), "success")
    return back(hoa, ticket)


@bp.route("/<int:hoa_id>/requests/<int:ticket_id>/note", methods=["POST"])
@accountant_required
def note(hoa_id, ticket_id):
    hoa, ticket = get_ticket_or_404(hoa_id, ticket_id)
    form = NoteForm(prefix="note")
    if not form.validate_on_submit():
        return render_ticket(hoa, ticket, 400, note_form=form)
    actions.note(ticket, current_user.id, form.text.data, client_ip())
    flash(_("The note is saved. The resident does not see it."), "success")
    return back(hoa, ticket)


@bp.route("/<int:hoa_id>/requests/<int:ticket_id>/status", methods=["POST"])
@accountant_required
def status(hoa_id, ticket_id):
    hoa, ticket = get_ticket_or_404(hoa_id, ticket_id)
    form = StatusForm(prefix="status")
    if not form.validate_on_submit():
        return render_ticket(hoa, ticket, 400, status_form=form)
    if form.status.data == ticket.status and form.status.data != "deferred":
        flash(_("The request already has this status."), "info")
        return back(hoa, ticket)
    actions.change_status(ticket, current_user.id, form.status.data, client_ip(),
                          reason=form.reason.data, until=form.until.data)
    flash(_("The status is changed; the resident gets a letter."), "success")
    return back(hoa, ticket)


@bp.route("/<int:hoa_id>/requests/<int:ticket_id>/assign", methods=["POST"])
@accountant_required
def assign(hoa_id, ticket_id):
    hoa, ticket = get_ticket_or_404(hoa_id, ticket_id)
    form = AssignForm(prefix="assign")
    if not form.validate_on_submit():
        return render_ticket(hoa, ticket, 400, assign_form=form)
    if actions.assign(ticket, current_user.id, form.responsible.data, form.deadline.data,
                      client_ip()):
        flash(_("The responsible person and the deadline are saved."), "success")
    return back(hoa, ticket)


@bp.route("/<int:hoa_id>/requests/<int:ticket_id>/delete", methods=["POST"])
@accountant_required
def delete(hoa_id, ticket_id):
    hoa, ticket = get_ticket_or_404(hoa_id, ticket_id)
    form = DeleteForm(prefix="delete")
    if not form.validate_on_submit():
        return render_ticket(hoa, ticket, 400, delete_form=form)
    number = ticket.id
    actions.delete(ticket, current_user.id, client_ip())
    flash(_("Request No. %(id)s is deleted with its messages and files.", id=number), "success")
    return redirect(url_for("office_tickets.index", hoa_id=hoa.id))


@bp.route("/<int:hoa_id>/requests/<int:ticket_id>/files/<token>")
@accountant_required
def attachment(hoa_id, ticket_id, token):
    found = get_ticket_or_404(hoa_id, ticket_id)[1].attachment_by_token(token)
    if found is None:
        abort(404)
    return storedfiles.send(found.stored, inline=found.stored.is_image)


@bp.route("/<int:hoa_id>/requests/settings", methods=["GET", "POST"])
@accountant_required
def settings(hoa_id):
    hoa = get_hoa_or_404(hoa_id)
    current = TicketSettings.of(hoa)
    form = SettingsForm(obj=current)
    if not form.validate_on_submit():
        return render_template("tickets/office_settings.html", hoa=hoa, form=form), \
            400 if form.is_submitted() else 200
    if actions.save_settings(hoa, current_user.id, {name: getattr(form, name).data
                                                    for name in actions.SETTING_FIELDS},
                             client_ip()):
        flash(_("The request settings are saved."), "success")
    return redirect(url_for("office_tickets.settings", hoa_id=hoa.id))
