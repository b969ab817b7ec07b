"""Words that come from data: units in the page's language, web addresses in a notice made
into links, text cleaned of control characters wherever it enters (forms and imports), and
text made safe for a spreadsheet's cell (the exports)."""
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


# a formula starts a cell, or a piece of one that a reader splitting on ',' or ';' makes
# (a leading tab or line break also makes some programs read on as a formula)
FORMULA = re.compile(r"(^|[,;])([ \t]*)([=+\-@][^,;]*)|^(?=[\t\r])")
# a number as a spreadsheet reads it (-3, +7, -12.5): a value, not a formula
PLAIN_NUMBER = re.compile(r"[+-]?\d+(?:\.\d+)?")


def formula_guard(match):
    start, space, piece = match.groups()
    if piece is None:
        return "'"
    if PLAIN_NUMBER.fullmatch(piece.rstrip()):
        return match.group(0)
    return f"{start}{space}'{piece}"


def safe_cell(text):
    """Text a spreadsheet shows as typed: no control or bidi characters but line breaks and
    tabs, and an apostrophe before =, +, -, @ at the start or after a separator, where it
    would begin a formula (not before a plain number such as -3)."""
    return FORMULA.sub(formula_guard, plain_text("" if text is None else str(text), lines=True))


def looks_like_formula(text):
    return isinstance(text, str) and safe_cell(text) != plain_text(text, lines=True)
