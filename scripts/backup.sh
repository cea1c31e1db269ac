#!/usr/bin/env bash
# Dump the IMS database into var/backups/ (pg_dump's custom format, for pg_restore).
# Uses DATABASE_URL from the environment, else from .env. Prints the file written.
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ -z "${DATABASE_URL:-}" && -f .env ]]; then
  DATABASE_URL="$(grep -E '^DATABASE_URL=' .env | tail -n 1 | cut -d= -f2-)"
fi
: "${DATABASE_URL:?set DATABASE_URL (or create .env)}"
dir="${BACKUP_DIR:-var/backups}"
mkdir -p "$dir"
chmod 700 "$dir"
file="$dir/gdi_ims-$(date -u +%Y%m%dT%H%M%SZ).dump"
# The dump holds names and addresses in clear (passport numbers stay encrypted): owner-only.
umask 077
pg_dump --format=custom --no-owner --no-privileges --file="$file" "$DATABASE_URL"
echo "$file"
