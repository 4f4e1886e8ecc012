#!/usr/bin/env bash
# Build the local stand-in for python:3.11-slim when no registry can be reached:
# a Debian bookworm root made with debootstrap, imported into Docker, plus a venv at
# /opt/venv first on PATH (so Dockerfiles can `pip install` as on python:3.11-slim).
# Skips the work when the image already exists.
set -euo pipefail
IMAGE=${BASE_IMAGE_TAG:-chordflow/python-base:3.11}
if docker image inspect "$IMAGE" >/dev/null 2>&1; then
  echo "base image $IMAGE exists"
  exit 0
fi
command -v debootstrap >/dev/null || { apt-get update -qq && apt-get install -y -qq debootstrap >/dev/null; }
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
debootstrap --variant=minbase --include=python3,python3-venv,ca-certificates bookworm "$root" "$MIRROR" >/dev/null
chroot "$root" python3 -m venv /opt/venv
ln -sf /usr/bin/python3 "$root/usr/bin/python"
rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
tar -C "$root" -c . | docker import \
  --change 'ENV PATH=/opt/venv/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'ENV LANG=C.UTF-8' \
  --change 'CMD ["python3"]' - "$IMAGE" >/dev/null
echo "built base image $IMAGE"
