#!/bin/sh
set -eu
if [ "$(id -u)" != 0 ]; then
  # Started as the postgres user itself (runAsUser 999): no chown, no su.
  mkdir -p "$PGDATA"
  chmod 0700 "$PGDATA"
  if [ ! -s "$PGDATA/PG_VERSION" ]; then
    pw=$(mktemp); echo "${POSTGRES_PASSWORD:?POSTGRES_PASSWORD is required}" > "$pw"
    initdb -D "$PGDATA" -U "${POSTGRES_USER:-postgres}" --pwfile="$pw" --auth-local=trust \
      --auth-host=scram-sha-256 >/dev/null
    rm -f "$pw"
    echo "host all all 0.0.0.0/0 scram-sha-256" >> "$PGDATA/pg_hba.conf"
    pg_ctl -D "$PGDATA" -o "-c listen_addresses=" -w start >/dev/null
    createdb -U "${POSTGRES_USER:-postgres}" "${POSTGRES_DB:-${POSTGRES_USER:-postgres}}" || true
    pg_ctl -D "$PGDATA" -m fast -w stop >/dev/null
  fi
  exec postgres -D "$PGDATA" -c listen_addresses='*'
fi
mkdir -p "$PGDATA" /var/run/postgresql
chown -R postgres:postgres "$PGDATA" /var/run/postgresql
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  pw=$(mktemp); echo "${POSTGRES_PASSWORD:?POSTGRES_PASSWORD is required}" > "$pw"; chown postgres "$pw"
  su postgres -c "initdb -D '$PGDATA' -U '${POSTGRES_USER:-postgres}' --pwfile='$pw' --auth-local=trust --auth-host=scram-sha-256" >/dev/null
  rm -f "$pw"
  echo "host all all 0.0.0.0/0 scram-sha-256" >> "$PGDATA/pg_hba.conf"
  su postgres -c "pg_ctl -D '$PGDATA' -o '-c listen_addresses=' -w start" >/dev/null
  su postgres -c "createdb -U '${POSTGRES_USER:-postgres}' '${POSTGRES_DB:-${POSTGRES_USER:-postgres}}'" || true
  su postgres -c "pg_ctl -D '$PGDATA' -m fast -w stop" >/dev/null
fi
exec su postgres -c "postgres -D '$PGDATA' -c listen_addresses='*'"
