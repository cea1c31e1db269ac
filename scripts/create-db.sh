#!/usr/bin/env bash
# Create the database roles (owner, application) and the database named in DATABASE_URL, and
# hand what a superuser created before to the owner: see scripts/create-db.py.
set -euo pipefail
cd "$(dirname "$0")/.."
py=.venv/bin/python
[[ -x $py ]] || py=python
exec "$py" scripts/create-db.py
