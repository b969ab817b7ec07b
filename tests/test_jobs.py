"""The worker's periodic jobs, its start-up step for waiting letters, and the letters given up."""
import os
from datetime import datetime, timedelta

import pytest

import backup
import importer
import mailqueue
import reminders
from helpers import ResidentActions
from testdb import make_app, sqlite_only
from models import OutgoingMail, now
from uploads import PendingUpload


@pytest.mark.parametrize("url", ["sqlite:/tmp/queue.db", "sqlite:///queue.db", "amqp://host/q"])
def test_a_queue_address_of_an_unknown_kind_is_refused_by_name(tmp_path, monkeypatch, url):
    """Not taken for a file name: «sqlite:/tmp/queue.db» made a folder «sqlite:» where the app
    was started."""
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ValueError, match="QUEUE_URL .*file path.*redis://"):
        make_app(tmp_path, QUEUE_URL=url)
    assert not os.path.exists(tmp_path / (url.split(":")[0] + ":"))


def test_a_queue_file_path_is_taken_as_it_is(tmp_path):
    make_app(tmp_path, QUEUE_URL=str(tmp_path / "queues" / "q.db"), QUEUE_IMMEDIATE=False)
    assert (tmp_path / "queues").is_dir()


@sqlite_only
def test_nightly_backup_keeps_the_newest_n(tmp_path):
    folder = tmp_path / "backups"
    app = make_app(tmp_path, BACKUP_DIR=str(folder), BACKUP_KEEP=2)
    with app.app_context():
        for _ in range(3):
            backup.nightly_backup.call_local()
    assert len(list(folder.glob("domkom-*.db"))) == 2
    assert backup.nightly_backup.task_class().validate_datetime(datetime(2026, 3, 1, 3, 30))
    assert not backup.nightly_backup.task_class().validate_datetime(datetime(2026, 3, 1, 4, 30))


@sqlite_only
def test_nightly_backup_off_with_keep_zero(tmp_path):
    app = make_app(tmp_path, BACKUP_KEEP=0)
    with app.app_context():
        backup.nightly_backup.call_local()
    assert not (tmp_path / "backups").exists()


def test_stale_uploads_are_removed_hourly_fresh_ones_stay(app):
    with app.test_request_context():
        old, fresh = importer.stash([("a.csv", b"1")], 1), importer.stash([("b.csv", b"2")], 1)
        past = now() - timedelta(hours=importer.STASH_HOURS + 1)
        PendingUpload.update(created_at=past).where(PendingUpload.token == old).execute()
        importer.forget_stale_uploads.call_local()
        assert importer.unstash(old) is None
        assert importer.unstash(fresh) == [("b.csv", b"2")]


def test_reminders_run_every_morning(demo):
    assert reminders.daily_reminders.task_class().validate_datetime(datetime(2026, 3, 15, 10, 0))
    assert not reminders.daily_reminders.task_class().validate_datetime(datetime(2026, 3, 15, 11, 0))
    with demo.app_context():
        reminders.daily_reminders.call_local()  # nobody is activated: nothing to send


def old_letter(**fields):
    """A row as an older version left it for `send-queued` from cron."""
    values = dict(to="anna@example.ru", subject="Domkom", text="Письмо", html="", attempts=3,
                  last_error="451 Try again later", next_attempt_at=now() - timedelta(minutes=1))
    values.update(fields)
    return OutgoingMail.create(**values)


def test_worker_start_hands_waiting_letters_back_to_the_queue(tmp_path, smtp_server):
    app = make_app(tmp_path, MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp_server.port)
    with app.app_context():
        due = old_letter()
        later = old_letter(to="boris@example.ru", next_attempt_at=now() + timedelta(hours=1))
        mailqueue.hand_back_waiting()  # immediate mode: the due letter goes at once
        assert [m["To"] for m in smtp_server.messages] == ["anna@example.ru"]
        assert OutgoingMail.get_by_id(due.id).sent_at is not None
        assert OutgoingMail.get_by_id(later.id).sent_at is None  # its job waits for its time
        mailqueue.deliver_letter(due.id)  # a second job for a sent letter does nothing
    assert len(smtp_server.messages) == 1


def test_letter_given_up_is_listed_and_can_be_queued_again(tmp_path, smtp_server):
    app = make_app(tmp_path, MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp_server.port)
    runner = app.test_cli_runner()
    smtp_server.reply = "451 4.3.0 Try again later"
    with app.app_context():
        letter = old_letter(attempts=mailqueue.MAX_ATTEMPTS - 1)
    assert runner.invoke(args=["send-queued"]).output.strip() == \
        "sent 0, failed 1, waiting 0, given up 1 (see mail-failed)"
    output = runner.invoke(args=["mail-failed"]).output
    assert f"{letter.id}\t" in output and "anna@example.ru" in output and "451" in output
    assert output.strip().endswith("1 given up")
    smtp_server.reply = None
    result = runner.invoke(args=["mail-failed", "--retry", str(letter.id)])
    assert result.exit_code == 0 and "1 queued again" in result.output
    assert [m["To"] for m in smtp_server.messages] == ["anna@example.ru"]
    with app.app_context():
        assert OutgoingMail.get_by_id(letter.id).sent_at is not None
    assert runner.invoke(args=["mail-failed"]).output.strip() == "0 given up"
    result = runner.invoke(args=["mail-failed", "--retry", "999"])
    assert result.exit_code != 0 and "999" in result.output


def test_a_letter_that_went_out_keeps_no_password(tmp_path, smtp_server):
    import demo as demo_data
    app = make_app(tmp_path, MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp_server.port)
    with app.app_context():
        demo_data.load(echo=lambda *a: None, files=("accounts.csv",))
    smtp_server.reply = "451 4.3.0 Try again later"
    ResidentActions(app.test_client(), None).register(email="anna@example.ru")
    smtp_server.reply = None
    with app.app_context():
        [letter] = OutgoingMail.select()
        assert "/activate/" in letter.text  # kept until it goes out
        OutgoingMail.update(next_attempt_at=now()).execute()
        assert mailqueue.attempt(letter.id) == mailqueue.SENT
        assert mailqueue.attempt(letter.id) is None
        sent = OutgoingMail.get_by_id(letter.id)
    assert (sent.text, sent.html, sent.attempts) == ("", "", 2)
    assert len(smtp_server.messages) == 1
