"""Forms, one class per page; checks that need the database live in the views."""
import re

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, StringField, TextAreaField
from wtforms.validators import (
    DataRequired, Email, EqualTo, Length, Optional, StopValidation, ValidationError,
)

ACCOUNT_DIGITS = re.compile(r"^\d{4,20}$")


ACCOUNT_DECORATION = re.compile(r"(л\s*/\s*с|лс|№|n|no)|[\s.\-]", re.IGNORECASE)


def normalize_account(text):
    """'л/с № 100 001' -> '100001'; anything else but digits is left in to be refused."""
    return ACCOUNT_DECORATION.sub("", text or "")


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


def email_field(label=None):
    return EmailField(label or _l("E-mail"), validators=[
        DataRequired(_l("Enter your e-mail.")),
        Length(max=254, message=_l("The e-mail is too long.")),
        Email(_l("This does not look like an e-mail address, e.g. name@mail.ru."),
              check_deliverability=False)])


def new_password_fields():
    new = PasswordField(_l("New password"), validators=[
        DataRequired(_l("Enter a new password.")),
        Length(min=8, max=128, message=_l("The password must be 8 to 128 characters long."))])
    confirm = PasswordField(_l("New password again"), validators=[
        DataRequired(_l("Repeat the new password.")),
        EqualTo("new_password", message=_l("The two new passwords differ."))])
    return new, confirm


class RegisterForm(FlaskForm):
    account = account_field()
    email = email_field()
    name = StringField(_l("Your name (optional)"), validators=[
        Optional(), Length(max=100, message=_l("The name must be at most 100 characters."))])
    code = StringField(_l("Registration code from the receipt"), validators=[
        Optional(), Length(max=40, message=_l("The code is too long."))])
    consent = BooleanField(_l("I agree to the processing of my personal data"), validators=[
        DataRequired(_l("Registration needs your consent to the processing of personal data."))])


class ResendActivationForm(FlaskForm):
    account = account_field()


class OperatorRequestForm(FlaskForm):
    account = account_field()
    email = email_field()
    phone = StringField(_l("Phone"), validators=[
        DataRequired(_l("Leave a phone number so that the operator can call you back.")),
        Length(max=30, message=_l("The phone number is too long."))])
    text = TextAreaField(_l("Message (optional)"), validators=[
        Optional(), Length(max=1000, message=_l("The message must be at most 1000 characters."))])


class LoginForm(FlaskForm):
    account = account_field()
    password = PasswordField(_l("Password"), validators=[
        DataRequired(_l("Enter your password.")), Length(max=128)])
    remember = BooleanField(_l("Remember me on this device"))


class ForgotForm(FlaskForm):
    account = account_field()


class ProfileForm(FlaskForm):
    name = StringField(_l("Name"), validators=[
        Optional(), Length(max=100, message=_l("The name must be at most 100 characters."))])
    phone = StringField(_l("Phone"), validators=[
        Optional(), Length(max=30, message=_l("The phone number is too long.")),
        # digits with the usual separators: +7 (912) 345-67-89
        lambda form, field: _check_phone(field)])
    email = email_field()


def _check_phone(field):
    if field.data and not re.fullmatch(r"[0-9+()\-\s]{5,30}", field.data):
        raise ValidationError(_l("A phone number has digits, spaces, +, - and brackets only."))


class PasswordForm(FlaskForm):
    current_password = PasswordField(_l("Current password"), validators=[
        DataRequired(_l("Enter your current password.")), Length(max=128)])
    new_password, new_password_confirm = new_password_fields()


class OfficeLoginForm(FlaskForm):
    email = email_field()
    password = PasswordField(_l("Password"), validators=[
        DataRequired(_l("Enter your password.")), Length(max=128)])


# --- meter readings --------------------------------------------------------------------------

READING_TEXT = re.compile(r"(\d+)(?:[.,](\d+))?")


def parse_reading(text):
    """'123,45' or '123.45' -> Decimal('123.45'); '' -> None; anything else raises ValueError
    carrying the message for the resident."""
    from decimal import Decimal
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


class ReadingsForm(FlaskForm):
    """This month's readings for the meters of one account: m<id>_t<zone> per tariff zone,
    m<id>_replaced and m<id>_confirm per meter."""

    @classmethod
    def for_meters(cls, meters, **kwargs):
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
        return Form(**kwargs)


class OfficeReadingForm(ReadingsForm):
    """A reading an accountant enters on a resident's behalf."""
    period = StringField(_l("Month (YYYY-MM)"), validators=[
        DataRequired(_l("Enter the month, e.g. 2026-03."))])

    def validate_period(self, field):
        from models import parse_period
        if parse_period((field.data or "").strip()) is None:
            raise ValidationError(_l("Enter the month as year-month, e.g. 2026-03."))


class ReadingStatusForm(FlaskForm):
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
