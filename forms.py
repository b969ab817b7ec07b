"""Forms, one class per page; checks that need the database live in the views."""
import re
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField, DateField, EmailField, IntegerField, MultipleFileField, PasswordField,
    SelectChoice, SelectField, StringField, TextAreaField,
)
from wtforms.validators import (
    DataRequired, EqualTo, Length, NumberRange, Optional, StopValidation, ValidationError,
)

import requisites
from hoa_settings import LABELS, REGISTRATION_CHECK_LABELS, TIME_ZONE_LABELS
from emails import is_email_address
from models import REGISTRATION_CHECKS, TIME_ZONES, normalize_account
from periods import FIRST_DAY, LAST_DAY, parse_period
from texts import plain_text


class Form(FlaskForm):
    """The base of every form: no text field lets a control character through."""

    class Meta:
        def bind_field(self, form, unbound_field, options):
            field_class = unbound_field.field_class
            if issubclass(field_class, StringField) and not issubclass(field_class, PasswordField):
                lines = issubclass(field_class, TextAreaField)
                clean = (lambda v: plain_text(v, lines=True)) if lines else plain_text
                options["filters"] = [clean, *unbound_field.kwargs.get("filters", ())]
            return unbound_field.bind(form=form, **options)

ACCOUNT_DIGITS = re.compile(r"^\d{4,20}$")


class AccountNumber(StringField):
    """An account-number field that keeps only digits and checks their count."""

    def process_formdata(self, valuelist):
        super().process_formdata(valuelist)
        self.raw_text = self.data
        self.data = normalize_account(self.data)

    def pre_validate(self, form):
        if not self.raw_text or not self.raw_text.strip():
            return
        if len(self.raw_text) > 40 or not ACCOUNT_DIGITS.match(self.data):
            raise StopValidation(_l("An account number is 4 to 20 digits, "
                                     "as printed on your paper bill."))

    raw_text = ""


def account_field():
    return AccountNumber(_l("Account number"), validators=[
        DataRequired(_l("Enter the account number from your paper bill."))])


LAST_CROSSING_END_DAY = 27

def email_field(label=None):
    return EmailField(label or _l("E-mail"), validators=[
        DataRequired(_l("Enter your e-mail.")),
        Length(max=254, message=_l("The e-mail is too long.")),
        email_address])


def email_address(form, field):
    if not is_email_address(field.data or ""):
        raise ValidationError(_l("This does not look like an e-mail address, e.g. name@mail.ru."))


def new_password_fields():
    new = PasswordField(_l("New password"), validators=[
        DataRequired(_l("Enter a new password.")),
        Length(min=8, max=128, message=_l("The password must be 8 to 128 characters long."))])
    confirm = PasswordField(_l("New password again"), validators=[
        DataRequired(_l("Repeat the new password.")),
        EqualTo("new_password", message=_l("The two new passwords differ."))])
    return new, confirm


class RegisterForm(Form):
    account = account_field()
    email = email_field()
    name = StringField(_l("Your name (optional)"), validators=[
        Optional(), Length(max=100, message=_l("The name must be at most 100 characters."))])
    code = StringField(_l("Registration code from the receipt"), validators=[
        Optional(), Length(max=40, message=_l("The code is too long."))])
    consent = BooleanField(_l("I agree to the processing of my personal data"), validators=[
        DataRequired(_l("Registration needs your consent to the processing of personal data."))])


class ResendActivationForm(Form):
    account = account_field()


class ConfirmLinkForm(Form):
    """The one button behind a mailed link: opening the link changes nothing, pressing this does."""


class OperatorRequestForm(Form):
    account = account_field()
    email = email_field()
    phone = StringField(_l("Phone"), validators=[
        DataRequired(_l("Leave a phone number so that the operator can call you back.")),
        Length(max=30, message=_l("The phone number is too long."))])
    text = TextAreaField(_l("Message (optional)"), validators=[
        Optional(), Length(max=1000, message=_l("The message must be at most 1000 characters."))])


class LoginForm(Form):
    account = account_field()
    password = PasswordField(_l("Password"), validators=[
        DataRequired(_l("Enter your password.")), Length(max=128)])
    remember = BooleanField(_l("Remember me on this device"))


class ForgotForm(Form):
    account = account_field()


class ProfileForm(Form):
    name = StringField(_l("Name"), validators=[
        Optional(), Length(max=100, message=_l("The name must be at most 100 characters."))])
    phone = StringField(_l("Phone"), validators=[
        Optional(), Length(max=30, message=_l("The phone number is too long.")),
        # digits with the usual separators: +7 (912) 345-67-89
        lambda form, field: _check_phone(field)])
    email = email_field()
    current_password = PasswordField(_l("Current password (only to change the e-mail)"),
                                     validators=[Optional(), Length(max=128)])


def _check_phone(field):
    if field.data and not re.fullmatch(r"[0-9+()\-\s]{5,30}", field.data):
        raise ValidationError(_l("A phone number has digits, spaces, +, - and brackets only."))


