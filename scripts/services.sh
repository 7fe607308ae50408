#!/usr/bin/env bash
# Start the PostgreSQL and Redis servers the test suite needs, when they are not already up.
# Installs them, and the tools the suite drives (Chromium, wrk, systemd-analyze), from
# Debian's packages on a machine that lacks them.
set -euo pipefail

need_apt_update=1
apt_install() {
  if [ "$need_apt_update" = 1 ]; then apt-get update -qq; need_apt_update=0; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

if ! pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; then
  if ! command -v pg_ctlcluster >/dev/null 2>&1; then
    apt_install postgresql
    version=$(ls /etc/postgresql | sort -V | tail -1)
    # Trust local TCP connections, as on the project's machines: the suite connects as postgres.
    sed -i 's/^\(host\s\+all\s\+all\s\+127.0.0.1\/32\s\+\)\S\+/\1trust/' "/etc/postgresql/$version/main/pg_hba.conf"
  fi
  version=$(ls /etc/postgresql | sort -V | tail -1)
  pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
  for _ in $(seq 1 30); do pg_isready -h 127.0.0.1 -p 5432 -q && break; sleep 1; done
fi
pg_isready -h 127.0.0.1 -p 5432 -q || { echo "PostgreSQL did not start" >&2; exit 1; }

if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
  command -v redis-server >/dev/null 2>&1 || apt_install redis-server
  mkdir -p /var/lib/redis /var/log/redis
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/ci.log
  for _ in $(seq 1 30); do redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 && break; sleep 0.5; done
fi
redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null || { echo "Redis did not start" >&2; exit 1; }

if [ ! -x /usr/bin/chromium ]; then
  apt_install chromium
fi
# The benchmark's closed-loop load generator (scripts/bench.py, and its smoke test).
command -v wrk >/dev/null 2>&1 || apt_install wrk
# `systemd-analyze verify` checks deploy/systemd/'s units (tests/deploy).
command -v systemd-analyze >/dev/null 2>&1 || apt_install systemd
echo "services: PostgreSQL, Redis, Chromium, wrk and systemd-analyze are ready"
