"""The resident's polls: the open ones with the account's answer, the closed ones with their
results, answering and changing the answer while a poll is open."""
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from access import resident_required
from database import db
from periods import today
from polls import events
from polls.forms import AnswerForm
from polls.models import CLOSED, OPEN, Poll, PollAnswer, PollOption
from polls.results import BAR_WIDTH, count
from speedups import Prepared

bp = Blueprint("polls", __name__, url_prefix="/cabinet", template_folder="templates")

PER_PAGE = 10


def get_poll_or_404(poll_id):
    """A poll of the resident's HOA that has opened; anything else is 404."""
    poll = Poll.reached_by_residents(current_user.account.hoa_id, today()) \
        .where(Poll.id == poll_id).first()
    return poll or abort(404)


@bp.context_processor
def poll_words():
    return {"bar_width": BAR_WIDTH}


OPEN_POLLS = Prepared(Poll.open_on)


@bp.app_template_global()
def open_polls():
    """The home page's list: the HOA's open polls, each with whether the account answered."""
    account = current_user.account
    polls = list(OPEN_POLLS(account.hoa_id, today()))
    if not polls:
        return []
    answered = {poll_id for (poll_id,) in PollAnswer.select(PollAnswer.poll).where(
        PollAnswer.account == account, PollAnswer.poll.in_([p.id for p in polls])).tuples()}
    return [(poll, poll.id in answered) for poll in polls]


@bp.route("/polls")
@resident_required
def index():
    hoa, day = current_user.account.hoa_id, today()
    closed = Poll.closed_by(hoa, day)
    total = closed.count()
    pages = max(1, -(-total // PER_PAGE))
    page = min(max(request.args.get("page", 1, type=int), 1), pages)
    return render_template("polls/index.html", opened=open_polls(),
                           closed=closed.paginate(page, PER_PAGE), page=page, pages=pages)


@bp.route("/polls/<int:poll_id>", methods=["GET", "POST"])
@resident_required
def poll(poll_id):
    poll = get_poll_or_404(poll_id)
    return answer(poll) if request.method == "POST" else show(poll, AnswerForm())


def show(poll, form, status=200):
    day = today()
    answer = poll.answer_of(current_user.account)
    return render_template("polls/poll.html", poll=poll, form=form, answer=answer,
                           options=poll.ordered_options(), state=poll.state(day),
                           results=count(poll) if poll.results_shown_to_residents(day)
                           else None), status


def answer(poll):
    """The POST of the poll's page: save the account's answer while the poll is open."""
    form = AnswerForm()
    if poll.state(today()) != OPEN:
        flash(_("The poll is closed: answers are no longer accepted. Your answer was not "
                "saved.") if poll.state(today()) == CLOSED else
              _("The poll has not opened yet. Your answer was not saved."), "warning")
        return redirect(url_for("polls.poll", poll_id=poll.id))
    option = chosen_option(poll, form.option.data)
    if option is None:
        form.option.errors = [_("Choose one of the poll's options.") if not form.option.data
                              else _("This option is not in the poll; the page may be out of "
                                     "date. Choose again; your answer was not saved.")]
        return show(poll, form, 400)
    resident = current_user._get_current_object()
    with db.atomic():
        before = PollAnswer.save_for(poll, option, resident)
        if before is None or before.id != option.id:
            events.record("poll_answer_changed" if before else "poll_answered", poll, option,
                          before, resident=resident, account_number=resident.account.number)
    flash(_("Your answer is saved. You can change it until the poll closes."), "success")
    return redirect(url_for("polls.poll", poll_id=poll.id))


def chosen_option(poll, value):
    """The poll's option with the id the form sent; None for an empty or another poll's id."""
    if not (value or "").isdigit() or not value.isascii() or len(value) > 18:
        return None
    return PollOption.get_or_none(PollOption.id == int(value), PollOption.poll == poll)
