"""The forms of meetings: the meeting, a question, a premises of the register, the uploads."""
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import (
    BooleanField, DateField, DateTimeLocalField, FieldList, FormField,
    SelectChoice, SelectField, StringField, TextAreaField,
)
from wtforms.form import Form as PlainForm
from wtforms.validators import DataRequired, Length, Optional, StopValidation, ValidationError

from formats import format_number
from forms import Form
from importcolumns import Bad, area as parse_area
from meetings.counting import parse_share
from periods import FIRST_DAY, LAST_DAY

KIND_LABELS = {
    "owners": _l("General meeting of owners (art. 44–48 of the Housing Code)"),
    "members": _l("Meeting of the HOA's members (art. 145–146 of the Housing Code)"),
}
FORM_LABELS = {
    "mixed": _l("In person and by ballots (очно-заочное)"),
    "absentee": _l("By ballots only (заочное)"),
}
MAJORITY_LABELS = {
    "voted_half": _l("More than half of the votes of those who voted"),
    "all_half": _l("More than half of all votes"),
    "all_two_thirds": _l("At least two thirds of all votes"),
}
DECISION_LABELS = {"for": _l("For"), "against": _l("Against"), "abstain": _l("Abstain")}


def select_choices(labels):
    return [SelectChoice(value, label) for value, label in labels.items()]


def within_years(form, field):
    if field.data and not FIRST_DAY <= (getattr(field.data, "date", lambda: field.data)()) \
            <= LAST_DAY:
        raise ValidationError(_l("The date must be within the years 1990–2099."))


class MeetingForm(Form):
    title = StringField(_l("Title"), validators=[
        DataRequired(_l("Enter the meeting's title.")), Length(max=200)])
    kind = SelectField(_l("Kind of meeting"), choices=select_choices(KIND_LABELS))
    form = SelectField(_l("Form"), choices=select_choices(FORM_LABELS))
    initiator = StringField(_l("Initiator"), validators=[
        DataRequired(_l("Enter who calls the meeting.")), Length(max=200)],
        description=_l("For example: the board of the HOA, or an owner with the flat number."))
    starts_on = DateField(_l("Voting starts"), validators=[
        DataRequired(_l("Enter the first day of voting.")), within_years])
    ends_on = DateField(_l("Voting ends"), validators=[
        DataRequired(_l("Enter the last day of voting.")), within_years])
    in_person_at = DateTimeLocalField(_l("In-person part: date and time"),
                                      format="%Y-%m-%dT%H:%M",
                                      validators=[Optional(), within_years])
    in_person_place = StringField(_l("In-person part: place"), validators=[Length(max=200)])
    online_counts = BooleanField(
        _l("Votes given online count (an earlier meeting decided so, art. 47.1)"))
    number = StringField(_l("Protocol number"), validators=[Length(max=40)])
    storage_place = StringField(_l("Where the protocol and the ballots are kept"),
                                validators=[Length(max=200)])

    def validate_ends_on(self, field):
        if self.starts_on.data and field.data and field.data < self.starts_on.data:
            raise ValidationError(_l("Voting cannot end before it starts."))

    def validate_in_person_place(self, field):
        if self.form.data == "mixed" and not (field.data or "").strip():
            raise ValidationError(_l("A meeting in person and by ballots needs the place of "
                                     "its in-person part."))

    def validate_in_person_at(self, field):
        if self.form.data == "mixed" and not field.data:
            raise ValidationError(_l("A meeting in person and by ballots needs the date and "
                                     "time of its in-person part."))


class QuestionForm(Form):
    title = TextAreaField(_l("Question"), validators=[
        DataRequired(_l("Enter the question.")), Length(max=2000)])
    proposal = TextAreaField(_l("Proposed decision"), validators=[Length(max=4000)])
    speaker = StringField(_l("Heard: who reports on it"), validators=[Length(max=200)])
    majority = SelectField(_l("Majority needed"), choices=select_choices(MAJORITY_LABELS),
                           description=_l("Its legal basis decides: art. 46 part 1 of the "
                                          "Housing Code."))


def valid_share(form, field):
    if (field.data or "").strip():
        try:
            parse_share(field.data)
        except ValueError:
            raise ValidationError(_l("Write the share as 1/2 or 0,5 (more than 0, at most 1)."))


class AreaField(StringField):
    """An area as typed, «54,3» or «54.30», read by the rule the imports read it with."""
    text = ""

    def process_formdata(self, valuelist):
        super().process_formdata(valuelist)
        self.text = (self.data or "")[:40]

    def process_data(self, value):
        super().process_data(value)
        self.text = format_number(value, 2, trim=False) if value is not None else ""

    def pre_validate(self, form):
        if not self.text.strip():
            raise StopValidation(_l("Enter the area."))
        try:
            self.data = parse_area(self.text)
        except Bad as e:
            raise StopValidation(str(e)) from None
        if self.data <= 0:
            raise StopValidation(_l("Enter an area above 0."))

    def _value(self):
        return self.text


class OwnerForm(PlainForm):
    owner = StringField(_l("Owner"), validators=[Length(max=255)])
    share = StringField(_l("Share"), validators=[valid_share])
    member = BooleanField(_l("Member of the HOA"))


class PremisesForm(Form):
    premises = StringField(_l("Premises (address with the flat)"), validators=[
        DataRequired(_l("Enter the premises.")), Length(max=255)])
    area = AreaField(_l("Area, m²"), description=_l("For example: 54,30"))
    non_residential = BooleanField(_l("Non-residential premises"))
    account = StringField(_l("Account number (whose resident may vote online)"),
                          validators=[Length(max=20)])
    owners = FieldList(FormField(OwnerForm), min_entries=1, max_entries=20)


class UploadForm(Form):
    file = FileField(_l("File"))


class MaterialForm(Form):
    title = StringField(_l("Title"), validators=[
        DataRequired(_l("Enter the document's title.")), Length(max=200)])
    file = FileField(_l("PDF file"))


