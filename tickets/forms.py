"""The forms of requests, one per action."""
from datetime import timedelta

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField, DateField, IntegerField, MultipleFileField, RadioField, SelectChoice,
    SelectField, StringField, TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError

from emails import is_email_address
from forms import Form
from periods import today
from tickets.models import MAX_ATTACHMENTS, STATUS_LABELS

TEXT_LIMIT = 4000


def text_area(label, required_message, limit=TEXT_LIMIT):
    return TextAreaField(label, filters=[lambda v: (v or "").strip()], validators=[
        DataRequired(required_message),
        Length(max=limit, message=_l("The text must be at most %(max)d characters."))])


class NewTicketForm(Form):
    category = SelectField(_l("What it is about"), validators=[
        DataRequired(_l("Choose what the request is about."))])
    text = text_area(_l("What happened"), _l("Describe what happened and where."))
    urgent = BooleanField(_l("Emergency: a leak, no electricity, a stuck lift, no heating"))
    files = MultipleFileField(
        _l("Photos or PDF (optional)"),
        description=_l("Up to %(num)s files: JPEG or PNG photos, PDF documents; at most "
                       "10 MB each. The place where the photo was taken is removed from it.",
                       num=MAX_ATTACHMENTS))

    def __init__(self, categories, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.category.choices = [SelectChoice("", _l("— choose —"))] + [
            SelectChoice(c, c) for c in categories]

    def sent_files(self):
        """The files chosen in the form (an empty file input sends one without a name)."""
        return [f for f in (self.files.data or []) if f and f.filename]

    def validate_files(self, field):
        if len(self.sent_files()) > MAX_ATTACHMENTS:
            raise ValidationError(_l("At most %(num)s files can be attached to a request.",
                                     num=MAX_ATTACHMENTS))


class MessageForm(Form):
    text = text_area(_l("Your message"), _l("Write the message."))


class ReopenForm(Form):
    text = TextAreaField(_l("What is still wrong (optional)"),
                         filters=[lambda v: (v or "").strip()],
                         validators=[Optional(), Length(max=TEXT_LIMIT, message=_l(
                             "The text must be at most %(max)d characters."))])


class RatingForm(Form):
    rating = RadioField(_l("How was the request handled?"),
                        choices=[SelectChoice(str(n), str(n)) for n in range(5, 0, -1)],
                        validators=[DataRequired(_l("Choose a mark from 1 to 5."))])
    comment = TextAreaField(_l("Comment (optional)"), filters=[lambda v: (v or "").strip()],
                            validators=[Optional(), Length(max=1000, message=_l(
                                "The text must be at most %(max)d characters."))])


class ReplyForm(Form):
    text = text_area(_l("Reply to the resident"), _l("Write the reply."))


class NoteForm(Form):
    text = text_area(_l("Internal note (the resident does not see it)"), _l("Write the note."))


OFFICE_STATUSES = ("in_progress", "done", "declined", "deferred", "new")


class StatusForm(Form):
    status = SelectField(_l("New status"), choices=[SelectChoice(s, STATUS_LABELS[s])
                                                     for s in OFFICE_STATUSES])
    reason = TextAreaField(_l("Reason (the resident sees it; needed to decline)"),
                           filters=[lambda v: (v or "").strip()],
                           validators=[Optional(), Length(max=TEXT_LIMIT, message=_l(
                               "The text must be at most %(max)d characters."))])
    until = DateField(_l("Deferred until (needed to defer)"), validators=[Optional()])

    def validate(self, extra_validators=None):
        """A decline needs its reason and a deferral its day; the other fields' own checks
        (the day is Optional, so an inline check would never see it empty) come first."""
        ok = super().validate(extra_validators)
        if self.status.data == "declined" and not self.reason.data:
            self.reason.errors.append(_l("Write why the request is declined: the resident "
                                         "will see it."))
            ok = False
        if self.status.data == "deferred" and not self.until.errors:
            if self.until.data is None:
                self.until.errors.append(_l("Choose the day the request is deferred until."))
                ok = False
            elif not today() < self.until.data <= today() + timedelta(days=366):
                self.until.errors.append(_l("The day must be after today and within a year."))
                ok = False
        return ok


class AssignForm(Form):
    responsible = StringField(_l("Responsible"), filters=[lambda v: (v or "").strip()],
                              description=_l("For example: plumber Petrov, +7 900 000-00-00"),
                              validators=[Optional(), Length(max=200, message=_l(
                                  "The value is too long."))])
    deadline = DateField(_l("Deadline"), validators=[
        DataRequired(_l("Choose the deadline."))])

    def validate_deadline(self, field):
        if field.data and not (today() - timedelta(days=366) <= field.data
                               <= today() + timedelta(days=366)):
            raise ValidationError(_l("The deadline must be within a year from today."))


class DeleteForm(Form):
    confirm = BooleanField(_l("Yes, delete this request with its messages and files"),
                           validators=[DataRequired(_l("Tick the box to confirm."))])


class SettingsForm(Form):
    categories = TextAreaField(
        _l("Categories of requests, one a line"),
        filters=[lambda v: "\n".join(line.strip() for line in (v or "").splitlines()
                                     if line.strip())],
        validators=[DataRequired(_l("Enter at least one category.")),
                    Length(max=2000, message=_l("The value is too long."))])
    urgent_days = IntegerField(_l("Days to handle an emergency request"), validators=[
        DataRequired(_l("Enter a number of days from 1 to 90.")),
        NumberRange(1, 90, _l("Enter a number of days from 1 to 90."))])
    normal_days = IntegerField(_l("Days to handle another request"), validators=[
        DataRequired(_l("Enter a number of days from 1 to 90.")),
        NumberRange(1, 90, _l("Enter a number of days from 1 to 90."))])
    email = StringField(_l("E-mail for new requests"), filters=[lambda v: (v or "").strip()],
                        description=_l("Empty: the HOA's e-mail from its settings."),
                        validators=[Optional(), Length(max=254)])

    def validate_categories(self, field):
        lines = field.data.splitlines()
        if len(lines) > 30 or any(len(line) > 60 for line in lines):
            raise ValidationError(_l("At most 30 categories of at most 60 characters each."))
        if len({line.lower() for line in lines}) != len(lines):
            raise ValidationError(_l("A category is listed twice."))

    def validate_email(self, field):
        if field.data and not is_email_address(field.data):
            raise ValidationError(_l("This is not an e-mail address."))
