#!/usr/bin/env bash
# Make a Docker engine available (Debian's docker.io), started in the background when
# no init system runs it. Idempotent.
set -euo pipefail
if docker info >/dev/null 2>&1; then
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
if ! command -v dockerd >/dev/null; then
  apt-get update -qq
  apt-get install -y -qq docker.io >/dev/null
fi
if ! pgrep -x dockerd >/dev/null; then
  driver=overlay2
  mkdir -p /var/lib/docker
  nohup dockerd --storage-driver="$driver" >/var/log/dockerd.log 2>&1 &
fi
for _ in $(seq 1 60); do
  docker info >/dev/null 2>&1 && exit 0
  sleep 1
done
echo "dockerd did not start; see /var/log/dockerd.log:" >&2
tail -20 /var/log/dockerd.log >&2
exit 1
