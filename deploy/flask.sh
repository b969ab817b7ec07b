#!/bin/sh
# Run a Domkom command with the server's settings, e.g. `deploy/flask.sh remind` (used by cron).
set -e
set -a
. /etc/domkom.env
set +a
cd "$(dirname "$0")/.."
exec .venv/bin/flask --app app "$@"
