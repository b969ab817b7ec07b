"""Words that come from data: units in the page's language, web addresses in a notice made
into links, and text cleaned of control characters wherever it enters (forms and imports)."""
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


# Control characters: NUL is refused by PostgreSQL, the others hide or reorder text on a
# screen, a receipt or in a spreadsheet (U+202E shows «gpj.exe» as «exe.jpg»).
BIDI_CONTROLS = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069" \
    "\u2028\u2029\ufeff"
_CONTROLS = {c: None for c in [*range(0x20), *range(0x7f, 0xa0), *map(ord, BIDI_CONTROLS)]}
_CONTROLS_BUT_LINES = {c: v for c, v in _CONTROLS.items() if chr(c) not in "\t\n\r"}


def plain_text(text, lines=False):
    """Text without control characters; `lines` keeps line breaks and tabs."""
    if text.__class__ is not str:
        return text
    return text.translate(_CONTROLS_BUT_LINES if lines else _CONTROLS)
