"""The office's documents: the list, upload, edit or replace, delete and download."""
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.datastructures import FileStorage

import storedfiles
from access import accountant_required, client_ip, get_hoa_or_404, one_or_404
from database import db
from documents.forms import DocumentForm
from documents.models import Document
from models import AuditEvent, now
from storedfiles import FileRefused

bp = Blueprint("office_documents", __name__, url_prefix="/office", template_folder="templates")

PER_PAGE = 50
FIELDS = ("title", "category", "dated", "public")


def get_document_or_404(hoa, document_id):
    """A document of this HOA; another HOA's id is 404."""
    return one_or_404(Document, Document.id == document_id, Document.hoa == hoa)


def audit(event, hoa, document):
    AuditEvent.record(event, client_ip(), hoa=hoa, accountant=current_user.id,
                      detail=f"{document.title} ({document.file.name})")


@bp.route("/<int:hoa_id>/documents")
@accountant_required
def index(hoa_id):
    hoa = get_hoa_or_404(hoa_id)
    query = Document.listed(hoa)
    total = query.count()
    pages = max(1, -(-total // PER_PAGE))
    page = min(max(request.args.get("page", 1, type=int), 1), pages)
    return render_template("documents/office_list.html", hoa=hoa,
                           documents=query.paginate(page, PER_PAGE), page=page, pages=pages,
                           total=total)


def take_file(form, required):
    """The upload as a new StoredFile, None when none was sent and none is needed; the
    reason it is refused goes onto the form's file field."""
    upload = form.file.data
    if not isinstance(upload, FileStorage) or not upload.filename:
        if required:
            form.file.errors.append(_("Choose the PDF file of the document."))
            return False
        return None
    try:
        return storedfiles.store(upload, kinds=("pdf",))
    except FileRefused as refused:
        form.file.errors.append(str(refused))
        return False


@bp.route("/<int:hoa_id>/documents/new", methods=["GET", "POST"])
@accountant_required
def new(hoa_id):
    hoa = get_hoa_or_404(hoa_id)
    form = DocumentForm()
    if not form.is_submitted():
        form.dated.data = now().date()
    stored = take_file(form, required=True) if form.validate_on_submit() else False
    if stored is False:
        return render_template("documents/office_form.html", hoa=hoa, form=form,
                               document=None), 400 if form.is_submitted() else 200
    with db.atomic():
        stored.save()
        document = Document.create(hoa=hoa, file=stored,
                                   **{name: form[name].data for name in FIELDS})
        audit("document_added", hoa, document)
    flash(_("The document «%(title)s» is published.", title=document.title), "success")
    return redirect(url_for("office_documents.index", hoa_id=hoa.id))


@bp.route("/<int:hoa_id>/documents/<int:document_id>", methods=["GET", "POST"])
@accountant_required
def edit(hoa_id, document_id):
    """Change the title, category, date or visibility; a new file replaces the old one."""
    hoa = get_hoa_or_404(hoa_id)
    document = get_document_or_404(hoa, document_id)
    form = DocumentForm(obj=document)
    stored = take_file(form, required=False) if form.validate_on_submit() else False
    if stored is False:
        return render_template("documents/office_form.html", hoa=hoa, form=form,
                               document=document), 400 if form.is_submitted() else 200
    with db.atomic():
        changed = any(getattr(document, name) != form[name].data for name in FIELDS)
        for name in FIELDS:
            setattr(document, name, form[name].data)
        if changed:
            document.updated_at = now()
            document.save()
            audit("document_changed", hoa, document)
        if stored is not None:
            document.replace_file(stored)
            audit("document_replaced", hoa, document)
    flash(_("The document «%(title)s» is saved.", title=document.title), "success")
    return redirect(url_for("office_documents.index", hoa_id=hoa.id))


@bp.route("/<int:hoa_id>/documents/<int:document_id>/delete", methods=["POST"])
@accountant_required
def delete(hoa_id, document_id):
    hoa = get_hoa_or_404(hoa_id)
    document = get_document_or_404(hoa, document_id)
    with db.atomic():
        audit("document_deleted", hoa, document)
        document.remove()
    flash(_("The document «%(title)s» is deleted.", title=document.title), "success")
    return redirect(url_for("office_documents.index", hoa_id=hoa.id))


@bp.route("/<int:hoa_id>/documents/<int:document_id>/file")
@accountant_required
def download(hoa_id, document_id):
    document = get_document_or_404(get_hoa_or_404(hoa_id), document_id)
    return storedfiles.send(document.file, inline=True)
