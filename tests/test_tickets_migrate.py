"""The requests' schema step: a database of the version before gets the tables and indexes,
and a second run changes nothing."""

import migrate
from testdb import make_app, sqlite_only, step_back
from models import db

TABLES = {"ticketsettings", "ticket", "ticketevent", "ticketattachment"}


@sqlite_only
def test_version_9_gets_the_tables_of_requests(tmp_path):
    make_app(tmp_path)
    step_back(tmp_path, 9, *(f"DROP TABLE {table}" for table in (
        "ticketattachment", "ticketevent", "ticket", "ticketsettings")))
    app = make_app(tmp_path)
    with app.app_context():
        assert migrate.current_version() == migrate.LATEST
        assert TABLES <= set(db.get_tables())
        indexes = {index.name for index in db.get_indexes("ticket")}
        assert {"ticket_hoa_id_status_deadline", "ticket_hoa_id_created_at"} <= indexes
        migrate.to_10(None)  # a second run changes nothing
        assert {index.name for index in db.get_indexes("ticket")} == indexes
