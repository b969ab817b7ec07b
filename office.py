"""The accountant's office: login, the HOA list and every page scoped to one HOA."""
from functools import wraps

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from auth import client_ip, safe_next
from forms import OfficeLoginForm
from models import Accountant, AccountantHoa, AuditEvent, Hoa, now
from throttle import office_login_limits

bp = Blueprint("office", __name__, url_prefix="/office", cli_group=None)


def accountant_required(view):
    """Only a logged-in accountant; residents and strangers go to the office login."""
    @wraps(view)
    def wrapped(*args, **kwargs):
        if not current_user.is_authenticated or current_user.login_kind != "a":
            return redirect(url_for("office.login", next=request.full_path))
        return view(*args, **kwargs)
    return wrapped


def get_hoa_or_404(hoa_id):
    """The HOA with this id if the current accountant works with it; otherwise 404."""
    hoa = (Hoa.select().join(AccountantHoa)
           .where(Hoa.id == hoa_id, AccountantHoa.accountant == current_user.id).first())
    if hoa is None:
        abort(404)
    return hoa


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
    accountant.last_login_at = now()
    accountant.save(only=[Accountant.last_login_at])
    AuditEvent.record("office_login", client_ip(), accountant=accountant)
    return redirect(safe_next(request.args.get("next"), url_for("office.home")))


@bp.route("/logout", methods=["POST"])
def logout():
    logout_user()
    session.clear()
    return redirect(url_for("office.login"))


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