class PasswordForm(Form):
    current_password = PasswordField(_l("Current password"), validators=[
        DataRequired(_l("Enter your current password.")), Length(max=128)])
    new_password, new_password_confirm = new_password_fields()


class OfficeLoginForm(Form):
    email = email_field()
    password = PasswordField(_l("Password"), validators=[
        DataRequired(_l("Enter your password.")), Length(max=128)])


# --- the accountant's office ---------------------------------------------------------------

class ImportForm(Form):
    files = MultipleFileField(_l("Files from the billing program (CSV or XLSX)"), validators=[
        DataRequired(_l("Choose one or more files."))])


def date_in_range(form, field):
    if field.data and not FIRST_DAY <= field.data <= LAST_DAY:
        raise ValidationError(_l("Enter a date between 1990 and 2099."))


class NoticeForm(Form):
    title = StringField(_l("Title"), validators=[
        DataRequired(_l("Enter a title.")),
        Length(max=200, message=_l("The title must be at most 200 characters."))])
    body = TextAreaField(_l("Text"), validators=[
        Optional(), Length(max=3000, message=_l("The text must be at most 3000 characters."))])
    starts_on = DateField(_l("Show from"), validators=[
        DataRequired(_l("Enter the first day to show the notice.")), date_in_range])
    ends_on = DateField(_l("Show until (optional)"), validators=[Optional(), date_in_range])

    def validate_ends_on(self, field):
        if field.data and self.starts_on.data and field.data < self.starts_on.data:
            raise ValidationError(_l("The last day cannot be before the first day."))


def digits_field(label, counts, message):
    def check(form, field):
        if field.data and not any(requisites.ascii_digits(field.data, n) for n in counts):
            raise ValidationError(message)
    return StringField(label, filters=[lambda v: (v or "").strip()], validators=[check])


def day_of_month_field(label, description=""):
    return IntegerField(label, description=description, validators=[
        DataRequired(_l("Enter a day of the month from 1 to 31.")),
        NumberRange(1, 31, _l("Enter a day of the month from 1 to 31."))])


def text_field(label, limit=255):
    return StringField(label, filters=[lambda v: (v or "").strip()], validators=[
        Optional(), Length(max=limit, message=_l("The value is too long."))])


class HoaSettingsForm(Form):
    name = StringField(LABELS["name"], filters=[lambda v: (v or "").strip()], validators=[
        DataRequired(_l("Enter the HOA's name.")), Length(max=255)])
    address = text_field(LABELS["address"])
    phone = text_field(LABELS["phone"], 60)
    email = text_field(LABELS["email"])
    accountant_contact = text_field(LABELS["accountant_contact"])
    prefixes = StringField(LABELS["prefixes"],
                           filters=[lambda v: ",".join(p.strip() for p in (v or "").split(",")
                                                       if p.strip())],
                           validators=[DataRequired(_l("Enter at least one prefix."))])
    recipient = text_field(LABELS["recipient"])
    inn = digits_field(LABELS["inn"], (10, 12), _l("An INN has 10 digits (12 for an entrepreneur)."))
    kpp = digits_field(LABELS["kpp"], (9,), _l("A KPP has 9 digits."))
    bank_name = text_field(LABELS["bank_name"])
    bic = digits_field(LABELS["bic"], (9,), _l("A BIC has 9 digits."))
    settlement_account = digits_field(LABELS["settlement_account"], (20,),
                                      _l("A bank account number has 20 digits."))
    corr_account = digits_field(LABELS["corr_account"], (20,),
                                _l("A bank account number has 20 digits."))
    window_start_day = day_of_month_field(LABELS["window_start_day"])
    window_end_day = day_of_month_field(LABELS["window_end_day"], _l(
        "A closing day before the opening day means the window closes in the next month "
        "(e.g. 25 and 5: from 25 March to 5 April); its readings count for the month it "
        "opened in (March)."))
    time_zone = SelectField(LABELS["time_zone"], choices=[
        SelectChoice(zone, TIME_ZONE_LABELS[zone]) for zone in TIME_ZONES])
    pay_by_day = day_of_month_field(LABELS["pay_by_day"])
    registration_check = SelectField(LABELS["registration_check"], choices=[
        SelectChoice(check, REGISTRATION_CHECK_LABELS[check]) for check in REGISTRATION_CHECKS],
        description=_l("What a resident must give besides the account number to register. "
                       "Account numbers are printed on paper and are often consecutive: with "
                       "\"account number only\", anyone who knows or guesses a number can "
                       "register it with their own e-mail and see the owner's name, address, "
                       "debt and readings."))

    def validate_inn(self, field):
        if field.data and not field.errors and not requisites.inn_ok(field.data):
            raise ValidationError(_l("The INN's check digits do not match: check it against "
                                     "the registration papers."))

    def validate_settlement_account(self, field):
        self._check_key(field, False)

    def validate_corr_account(self, field):
        self._check_key(field, True)

    def _check_key(self, field, correspondent):
        """Runs after the length checks; a BIC with errors of its own is reported there."""
        if field.data and not field.errors and requisites.ascii_digits(self.bic.data, 9) \
                and not requisites.account_key_ok(self.bic.data, field.data, correspondent):
            raise ValidationError(_l("The account number does not match the BIC (its control "
                                     "digit is wrong): check both against the bank's details."))

    def validate_prefixes(self, field):
        if not all(p.isdigit() and len(p) <= 10 for p in field.data.split(",")):
            raise ValidationError(_l("Prefixes are digits separated by commas, e.g. 10, 11."))

    def validate_window_end_day(self, field):
        # a window into the next month must end before the next one opens, even in February
        if field.data and self.window_start_day.data and field.data < self.window_start_day.data \
                and field.data > LAST_CROSSING_END_DAY:
            raise ValidationError(_l(
                "A window that closes in the next month must close by day %(day)s, so that "
                "it ends before the next month's window opens.", day=LAST_CROSSING_END_DAY))
