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
        # a non-Latin name before @ cannot be put in a mail header by our mail library
        Email(_l("This does not look like an e-mail address, e.g. name@mail.ru."),
              check_deliverability=False, allow_smtputf8=False)])


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
