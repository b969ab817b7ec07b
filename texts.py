"""Words that come from data, written for the page: units in the page's language, and web
addresses in a notice made into links."""
import re

from flask_babel import get_locale
from markupsafe import Markup, escape

# units as the billing program and the meters write them; an English page shows them in English
ENGLISH_UNITS = {"м³": "m³", "м2": "m²", "м²": "m²", "м3": "m³", "кВт·ч": "kWh", "кВт*ч": "kWh",
                 "кВтч": "kWh", "Гкал": "Gcal", "чел.": "pers.", "чел": "pers.", "шт.": "pcs."}
# only http and https: a notice must not carry javascript: or data: links
WEB_ADDRESS = re.compile(r"\bhttps?://[^\s<>\"'«»]+", re.IGNORECASE)
TRAILING = ".,;:!?»"
LINK = Markup('<a href="{0}" rel="noopener noreferrer" target="_blank">{0}</a>')


def unit_text(unit):
    """«м³» on a Russian page, «m³» on an English one; an unknown unit as written."""
    unit = unit or ""
    if str(get_locale()) != "en":
        return unit
    return ENGLISH_UNITS.get(unit.strip(), unit)


def link_web_addresses(text):
    """The text escaped, its http(s) addresses made links; a closing punctuation mark or an
    unmatched bracket after an address stays text."""
    text = text or ""
    parts, position = [], 0
    for match in WEB_ADDRESS.finditer(text):
        address = match.group(0).rstrip(TRAILING)
        while address.endswith(")") and address.count(")") > address.count("("):
            address = address[:-1].rstrip(TRAILING)
        parts.append(escape(text[position:match.start()]))
        parts.append(LINK.format(address))
        position = match.start() + len(address)
    parts.append(escape(text[position:]))
    return Markup("").join(parts)


def install(app):
    app.jinja_env.filters.update(unit=unit_text, links=link_web_addresses)
