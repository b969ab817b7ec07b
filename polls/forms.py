"""The office's poll form and the resident's answer."""
from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField, DateField, FieldList, RadioField, SelectChoice, StringField, TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from forms import Form, date_in_range
from polls.models import MAX_OPTIONS, MIN_OPTIONS
from texts import plain_text

WEIGHTING_LABELS = {"account": _l("Per account: one vote for each account"),
                    "area": _l("Per area: each account's vote weighs its area in m²")}


class PollForm(Form):
    question = TextAreaField(_l("Question"), validators=[
        DataRequired(_l("Enter the question.")),
        Length(max=500, message=_l("The question must be at most 500 characters."))])
    options = FieldList(StringField(validators=[Optional(), Length(
        max=200, message=_l("An option must be at most 200 characters."))]),
        min_entries=MAX_OPTIONS, max_entries=MAX_OPTIONS)
    weighting = RadioField(_l("Count the results"), default="account", choices=[
        SelectChoice(value, label) for value, label in WEIGHTING_LABELS.items()])
    opens_on = DateField(_l("Open from"), validators=[
        DataRequired(_l("Enter the first day of the poll.")), date_in_range])
    closes_on = DateField(_l("Last day (leave empty to close the poll by hand)"),
                          validators=[Optional(), date_in_range])
    results_while_open = BooleanField(_l("Residents see the results while the poll is open "
                                         "(otherwise only after it closes)"))

    def fill(self, poll):
        """The poll's fields from the form; its options are saved by the view."""
        poll.question = self.question.data.strip()
        poll.weighting = self.weighting.data
        poll.opens_on, poll.closes_on = self.opens_on.data, self.closes_on.data
        poll.results_while_open = self.results_while_open.data

    def option_texts(self):
        """The options filled in, in order (a FieldList's entries miss the form's filters)."""
        texts = (plain_text(entry.data or "").strip() for entry in self.options)
        return [text for text in texts if text]

    def validate_options(self, field):
        texts = self.option_texts()
        if len(texts) < MIN_OPTIONS:
            raise ValidationError(str(_l("Enter at least two options.")))  # the list shows text
        if len({text.casefold() for text in texts}) < len(texts):
            raise ValidationError(str(_l("Two options are the same; make each one different.")))

    def validate_closes_on(self, field):
        if field.data and self.opens_on.data and field.data < self.opens_on.data:
            raise ValidationError(_l("The last day cannot be before the first day."))


class AnswerForm(Form):
    """The option's id is checked against the poll by the view (a tampered id is refused)."""
    option = StringField()
