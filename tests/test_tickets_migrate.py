"""The requests' schema step: a database of the version before gets the tables and indexes,
and a second run changes nothing."""
import sqlite3

import migrate
from conftest import make_app, sqlite_only
from models import db

TABLES = {"ticketsettings", "ticket", "ticketevent", "ticketattachment"}


@sqlite_only
def test_version_6_gets_the_tables_of_requests(tmp_path):
    path = tmp_path / "domkom.db"
    make_app(tmp_path)
    db.close()
    con = sqlite3.connect(path)
    with con:
        for table in ("ticketattachment", "ticketevent", "ticket", "ticketsettings"):
            con.execute(f"DROP TABLE {table}")
        con.execute("UPDATE setting SET value = '9' WHERE key = 'schema_version'")
    con.close()
    app = make_app(tmp_path)
    with app.app_context():
        assert migrate.current_version() == migrate.LATEST
        assert TABLES <= set(db.get_tables())
        indexes = {index.name for index in db.get_indexes("ticket")}
        assert {"ticket_hoa_id_status_deadline", "ticket_hoa_id_created_at"} <= indexes
        migrate.to_10(None)  # a second run changes nothing
        assert {index.name for index in db.get_indexes("ticket")} == indexes
