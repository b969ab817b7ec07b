"""Public pages: the landing page, help, privacy policy, language switch."""
from datetime import date

from flask import (
    Blueprint, current_app, redirect, render_template, request, send_from_directory, session,
    url_for,
)
from flask_babel import format_date

from access import safe_next
from formats import format_period

bp = Blueprint("pages", __name__)


@bp.route("/")
def index():
    # notices are for an HOA's residents (dates people are away, works in the flats): a visitor
    # sees none; residents find their own HOA's in the cabinet
    return render_template("index.html")


@bp.route("/favicon.ico")
def favicon():
    """Browsers ask for it on every site whatever the page says; nginx serves it in production."""
    return send_from_directory(current_app.static_folder, "favicon.ico", max_age=86400)


@bp.route("/help")
def help():
    return render_template("help.html")


@bp.route("/office/help")
def office_help():
    """The accountant's help: loading data, documents, the letters residents get."""
    return render_template("help_office.html", hoa=None)


@bp.route("/privacy")
def privacy():
    return render_template("privacy.html",
                           version=version_text(current_app.config["PRIVACY_POLICY_VERSION"]))


def version_text(version):
    """The policy's version as a date in words: «20 ноября 2026 г.» or «ноябрь 2026»."""
    text = str(version)
    try:
        if len(text) == 7:
            return format_period(date.fromisoformat(text + "-01"))
        return format_date(date.fromisoformat(text), "d MMMM yyyy")
    except ValueError:  # a version that is not a date is shown as written
        return text


@bp.route("/lang/<code>", methods=["POST"])
def set_language(code):
    if code in ("ru", "en"):
        session["lang"] = code
    return redirect(safe_next(request.form.get("next"), url_for("pages.index")))
