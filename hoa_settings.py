"""What an HOA's settings are called: the settings form shows these labels and the security log
names a changed setting and its values with the same words."""
from flask_babel import lazy_gettext as _l

LABELS = {
    "name": _l("Name"),
    "address": _l("Address"),
    "phone": _l("Phone"),
    "email": _l("E-mail"),
    "accountant_contact": _l("Accountant's contact for residents"),
    "prefixes": _l("Account number prefixes (comma-separated)"),
    "recipient": _l("Payee as in the bank"),
    "inn": _l("INN"),
    "kpp": _l("KPP"),
    "bank_name": _l("Bank"),
    "bic": _l("BIC"),
    "settlement_account": _l("Settlement account"),
    "corr_account": _l("Correspondent account"),
    "window_start_day": _l("Readings window opens on day"),
    "window_end_day": _l("Readings window closes on day"),
    "time_zone": _l("Time zone"),
    "pay_by_day": _l("Pay by day"),
    "registration_check": _l("Registration check"),
}

TIME_ZONE_LABELS = {
    "Europe/Kaliningrad": _l("Kaliningrad (MSK−1)"),
    "Europe/Moscow": _l("Moscow (MSK)"),
    "Europe/Samara": _l("Samara, Izhevsk, Saratov, Ulyanovsk (MSK+1)"),
    "Asia/Yekaterinburg": _l("Yekaterinburg, Perm, Ufa, Chelyabinsk (MSK+2)"),
    "Asia/Omsk": _l("Omsk (MSK+3)"),
    "Asia/Novosibirsk": _l("Novosibirsk, Krasnoyarsk, Barnaul, Tomsk (MSK+4)"),
    "Asia/Irkutsk": _l("Irkutsk, Ulan-Ude (MSK+5)"),
    "Asia/Yakutsk": _l("Yakutsk, Chita, Blagoveshchensk (MSK+6)"),
    "Asia/Vladivostok": _l("Vladivostok, Khabarovsk (MSK+7)"),
    "Asia/Magadan": _l("Magadan, Sakhalin (MSK+8)"),
    "Asia/Kamchatka": _l("Kamchatka, Chukotka (MSK+9)"),
}

REGISTRATION_CHECK_LABELS = {
    "auto": _l("The e-mail loaded by the accountant, otherwise the code "
               "from the receipt (recommended)"),
    "code": _l("Registration code from the receipt"),
    "email": _l("E-mail loaded by the accountant"),
    "none": _l("Account number only: not safe"),
}

# the settings whose stored value is a key of a list: its label is shown instead
VALUE_LABELS = {"registration_check": REGISTRATION_CHECK_LABELS, "time_zone": TIME_ZONE_LABELS}