# --- meter readings --------------------------------------------------------------------------

READING_TEXT = re.compile(r"(\d+)(?:[.,](\d+))?")


def parse_reading(text):
    """'123,45' or '123.45' -> Decimal('123.45'); '' -> None; anything else raises ValueError
    carrying the message for the resident."""
    text = re.sub(r"[\s\u00a0]", "", text or "")
    if not text:
        return None
    if text[0] in "-\u2212" and READING_TEXT.fullmatch(text[1:]):
        raise ValueError(_l("A reading cannot be negative."))
    found = READING_TEXT.fullmatch(text)
    if not found:
        raise ValueError(_l("Enter digits only, with a decimal comma or point, e.g. 123,456."))
    if found.group(2) and len(found.group(2)) > 3:
        raise ValueError(_l("At most 3 digits after the decimal comma."))
    if len(found.group(1).lstrip("0")) > 10:
        raise ValueError(_l("The number is too large for a meter reading."))
    return Decimal(text.replace(",", "."))


class ReadingField(StringField):
    """A reading as typed; `data` becomes a Decimal (or None when left empty) once validated."""
    text = ""

    def process_formdata(self, valuelist):
        super().process_formdata(valuelist)
        self.text = (self.data or "")[:40]
        self.data = None

    def pre_validate(self, form):
        try:
            self.data = parse_reading(self.text)
        except ValueError as exc:
            raise StopValidation(str(exc.args[0])) from None

    def _value(self):
        return self.text


ZONE_LABELS = {1: _l("T1 (day)"), 2: _l("T2 (night)"), 3: _l("T3 (peak)")}


def reading_field_name(meter_id, zone):
    return f"m{meter_id}_t{zone}"


def zone_label(meter, zone):
    return ZONE_LABELS[zone] if meter.zones > 1 else _l("This month's reading")


class ReadingsForm(Form):
    """This month's readings for the meters of one account: m<id>_t<zone> per tariff zone,
    m<id>_replaced and m<id>_confirm per meter."""

    _classes = {}  # (form class, ((meter id, zones), …)) -> its class, made once a worker

    @classmethod
    def for_meters(cls, meters, **kwargs):
        key = (cls, tuple((meter.id, meter.zones) for meter in meters))
        form_class = cls._classes.get(key)
        if form_class is None:
            if len(cls._classes) > 2000:
                cls._classes.clear()
            form_class = cls._classes[key] = cls._form_class(meters)
        return form_class(**kwargs)

    @classmethod
    def _form_class(cls, meters):
        class Form(cls):
            pass
        for meter in meters:
            for zone in meter.zone_numbers:
                setattr(Form, reading_field_name(meter.id, zone),
                        ReadingField(zone_label(meter, zone), render_kw={"inputmode": "decimal",
                                                                         "autocomplete": "off"}))
            setattr(Form, f"m{meter.id}_replaced",
                    BooleanField(_l("The meter was replaced or went past its maximum")))
            setattr(Form, f"m{meter.id}_confirm", BooleanField(_l("Yes, this reading is right")))
        return Form


class OfficeReadingForm(ReadingsForm):
    """A reading an accountant enters on a resident's behalf."""
    period = StringField(_l("Month (YYYY-MM)"), validators=[
        DataRequired(_l("Enter the month, e.g. 2026-03."))])

    def validate_period(self, field):
        if parse_period((field.data or "").strip()) is None:
            raise ValidationError(_l("Enter the month as year-month, e.g. 2026-03."))


class ReadingStatusForm(Form):
    """The accountant's decision on a reading: accept it, or decline it with a reason."""
    decision = StringField()
    reason = StringField(_l("Reason (shown to the resident)"), validators=[
        Length(max=200, message=_l("The reason must be at most 200 characters."))])

    def validate_decision(self, field):
        if field.data not in ("accepted", "declined"):
            raise ValidationError(_l("Choose to accept or to decline the reading."))

    def validate_reason(self, field):
        if self.decision.data == "declined" and not (field.data or "").strip():
            raise ValidationError(_l("Write why the reading is declined."))
