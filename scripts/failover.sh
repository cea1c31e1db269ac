#!/usr/bin/env bash
# Failover: the primary is lost, the standby becomes the primary and the IMS is pointed at it.
#
#   scripts/failover.sh
#
# 1. With FAILOVER_OLD_PRIMARY_DIR set (a drill on this machine), stops that primary first, at
#    once, as a crash would; a real failover starts here with the primary already gone. Never let
#    the old primary come back as a primary: copy it again from the new one (scripts/standby.sh).
# 2. Promotes the standby (scripts/standby.sh promote, same STANDBY_PORT and STANDBY_DIR).
# 3. Points the IMS at it: DATABASE_URL and DATABASE_OWNER_URL in FAILOVER_ENV_FILE (default .env)
#    get the standby's port, DATABASE_REPLICA_URL is emptied (there is no standby any more).
#    Then restart web, worker and beat (they read the file when they start).
# Prints the time from the start of step 1 to a promoted standby accepting writes.
set -euo pipefail
cd "$(dirname "$0")/.."
env_file="${FAILOVER_ENV_FILE:-.env}"
bindir="$(pg_config --bindir 2>/dev/null || ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)"
as_postgres() {
  if [[ "$(id -u)" = 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

replica_url="$(grep -E '^DATABASE_REPLICA_URL=' "$env_file" | tail -n 1 | cut -d= -f2- || true)"
if [[ -z "${STANDBY_PORT:-}" && -n "$replica_url" ]]; then
  STANDBY_PORT="$(python3 -c 'import sys, urllib.parse as u; print(u.urlsplit(sys.argv[1]).port or "")' "$replica_url")"
fi
port="${STANDBY_PORT:-5433}"

started="$(date +%s%N)"
if [[ -n "${FAILOVER_OLD_PRIMARY_DIR:-}" ]]; then
  as_postgres "$bindir/pg_ctl" -D "$FAILOVER_OLD_PRIMARY_DIR" -m immediate -w -t 60 stop >/dev/null
fi
STANDBY_PORT="$port" scripts/standby.sh promote >/dev/null
ended="$(date +%s%N)"

python3 - "$env_file" "$port" <<'EOF'
import re, sys, urllib.parse as u

path, port = sys.argv[1], sys.argv[2]
lines = open(path).read().splitlines()
out = []
for line in lines:
    name, _, value = line.partition("=")
    if name in ("DATABASE_URL", "DATABASE_OWNER_URL") and value:
        parts = u.urlsplit(value)
        netloc = re.sub(r":\d+$", "", parts.netloc) + f":{port}"
        line = f"{name}={u.urlunsplit(parts._replace(netloc=netloc))}"
    elif name == "DATABASE_REPLICA_URL":
        line = "DATABASE_REPLICA_URL="
    out.append(line)
open(path, "w").write("\n".join(out) + "\n")
EOF
echo "failed over in $(( (ended - started) / 1000000 )) ms; $env_file now points at port $port: restart web, worker and beat"
