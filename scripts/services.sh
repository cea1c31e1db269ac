#!/usr/bin/env bash
# Make sure PostgreSQL and Redis answer on 127.0.0.1; start the local ones when they do not.
set -euo pipefail
if ! pg_isready -h 127.0.0.1 -p 5432 -q; then
  echo "Starting PostgreSQL"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | sort -V | tail -1)" main start
  for _ in $(seq 30); do pg_isready -h 127.0.0.1 -p 5432 -q && break; sleep 1; done
fi
if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
  echo "Starting Redis"
  mkdir -p /var/lib/redis /var/log/redis
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/ci.log
  for _ in $(seq 30); do redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 && break; sleep 1; done
fi
# The standby, when .env (or the environment) names one.
replica_url="${DATABASE_REPLICA_URL:-$( [[ -f .env ]] && grep -E '^DATABASE_REPLICA_URL=' .env | tail -n 1 | cut -d= -f2- || true)}"
if [[ -n "$replica_url" ]]; then
  echo "Starting the standby"
  DATABASE_REPLICA_URL="$replica_url" "$(dirname "$0")/standby.sh" start
fi
pg_isready -h 127.0.0.1 -p 5432
redis-cli -h 127.0.0.1 -p 6379 ping
