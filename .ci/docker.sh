#!/usr/bin/env bash
# Make a Docker engine and docker-compose available on a Debian machine without an init
# system: install Debian's docker.io when dockerd is missing, start dockerd in the
# background and wait until it answers. Idempotent: does nothing when `docker info` works.
# DOCKERD_STORAGE_DRIVER forces a storage driver (default: overlay2, then vfs).
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
LOG=${DOCKERD_LOG:-/var/log/dockerd.log}
WAIT=${DOCKERD_WAIT:-60}

apt_updated=
apt_install() {
  if [ -z "$apt_updated" ]; then apt-get update -qq; apt_updated=1; fi
  apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

# docker-compose 1.29 (Debian) for the compose file; Compose v2 works too when present.
if ! command -v docker-compose >/dev/null && ! docker compose version >/dev/null 2>&1; then
  apt_install docker-compose
fi

if docker info >/dev/null 2>&1; then
  exit 0
fi
if ! command -v dockerd >/dev/null; then
  apt_install docker.io
fi

wait_for_engine() {  # pid: true once `docker info` answers, false if dockerd died or timed out
  for _ in $(seq 1 "$WAIT"); do
    docker info >/dev/null 2>&1 && return 0
    kill -0 "$1" 2>/dev/null || return 1
    sleep 1
  done
  return 1
}

dockerd_pid=
start_dockerd() {  # storage driver
  mkdir -p /var/lib/docker
  echo "starting dockerd (storage driver $1, log $LOG)" >&2
  nohup dockerd --storage-driver="$1" --exec-opt native.cgroupdriver=cgroupfs \
    >>"$LOG" 2>&1 </dev/null &
  dockerd_pid=$!
  wait_for_engine "$dockerd_pid"
}

if pid=$(pgrep -x -o dockerd); then
  # Started by someone else and still coming up.
  wait_for_engine "$pid" && exit 0
  echo "dockerd (pid $pid) runs but does not answer after ${WAIT}s; see $LOG" >&2
  exit 1
fi

drivers=${DOCKERD_STORAGE_DRIVER:-overlay2 vfs}
for driver in $drivers; do
  if start_dockerd "$driver"; then
    [ "$driver" = overlay2 ] || echo "dockerd runs with the $driver storage driver (slower, more disk)" >&2
    exit 0
  fi
  if kill "$dockerd_pid" 2>/dev/null; then
    for _ in $(seq 1 20); do kill -0 "$dockerd_pid" 2>/dev/null || break; sleep 0.5; done
  fi
  echo "dockerd did not come up with storage driver $driver" >&2
done
echo "no Docker engine after ${WAIT}s per attempt; last lines of $LOG:" >&2
tail -20 "$LOG" >&2
exit 1
