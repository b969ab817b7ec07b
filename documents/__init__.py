"""The HOA's documents: the office uploads PDFs (charter, minutes, reports, estimates,
contracts), the HOA's residents read them in the cabinet, and those marked public are on the
site's landing page and the HOA's public page.

    models.py    Document: one PDF with its title, category and date (bytes in StoredFile)
    forms.py     the office's upload and edit form
    office.py    the office's pages (blueprint `office_documents`)
    views.py     the residents' list (blueprint `documents`), the public pages and the
                 download (`documents_public`)
"""
from documents.office import bp as office_bp
from documents.views import bp, public_bp

__all__ = ["bp", "office_bp", "public_bp"]
