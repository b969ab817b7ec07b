"""The one rule for an e-mail address, kept by the forms and the import alike."""
from email_validator import EmailNotValidError, validate_email


def is_email_address(text):
    """True for an address our mail can reach. The domain may be Cyrillic (anna@пример.рф is
    sent as anna@xn--e1afmkfd.xn--p1ai); the name before @ must be Latin, since Flask-Mail
    does not speak SMTPUTF8 and would put an unusable encoded word in the envelope."""
    try:
        validate_email(text, check_deliverability=False, allow_smtputf8=False)
    except EmailNotValidError:
        return False
    return True
