"""The fields with a fixed set of values say which, and nothing else gets in."""
import pytest

from hoa_settings import REGISTRATION_CHECK_LABELS
from meter_models import READING_SOURCES, READING_STATUSES, REMINDER_KINDS, Reading, ReminderSent
from models import REGISTRATION_CHECKS, Hoa
from readings import save_checks
from reminders import remind


def values(field):
    return tuple(value for value, _label in field.choices)


def test_each_field_lists_its_values():
    assert values(Hoa.registration_check) == REGISTRATION_CHECKS == tuple(REGISTRATION_CHECK_LABELS)
    assert values(Reading.source) == READING_SOURCES
    assert values(Reading.status) == READING_STATUSES
    assert values(ReminderSent.kind) == REMINDER_KINDS


def test_an_unknown_reading_source_or_reminder_kind_is_refused(demo):
    with demo.test_request_context():
        before = Reading.select().count(), ReminderSent.select().count()
        with pytest.raises(ValueError):
            save_checks([], None, source="telegram")
        with pytest.raises(ValueError):
            remind(None, "birthday", None)
        assert (Reading.select().count(), ReminderSent.select().count()) == before
