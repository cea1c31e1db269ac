#!/usr/bin/env bash
# Restore a dump made by backup.sh into a NEW database on the same server (never over the
# live one): restore.sh FILE [DATABASE_NAME], as the owner role (DATABASE_OWNER_URL; else
# DATABASE_URL), which may create databases. Then point DATABASE_URL and DATABASE_OWNER_URL at it
# and run `make migrate`: it grants the application's role its privileges again.
set -euo pipefail
cd "$(dirname "$0")/.."
file="${1:?usage: restore.sh FILE [DATABASE_NAME]}"
target="${2:-gdi_ims_restored_$(date -u +%Y%m%d%H%M%S)}"
[[ -f "$file" ]] || { echo "no such file: $file" >&2; exit 2; }
[[ "$target" =~ ^[a-z_][a-z0-9_]*$ ]] || { echo "bad database name: $target" >&2; exit 2; }
url="${DATABASE_OWNER_URL:-${DATABASE_URL:-}}"
if [[ -z "$url" && -f .env ]]; then
  url="$(grep -E '^DATABASE_OWNER_URL=' .env | tail -n 1 | cut -d= -f2-)"
  [[ -n "$url" ]] || url="$(grep -E '^DATABASE_URL=' .env | tail -n 1 | cut -d= -f2-)"
fi
: "${url:?set DATABASE_OWNER_URL or DATABASE_URL (or create .env)}"
base="${url%%\?*}"
server="${base%/*}"
psql "$server/postgres" -v ON_ERROR_STOP=1 -q -c "CREATE DATABASE \"$target\""
pg_restore --no-owner --no-privileges --exit-on-error --dbname="$server/$target" "$file"
echo "restored into database $target ($server/$target; then make migrate there)"
