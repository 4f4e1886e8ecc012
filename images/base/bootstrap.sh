#!/usr/bin/env bash
# Build chordflow/python-base:3.11, a local stand-in for python:3.11-slim for machines
# that cannot pull from a registry: a Debian bookworm root made by debootstrap (python3,
# python3-venv, ca-certificates) imported into Docker, with `python` and `pip` from a venv
# at /opt/venv first on PATH, so Dockerfiles can `pip install` as on python:3.11-slim
# (Debian marks its own Python "externally managed").
#
# Skips the work when the image exists and was made by this version of the script (the
# image carries a hash of it as a label). Needs root. Environment:
#   BASE_IMAGE_TAG  tag to create (default chordflow/python-base:3.11)
#   DEBIAN_MIRROR   apt mirror (default http://deb.debian.org/debian)
set -euo pipefail
IMAGE=${BASE_IMAGE_TAG:-chordflow/python-base:3.11}
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
LABEL=org.chordflow.base-recipe
recipe=$(sha256sum "$0" | cut -c1-16)

if [ "$(docker image inspect -f "{{index .Config.Labels \"$LABEL\"}}" "$IMAGE" 2>/dev/null)" = "$recipe" ]; then
  echo "base image $IMAGE is up to date"
  exit 0
fi
if ! command -v debootstrap >/dev/null; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null
fi

root=$(mktemp -d "${TMPDIR:-/tmp}/chordflow-base.XXXXXX")
trap 'rm -rf "$root"' EXIT
echo "debootstrapping Debian bookworm into $root"
debootstrap --variant=minbase --include=python3,python3-venv,ca-certificates \
  bookworm "$root" "$MIRROR" >"$root.log" 2>&1 || { tail -20 "$root.log" >&2; exit 1; }
rm -f "$root.log"

# Keep later apt installs slim the way debian:bookworm-slim does, and drop what is there.
cat >"$root/etc/dpkg/dpkg.cfg.d/docker-slim" <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-exclude /usr/share/lintian/*
EOF
find "$root/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete
find "$root/usr/share/doc" -mindepth 1 -type d -empty -delete
rm -rf "$root"/usr/share/{man,info,locale,lintian}/* \
  "$root"/var/cache/apt/archives/*.deb "$root"/var/cache/apt/*.bin "$root"/var/lib/apt/lists/* \
  "$root"/var/log/*.log "$root"/var/log/apt/*

chroot "$root" /usr/bin/python3 -m venv /opt/venv
find "$root/opt/venv" -name __pycache__ -type d -prune -exec rm -rf {} +
ln -sf python3 "$root/usr/bin/python"

tar -C "$root" --numeric-owner -c . | docker import \
  --change "LABEL $LABEL=$recipe" \
  --change 'ENV PATH=/opt/venv/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'ENV VIRTUAL_ENV=/opt/venv' \
  --change 'ENV LANG=C.UTF-8' \
  --change 'CMD ["python3"]' - "$IMAGE" >/dev/null
echo "built base image $IMAGE"
