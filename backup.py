"""Consistent copies of the SQLite database while the site serves: nightly by the worker, or
`flask backup DIR`."""
import logging
import os
import sqlite3
from datetime import datetime
from pathlib import Path

import click
from flask import Blueprint, current_app
from huey import crontab

import jobs

bp = Blueprint("backup", __name__, cli_group=None)
log = logging.getLogger("domkom.backup")
PATTERN = "domkom-*.db"


def backup_database(source, folder, keep=None):
    """Copy `source` into `folder` with SQLite's online backup; returns the new file's path.

    The copy is one consistent moment of the database even while workers write to it
    (WAL: writers are not blocked). It is written under a temporary name, checked, and
    only then given its final name, so a half-written file never looks like a backup.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    target = folder / f"domkom-{datetime.now():%Y%m%d-%H%M%S-%f}.db"
    partial = target.with_suffix(".part")
    src = sqlite3.connect(source, timeout=30)
    try:
        dst = sqlite3.connect(partial)
        try:
            src.backup(dst)
            verdict = dst.execute("PRAGMA integrity_check").fetchone()[0]
            dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file to copy away
        finally:
            dst.close()
    finally:
        src.close()
    if verdict != "ok":
        partial.unlink()
        raise click.ClickException(f"the copy failed its integrity check: {verdict}")
    os.chmod(partial, 0o600)  # it holds residents' personal data
    with open(partial, "rb") as f:
        os.fsync(f.fileno())
    os.replace(partial, target)
    if keep:
        prune(folder, keep)
    return target


def prune(folder, keep):
    """Keep the newest `keep` backups in `folder`; older ones are deleted."""
    backups = sorted(Path(folder).glob(PATTERN))
    for old in backups[:-keep] if keep > 0 else []:
        old.unlink()


def default_folder(config):
    """BACKUP_DIR, or backups/ beside the SQLite database."""
    return config["BACKUP_DIR"] or os.path.join(os.path.dirname(config["DATABASE"]), "backups")


@jobs.periodic(crontab(hour="3", minute="30"))
def nightly_backup():
    """At 03:30 a copy into BACKUP_DIR, keeping BACKUP_KEEP; on PostgreSQL pg_dump does it.
    A run cut short leaves only a .part file, which the next one does not count."""
    config = current_app.config
    if not config["BACKUP_KEEP"] or "://" in config["DATABASE"]:
        return
    target = backup_database(config["DATABASE"], default_folder(config), config["BACKUP_KEEP"])
    log.info("nightly backup %s (%s bytes)", target, target.stat().st_size)


@bp.cli.command("backup")
@click.argument("folder", type=click.Path(file_okay=False))
@click.option("--keep", type=click.IntRange(min=1), default=14, show_default=True,
              help="How many of the newest backups to keep in FOLDER.")
def backup_command(folder, keep):
    """Copy the database into FOLDER while the site keeps serving (safe to run from cron)."""
    source = current_app.config["DATABASE"]
    if "://" in source:
        raise click.ClickException("backup copies SQLite databases; use pg_dump for PostgreSQL")
    if not Path(source).exists():
        raise click.ClickException(f"no database at {source}")
    target = backup_database(source, folder, keep)
    click.echo(f"{target} ({target.stat().st_size} bytes)")
