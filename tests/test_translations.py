"""The Russian catalogue covers every message of the code and templates."""
import re
import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
PO = ROOT / "translations" / "ru" / "LC_MESSAGES" / "messages.po"
PLACEHOLDER = re.compile(r"%\(\w+\)s")


def extracted(tmp_path):
    pot = tmp_path / "messages.pot"
    pybabel = Path(sys.executable).with_name("pybabel")
    subprocess.run([str(pybabel), "extract", "-F", "babel.cfg", "-k", "_l",
                    "--ignore-dirs=.venv bench tests docs data deploy", "-o", str(pot), "."],
                   cwd=ROOT, check=True, capture_output=True)
    with pot.open("rb") as f:
        return read_po(f)


def test_every_message_has_a_russian_translation(tmp_path):
    with PO.open("rb") as f:
        ru = read_po(f)
    missing = []
    for message in extracted(tmp_path):
        if not message.id:
            continue
        translated = ru.get(message.id)
        strings = translated.string if translated else None
        if not translated or not all(strings if isinstance(strings, tuple) else [strings]):
            missing.append(message.id)
    assert not missing, f"{len(missing)} messages without Russian: {missing[:20]}"


def test_placeholders_survive_translation():
    with PO.open("rb") as f:
        ru = read_po(f)
    wrong = []
    for message in ru:
        if not message.id or not message.string:
            continue
        source = message.id[0] if isinstance(message.id, tuple) else message.id
        targets = message.string if isinstance(message.string, tuple) else (message.string,)
        for target in targets:
            if set(PLACEHOLDER.findall(source)) - {"%(num)s"} != \
                    set(PLACEHOLDER.findall(target)) - {"%(num)s"}:
                wrong.append(source)
    assert not wrong, wrong


def test_no_message_is_listed_twice():
    ids = re.findall(r'^msgid "(.+)"$', PO.read_text(encoding="utf-8"), re.MULTILINE)
    duplicates = {i for i in ids if ids.count(i) > 1}
    assert not duplicates, duplicates
