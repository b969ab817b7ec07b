"""The resident's requests: file one with photos, follow its thread, write, reopen, rate."""
from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from peewee import Case, fn

import storedfiles
from access import client_ip, one_or_404, resident_required
from speedups import Prepared
from storedfiles import FileRefused
from tickets import actions
from tickets.forms import MessageForm, NewTicketForm, RatingForm, ReopenForm
from tickets.models import PER_DAY, Ticket, TicketSettings
from tickets.paging import paginate

bp = Blueprint("tickets", __name__, url_prefix="/cabinet/requests",
               template_folder="templates")
PER_PAGE = 20


def get_ticket_or_404(ticket_id):
    """A request the current resident filed; anyone else's is 404."""
    return one_or_404(Ticket, Ticket.id == ticket_id, Ticket.resident == current_user.id)


TICKET_COUNTS = Prepared(lambda resident_id: (
    Ticket.select(fn.COUNT(Ticket.id), fn.SUM(Case(None, [(Ticket.is_open_condition(), 1)], 0)))
    .where(Ticket.resident == resident_id).tuples()))


@bp.app_template_global()
def resident_ticket_counts(resident):
    """The resident's open requests and all of them, for the cabinet's home page."""
    every, still_open = TICKET_COUNTS.first(resident.id)
    return {"open": still_open or 0, "all": every}


@bp.route("")
@resident_required
def index():
    pages = paginate(Ticket.of_account(current_user.account)
                     .where(Ticket.resident == current_user.id), PER_PAGE)
    return render_template("tickets/index.html", pages=pages)


@bp.route("/new", methods=["GET", "POST"])
@resident_required
def new():
    account = current_user.account
    form = NewTicketForm(TicketSettings.of(account.hoa).category_list)
    ticket = file_from(form) if form.validate_on_submit() else None
    if ticket is not None:
        flash(_("Your request No. %(id)s is sent to the HOA.", id=ticket.id), "success")
        return redirect(url_for("tickets.show", ticket_id=ticket.id))
    return render_template("tickets/new.html", form=form, account=account), \
        400 if form.is_submitted() else 200


def file_from(form):
    """The new request of a valid form, or None with the reason among the form's errors: the
    day's limit reached, or a file refused (then nothing at all is kept)."""
    if Ticket.filed_today(current_user) >= PER_DAY:
        form.text.errors.append(_("You have filed %(num)s requests today. File the next one "
                                  "tomorrow, or call your HOA if it is urgent.", num=PER_DAY))
        return None
    try:
        kept = [storedfiles.store(upload) for upload in form.sent_files()]
    except FileRefused as refused:
        form.files.errors.append(str(refused))
        return None
    return actions.file(current_user, form.category.data, form.text.data, form.urgent.data,
                        kept, client_ip())


def render_ticket(ticket, status=200, **forms):
    forms.setdefault("message_form", MessageForm(prefix="message", formdata=None))
    forms.setdefault("reopen_form", ReopenForm(prefix="reopen", formdata=None))
    forms.setdefault("rating_form", RatingForm(prefix="rating", formdata=None))
    return render_template("tickets/show.html", ticket=ticket, events=list(ticket.thread()),
                           attachments=list(ticket.attachments()), **forms), status


@bp.route("/<int:ticket_id>")
@resident_required
def show(ticket_id):
    return render_ticket(get_ticket_or_404(ticket_id))


@bp.route("/<int:ticket_id>/message", methods=["POST"])
@resident_required
def message(ticket_id):
    ticket = get_ticket_or_404(ticket_id)
    form = MessageForm(prefix="message")
    if not form.validate_on_submit():
        return render_ticket(ticket, 400, message_form=form)
    actions.resident_message(ticket, current_user, form.text.data, client_ip())
    flash(_("Your message is added to the request."), "success")
    return redirect(url_for("tickets.show", ticket_id=ticket.id))


@bp.route("/<int:ticket_id>/reopen", methods=["POST"])
@resident_required
def reopen(ticket_id):
    ticket = get_ticket_or_404(ticket_id)
    form = ReopenForm(prefix="reopen")
    if not ticket.can_reopen():
        flash(_("A request can be reopened within 14 days after it is done. Please file a "
                "new one."), "warning")
        return redirect(url_for("tickets.show", ticket_id=ticket.id))
    if not form.validate_on_submit():
        return render_ticket(ticket, 400, reopen_form=form)
    actions.reopen(ticket, current_user, form.text.data, client_ip())
    flash(_("The request is reopened; the HOA is told."), "success")
    return redirect(url_for("tickets.show", ticket_id=ticket.id))


@bp.route("/<int:ticket_id>/rate", methods=["POST"])
@resident_required
def rate(ticket_id):
    ticket = get_ticket_or_404(ticket_id)
    form = RatingForm(prefix="rating")
    if not ticket.can_rate():
        flash(_("A request can be rated once, after it is done."), "warning")
        return redirect(url_for("tickets.show", ticket_id=ticket.id))
    if not form.validate_on_submit():
        return render_ticket(ticket, 400, rating_form=form)
    actions.rate(ticket, current_user, int(form.rating.data), form.comment.data, client_ip())
    flash(_("Thank you for your mark."), "success")
    return redirect(url_for("tickets.show", ticket_id=ticket.id))


@bp.route("/<int:ticket_id>/files/<token>")
@resident_required
def attachment(ticket_id, token):
    found = get_ticket_or_404(ticket_id).attachment_by_token(token)
    if found is None:
        abort(404)
    return storedfiles.send(found.stored, inline=found.stored.is_image)
