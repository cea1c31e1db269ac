#!/usr/bin/env bash
# A PostgreSQL standby streaming from the primary, on this machine.
#
#   scripts/standby.sh start     copy the primary (pg_basebackup -R) when there is no copy yet,
#                                then start the standby; nothing when it already answers
#   scripts/standby.sh status    recovery state and replay lag (seconds) of the standby
#   scripts/standby.sh promote   make the standby a primary (failover); prints the time it took
#   scripts/standby.sh stop      stop the standby (fast shutdown)
#   scripts/standby.sh remove    stop it, drop its replication slot on the primary, delete its copy
#
# STANDBY_PORT: the standby's port (default: DATABASE_REPLICA_URL's port, else 5433).
# STANDBY_DIR: its data directory (default: var/standby, git-ignored).
# STANDBY_SLOT: the physical replication slot on the primary that keeps the WAL the standby has
# not received yet (default: ims_standby): without it a busy primary recycles WAL the standby still
# needs and the standby stops. A slot of a standby that stays down keeps WAL without limit: set
# max_slot_wal_keep_size on the primary, or `remove` a standby that is not coming back.
# STANDBY_PRIMARY: libpq connection string of the primary for replication (default: user postgres
# on DATABASE_URL's host and port). The primary must accept a replication connection from it: for
# a primary on this machine whose pg_hba.conf has no replication line, `start` run as root adds
# `host replication all 127.0.0.1/32 trust` and reloads the primary's configuration (no restart).
set -euo pipefail
cd "$(dirname "$0")/.."

from_env_file() {
  [[ -f .env ]] && grep -E "^$1=" .env | tail -n 1 | cut -d= -f2- || true
}
url_part() {  # url_part URL host|port
  python3 -c 'import sys, urllib.parse as u; p = u.urlsplit(sys.argv[1]); print((p.hostname if sys.argv[2] == "host" else p.port) or "")' "$1" "$2"
}

DATABASE_URL="${DATABASE_URL:-$(from_env_file DATABASE_URL)}"
DATABASE_REPLICA_URL="${DATABASE_REPLICA_URL:-$(from_env_file DATABASE_REPLICA_URL)}"
primary_host="$(url_part "${DATABASE_URL:-postgres://127.0.0.1:5432/x}" host)"
primary_port="$(url_part "${DATABASE_URL:-postgres://127.0.0.1:5432/x}" port)"
replica_port=""
[[ -n "$DATABASE_REPLICA_URL" ]] && replica_port="$(url_part "$DATABASE_REPLICA_URL" port)"
port="${STANDBY_PORT:-${replica_port:-5433}}"
dir="${STANDBY_DIR:-var/standby}"
[[ "$dir" = /* ]] || dir="$PWD/$dir"
primary="${STANDBY_PRIMARY:-host=${primary_host:-127.0.0.1} port=${primary_port:-5432} user=postgres}"
slot="${STANDBY_SLOT:-ims_standby}"
bindir="$(pg_config --bindir 2>/dev/null || ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)"

# PostgreSQL refuses to run as root: as root, run its programs as the postgres user.
as_postgres() {
  if [[ "$(id -u)" = 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}
answers() { "$bindir/pg_isready" -q -h 127.0.0.1 -p "$port"; }
# Through the standby's own socket, as postgres (its pg_hba.conf may want a password on TCP).
psql_standby() { as_postgres "$bindir/psql" -X -q -At -h "$dir" -p "$port" -U postgres -d postgres -c "$1"; }

on_primary() { "$bindir/psql" -X -q -At "$primary dbname=postgres" -v ON_ERROR_STOP=1 -c "$1"; }

allow_replication() {
  # Only for a primary whose configuration is on this machine and that lacks a replication line.
  [[ "$(id -u)" = 0 ]] || return 0
  local hba
  hba="$("$bindir/psql" -X -At "$primary dbname=postgres" -c 'SHOW hba_file' 2>/dev/null)" || return 0
  [[ -w "$hba" ]] || return 0
  if ! grep -Eq '^[[:space:]]*host[[:space:]]+replication[[:space:]]' "$hba"; then
    printf '\n# Streaming replication to the IMS standby on this machine (scripts/standby.sh).\n' >>"$hba"
    printf 'host replication all 127.0.0.1/32 trust\n' >>"$hba"
    "$bindir/psql" -X -q -At "$primary dbname=postgres" -c 'SELECT pg_reload_conf()' >/dev/null
  fi
}

start() {
  if answers; then
    return 0
  fi
  if [[ ! -f "$dir/PG_VERSION" ]]; then
    allow_replication
    mkdir -p "$dir"
    [[ "$(id -u)" = 0 ]] && chown postgres: "$dir"
    chmod 700 "$dir"
    on_primary "SELECT pg_drop_replication_slot('$slot') FROM pg_replication_slots
      WHERE slot_name = '$slot' AND NOT active" >/dev/null
    as_postgres "$bindir/pg_basebackup" -d "$primary" -D "$dir" -R -X stream -c fast -C -S "$slot"
    # The primary's own settings may live outside its data directory (Debian's /etc/postgresql):
    # the standby gets what it needs here; postgresql.auto.conf is read last and wins.
    [[ -f "$dir/postgresql.conf" ]] || as_postgres touch "$dir/postgresql.conf"
    if [[ ! -f "$dir/pg_hba.conf" ]]; then
      printf 'local all postgres peer\nhost all all 127.0.0.1/32 scram-sha-256\n' |
        as_postgres tee "$dir/pg_hba.conf" >/dev/null
    fi
    as_postgres tee -a "$dir/postgresql.auto.conf" >/dev/null <<EOF
port = $port
listen_addresses = '127.0.0.1'
unix_socket_directories = '$dir'
hot_standby = on
hot_standby_feedback = on
archive_mode = off
ssl = off
EOF
    [[ -f "$dir/pg_ident.conf" ]] || as_postgres touch "$dir/pg_ident.conf"
  fi
  as_postgres "$bindir/pg_ctl" -D "$dir" -l "$dir/server.log" -w -t 60 start >/dev/null
}

status() {
  psql_standby "SELECT CASE WHEN pg_is_in_recovery() THEN 'standby' ELSE 'primary' END,
    CASE WHEN NOT pg_is_in_recovery() OR pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0
    ELSE round(extract(epoch FROM now() - pg_last_xact_replay_timestamp())::numeric, 3) END"
}

promote() {
  local started ended
  started="$(date +%s%N)"
  as_postgres "$bindir/pg_ctl" -D "$dir" -w -t 60 promote >/dev/null
  # Promoted when it accepts a write.
  until psql_standby "SELECT NOT pg_is_in_recovery()" | grep -q t; do sleep 0.05; done
  ended="$(date +%s%N)"
  echo "promoted in $(( (ended - started) / 1000000 )) ms"
}

stop() {
  if [[ -f "$dir/postmaster.pid" ]]; then
    as_postgres "$bindir/pg_ctl" -D "$dir" -m fast -w -t 60 stop >/dev/null
  fi
}

remove() {
  stop
  on_primary "SELECT pg_drop_replication_slot('$slot') FROM pg_replication_slots
    WHERE slot_name = '$slot' AND NOT active" >/dev/null
  rm -rf "$dir"
}

case "${1:-}" in
  start) start ;;
  status) status ;;
  promote) promote ;;
  stop) stop ;;
  remove) remove ;;
  *) echo "usage: scripts/standby.sh start|status|promote|stop|remove" >&2; exit 2 ;;
esac
