#!/usr/bin/env bash
# Point-in-time recovery: a base backup plus the archived WAL give back the database as it was at
# a chosen moment, in a NEW data directory on its own port (the running primary is never touched).
#
#   scripts/pitr.sh base-backup DIR            copy the primary into DIR (pg_basebackup)
#   scripts/pitr.sh restore-point NAME         name the current moment on the primary
#   scripts/pitr.sh archive-now                close the current WAL segment and wait until it
#                                              is archived (what archive_timeout does on its own)
#   scripts/pitr.sh restore BASE ARCHIVE TARGET DIR PORT
#                                              copy BASE into DIR, replay ARCHIVE's WAL up to TARGET
#                                              (name:<restore point> or time:<timestamp with zone>),
#                                              then open it on 127.0.0.1:PORT; prints the time taken
#
# PITR_PRIMARY: libpq connection string of the primary (default: user postgres on DATABASE_URL's
# host and port). The primary archives its WAL with archive_mode = on and an archive_command
# copying each segment into the archive directory, e.g.
#   archive_command = 'test ! -f /backups/wal/%f && cp %p /backups/wal/%f'
# (archive_mode needs a restart of the primary; the README's "Standby and recovery" says when).
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ -z "${DATABASE_URL:-}" && -f .env ]]; then
  DATABASE_URL="$(grep -E '^DATABASE_URL=' .env | tail -n 1 | cut -d= -f2- || true)"
fi
read -r primary_host primary_port < <(python3 -c 'import sys, urllib.parse as u; p = u.urlsplit(sys.argv[1]); print(p.hostname or "127.0.0.1", p.port or 5432)' "${DATABASE_URL:-postgres://127.0.0.1:5432/x}")
primary="${PITR_PRIMARY:-host=$primary_host port=$primary_port user=postgres}"
bindir="$(pg_config --bindir 2>/dev/null || ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)"

as_postgres() {
  if [[ "$(id -u)" = 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}
on_primary() { "$bindir/psql" -X -q -At "$primary dbname=postgres" -v ON_ERROR_STOP=1 -c "$1"; }
absolute() { [[ "$1" = /* ]] && echo "$1" || echo "$PWD/$1"; }
owned_dir() {
  mkdir -p "$1"
  [[ "$(id -u)" = 0 ]] && chown postgres: "$1"
  chmod 700 "$1"
}

base_backup() {
  local dir
  dir="$(absolute "$1")"
  owned_dir "$dir"
  as_postgres "$bindir/pg_basebackup" -d "$primary" -D "$dir" -X stream -c fast
  echo "$dir"
}

archive_now() {
  local segment
  segment="$(on_primary "SELECT pg_walfile_name(pg_switch_wal())")"
  for _ in $(seq 600); do
    [[ "$(on_primary "SELECT coalesce(last_archived_wal >= '$segment', false) FROM pg_stat_archiver")" = t ]] && return 0
    sleep 0.1
  done
  echo "WAL segment $segment was not archived within 60 s (see the primary's log)" >&2
  exit 1
}

restore() {
  local base archive target dir port started ended
  base="$(absolute "$1")" archive="$(absolute "$2")" target="$3" dir="$(absolute "$4")" port="$5"
  [[ ! -e "$dir/PG_VERSION" ]] || { echo "$dir already holds a database" >&2; exit 1; }
  started="$(date +%s%N)"
  owned_dir "$dir"
  as_postgres cp -a "$base/." "$dir/"
  rm -f "$dir/postmaster.pid" "$dir/standby.signal"
  case "$target" in
    name:*) target_line="recovery_target_name = '${target#name:}'" ;;
    time:*) target_line="recovery_target_time = '${target#time:}'" ;;
    *) echo "TARGET is name:<restore point> or time:<timestamp>" >&2; exit 2 ;;
  esac
  as_postgres tee -a "$dir/postgresql.auto.conf" >/dev/null <<EOF
port = $port
listen_addresses = '127.0.0.1'
unix_socket_directories = '$dir'
archive_mode = off
primary_conninfo = ''
restore_command = 'cp "$archive/%f" "%p"'
$target_line
recovery_target_inclusive = false
recovery_target_action = 'promote'
EOF
  as_postgres touch "$dir/recovery.signal"
  as_postgres "$bindir/pg_ctl" -D "$dir" -l "$dir/server.log" -w -t 120 start >/dev/null
  # Recovered when it has reached the target and accepts writes.
  for _ in $(seq 1200); do
    if [[ "$("$bindir/psql" -X -At -h 127.0.0.1 -p "$port" -U postgres -d postgres \
      -c 'SELECT NOT pg_is_in_recovery()' 2>/dev/null)" = t ]]; then
      ended="$(date +%s%N)"
      echo "restored to $target on port $port in $(( (ended - started) / 1000000 )) ms"
      return 0
    fi
    sleep 0.1
  done
  echo "recovery did not finish within 120 s (see $dir/server.log)" >&2
  exit 1
}

case "${1:-}" in
  base-backup) base_backup "$2" ;;
  restore-point) on_primary "SELECT pg_create_restore_point('$2')" >/dev/null ;;
  archive-now) archive_now ;;
  restore) restore "$2" "$3" "$4" "$5" "$6" ;;
  *) echo "usage: scripts/pitr.sh base-backup|restore-point|archive-now|restore ..." >&2; exit 2 ;;
esac
