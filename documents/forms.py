"""The office's form for one document."""
from datetime import date

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import BooleanField, DateField, SelectChoice, SelectField, StringField
from wtforms.validators import DataRequired, Length, ValidationError

from documents.models import CATEGORIES
from forms import Form
from periods import LAST_DAY

OLDEST = date(1900, 1, 1)  # a housing co-operative's charter may be from Soviet times


class DocumentForm(Form):
    title = StringField(_l("Title"), validators=[
        DataRequired(_l("Enter a title.")),
        Length(max=200, message=_l("The title must be at most 200 characters."))])
    category = SelectField(_l("Category"), choices=[
        SelectChoice(key, label) for key, label in CATEGORIES.items()], validators=[
        DataRequired(_l("Choose a category."))])
    dated = DateField(_l("Date of the document"), validators=[
        DataRequired(_l("Enter the date of the document."))])
    public = BooleanField(_l("Public: shown to everyone on the site's main page"))
    file = FileField(_l("PDF file (at most 10 MB)"))

    def validate_category(self, field):
        if field.data not in CATEGORIES:
            raise ValidationError(_l("Choose a category from the list."))

    def validate_dated(self, field):
        if field.data and not OLDEST <= field.data <= LAST_DAY:
            raise ValidationError(_l("Enter a date between 1900 and 2099."))
