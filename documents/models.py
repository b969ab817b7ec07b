"""A document of the HOA: a PDF kept in StoredFile, with its title, category and date."""
from flask_babel import lazy_gettext as _l
from peewee import BooleanField, Case, CharField, DateField, DateTimeField, ForeignKeyField

from database import db
from models import BaseModel, Hoa, choices, now
from storedfiles import StoredFile

# the categories in the order the lists show them (ст. 143.1 ЖК names most of them)
CATEGORIES = {
    "charter": _l("Charter"),
    "minutes": _l("Minutes of meetings"),
    "reports": _l("Reports"),
    "estimates": _l("Estimates and tariffs"),
    "contracts": _l("Contracts"),
    "other": _l("Other"),
}


class Document(BaseModel):
    """One PDF of the HOA's: seen by its registered residents, or by everyone when public."""
    hoa = ForeignKeyField(Hoa, backref="documents", on_delete="CASCADE")
    title = CharField()
    category = CharField(choices=choices(CATEGORIES))
    dated = DateField()  # the document's own date (of the meeting, of the report)
    public = BooleanField(default=False)  # listed on the landing page and the HOA's page
    file = ForeignKeyField(StoredFile, on_delete="RESTRICT")  # removed with the document
    created_at = DateTimeField(default=now)
    updated_at = DateTimeField(default=now)

    class Meta:
        indexes = ((("hoa", "category", "dated"), False), (("public", "dated"), False))

    @property
    def category_label(self):
        return CATEGORIES.get(self.category, self.category)

    @classmethod
    def listed(cls, hoa, public_only=False, category=None):
        """The HOA's documents by category (in CATEGORIES' order), newest first; without the
        files' bytes."""
        rank = Case(cls.category, [(key, i) for i, key in enumerate(CATEGORIES)], len(CATEGORIES))
        query = (cls.select(cls, StoredFile.id, StoredFile.name, StoredFile.size).join(StoredFile)
                 .where(cls.hoa == hoa))
        if public_only:
            query = query.where(cls.public == True)  # noqa: E712
        if category:
            query = query.where(cls.category == category)
        return query.order_by(rank, cls.dated.desc(), cls.id.desc())

    @classmethod
    def latest_public(cls, limit=10):
        """The newest public documents of every HOA, for the landing page."""
        return (cls.select(cls, Hoa.id, Hoa.name).join(Hoa)
                .where(cls.public == True)  # noqa: E712
                .order_by(cls.dated.desc(), cls.id.desc()).limit(limit))

    def replace_file(self, stored):
        """Keep `stored` (a new, unsaved StoredFile) as this document's file; the old one goes."""
        with db.atomic():
            old = self.file_id
            stored.save()
            self.file = stored
            self.updated_at = now()
            self.save()
            StoredFile.delete().where(StoredFile.id == old).execute()

    def remove(self):
        """Delete the document and its file."""
        with db.atomic():
            self.delete_instance()
            StoredFile.delete().where(StoredFile.id == self.file_id).execute()
