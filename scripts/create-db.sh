#!/usr/bin/env bash
# Create the database named in DATABASE_URL (from .env) when it does not exist yet.
set -euo pipefail
url=$(.venv/bin/python -c 'import environ; e = environ.Env(); environ.Env.read_env(".env"); print(e.str("DATABASE_URL", default="postgres://postgres@127.0.0.1:5432/gdi_ims"))')
name=${url##*/}
base=${url%/*}
if ! psql "$base/postgres" -tAc "SELECT 1 FROM pg_database WHERE datname = '$name'" | grep -q 1; then
  echo "Creating database $name"
  psql "$base/postgres" -qc "CREATE DATABASE \"$name\""
fi
