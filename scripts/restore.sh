#!/usr/bin/env bash
# Restore a dump made by backup.sh into a NEW database on the same server (never over the
# live one): restore.sh FILE [DATABASE_NAME]. Then point DATABASE_URL at it.
set -euo pipefail
cd "$(dirname "$0")/.."
file="${1:?usage: restore.sh FILE [DATABASE_NAME]}"
target="${2:-gdi_ims_restored_$(date -u +%Y%m%d%H%M%S)}"
[[ -f "$file" ]] || { echo "no such file: $file" >&2; exit 2; }
[[ "$target" =~ ^[a-z_][a-z0-9_]*$ ]] || { echo "bad database name: $target" >&2; exit 2; }
if [[ -z "${DATABASE_URL:-}" && -f .env ]]; then
  DATABASE_URL="$(grep -E '^DATABASE_URL=' .env | tail -n 1 | cut -d= -f2-)"
fi
: "${DATABASE_URL:?set DATABASE_URL (or create .env)}"
base="${DATABASE_URL%%\?*}"
server="${base%/*}"
psql "$server/postgres" -v ON_ERROR_STOP=1 -q -c "CREATE DATABASE \"$target\""
pg_restore --no-owner --no-privileges --exit-on-error --dbname="$server/$target" "$file"
echo "restored into database $target (DATABASE_URL=$server/$target)"
