#!/usr/bin/env bash
# Build the chordflow images:
#   chordflow/cluster          scheduler, workers, Flower (chordflow[docker,kubernetes] + flower)
#   chordflow/runtime          one container per Python/Bash task try (non-root)
#   chordflow/movielens-fetch  chordflow/movielens-ranking  chordflow/movielens-api
#                              the movielens example DAG's task images and its ratings API
#   chordflow/redis-standin    chordflow/postgres-standin
#                              redis:7 / postgres:15 look-alikes for machines without a registry
#
#   bash images/build.sh [name ...]      (default: all of them)
#
# The Dockerfiles start FROM python:3.11-slim unless told otherwise. Here the base is
# $BASE_IMAGE when set (e.g. BASE_IMAGE=python:3.11-slim where a registry is reachable),
# else chordflow/python-base:3.11, bootstrapped from Debian by images/base/bootstrap.sh.
# Every Python dependency comes from a wheelhouse built on the host (build/wheelhouse,
# rebuilt only when the packaging metadata changes), so no image build needs the network,
# and an unchanged tree rebuilds from Docker's layer cache in seconds.
# IMAGE_TAG (default latest) sets the tag of the images built; PYTHON (default python3,
# must be a Python 3.11 like the images') builds the wheels.
# REQUIREMENTS=path/to/requirements.txt adds your DAGs' own packages to the runtime and
# cluster images (tasks run in the first, DAG files are parsed in the second), Airflow
# providers included: `apache-airflow-providers-*` lines are installed without their
# dependencies (which name Airflow itself) plus their own third-party requirements
# (images/requirements.py). Their wheels are fetched on the host, like the wheelhouse.
#   REQUIREMENTS=dags/requirements.txt IMAGE_TAG=mine bash images/build.sh runtime cluster
set -euo pipefail
cd "$(dirname "$0")/.."
TAG=${IMAGE_TAG:-latest}
ALL=(runtime cluster movielens-fetch movielens-ranking movielens-api redis-standin postgres-standin)
names=("$@")
[ ${#names[@]} -gt 0 ] || names=("${ALL[@]}")
for name in "${names[@]}"; do
  [[ " ${ALL[*]} " == *" $name "* ]] || { echo "unknown image $name (known: ${ALL[*]})" >&2; exit 2; }
done

mkdir -p build
# One build at a time per checkout: the wheelhouse and the contexts are shared.
if command -v flock >/dev/null; then
  exec 9>build/.images.lock
  flock 9
fi

if [ -z "${BASE_IMAGE:-}" ]; then
  export BASE_IMAGE_TAG=${BASE_IMAGE_TAG:-chordflow/python-base:3.11}
  bash images/base/bootstrap.sh
  BASE_IMAGE=$BASE_IMAGE_TAG
fi
echo "base image: $BASE_IMAGE"

ctx=build/images
wheels=build/wheelhouse
dist=build/dist
PYTHON=${PYTHON:-python3}
if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))'; then
  echo "the wheels must be built by Python 3.11, the images' Python: set PYTHON" >&2
  exit 1
fi
PIP=("$PYTHON" -m pip --disable-pip-version-check)
# Zip timestamps from the sources, not the clock: an unchanged tree gives a byte-identical
# chordflow wheel, so Docker's cache keeps the layer that installs it.
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-315532800}

# Build from a clean copy of the packaging files: setuptools' build/ staging area in the
# working tree can carry modules that were deleted since into the wheel.
src=$(mktemp -d "${TMPDIR:-/tmp}/chordflow-src.XXXXXX")
trap 'rm -rf "$src"' EXIT
packaging=()
for path in setup.cfg setup.py pyproject.toml MANIFEST.in README.md LICENSE cluster workers; do
  [ -e "$path" ] && packaging+=("$path")
done
tar -c --exclude=__pycache__ --exclude='*.pyc' "${packaging[@]}" | tar -x -C "$src"

# The wheelhouse: chordflow's dependencies with both extras, Flower, click for the example
# images, setuptools and wheel to build wheels offline. async-timeout is needed by redis
# on Pythons before 3.11.3 (Debian bookworm has 3.11.2); a newer host Python skips it.
extra_wheels=(flower click setuptools wheel "async-timeout>=4.0.3")
key=$( (cat setup.cfg pyproject.toml 2>/dev/null; echo "${extra_wheels[*]}"
        "$PYTHON" -c 'import platform, sys; print(sys.version_info[:2], platform.machine())'
       ) | sha256sum | cut -c1-16)
if [ ! -f "$wheels/.key-$key" ]; then
  echo "building the wheelhouse ($wheels)"
  rm -rf "$wheels.tmp"
  if ! "${PIP[@]}" wheel -q -w "$wheels.tmp" "$src[docker,kubernetes]" "${extra_wheels[@]}" \
      >build/wheelhouse.log 2>&1; then
    cat build/wheelhouse.log >&2
    exit 1
  fi
  touch "$wheels.tmp/.key-$key"
  rm -rf "$wheels" && mv "$wheels.tmp" "$wheels"
fi
# chordflow itself changes with every commit: its wheel is rebuilt each time (offline, a
# few seconds); the images install it in a small layer of its own.
rm -rf "$dist" && mkdir -p "$dist"
if ! "${PIP[@]}" wheel -q --no-deps --no-index --find-links "$wheels" -w "$dist" "$src" \
    >build/dist.log 2>&1; then
  cat build/dist.log >&2
  exit 1
fi

# The user's requirements (empty when REQUIREMENTS is unset, so the images' layers stay cached)
requirements=build/requirements
if [ -n "${REQUIREMENTS:-}" ]; then
  [ -f "$REQUIREMENTS" ] || { echo "REQUIREMENTS=$REQUIREMENTS: no such file" >&2; exit 2; }
  echo "fetching the wheels of $REQUIREMENTS"
  "$PYTHON" images/requirements.py "$REQUIREMENTS" "$requirements"
else
  rm -rf "$requirements" && mkdir -p "$requirements/providers" "$requirements/wheels"
  : >"$requirements/requirements.txt"
fi

context() {  # name, source dir: a fresh build context under build/images
  rm -rf "${ctx:?}/$1" && mkdir -p "$ctx/$1"
  cp -r "$2"/. "$ctx/$1/"
  find "$ctx/$1" \( -name __pycache__ -o -name '*.pyc' \) -prune -exec rm -rf {} +
}

link_wheels() {  # context name, wheel glob...: hard links, cheap and cache-neutral
  local into=$ctx/$1/wheelhouse; shift
  mkdir -p "$into"
  for pattern in "$@"; do
    cp -l "$wheels"/$pattern "$into/" 2>/dev/null || cp "$wheels"/$pattern "$into/"
  done
}

build() {  # name, context name
  local image=chordflow/$1:$TAG log=$ctx/$1.log started=$SECONDS
  if ! docker build --build-arg BASE_IMAGE="$BASE_IMAGE" -t "$image" "$ctx/$2" >"$log" 2>&1; then
    echo "building $image failed; last lines of $log:" >&2
    tail -40 "$log" >&2
    exit 1
  fi
  echo "built $image ($((SECONDS - started)) s)"
}

for name in "${names[@]}"; do
  case $name in
    runtime | cluster)
      context "$name" "images/$name"
      link_wheels "$name" '*.whl'
      mkdir -p "$ctx/$name/dist" && cp "$dist"/chordflow-*.whl "$ctx/$name/dist/"
      cp -r "$requirements" "$ctx/$name/requirements"
      if [ "$name" = cluster ]; then
        cp -r dagdefs "$ctx/$name/dags"
        find "$ctx/$name/dags" \( -name __pycache__ -o -name '*.pyc' \) -prune -exec rm -rf {} +
      fi
      ;;
    movielens-fetch | movielens-ranking)
      context "$name" "images/$name"
      link_wheels "$name" 'click-*.whl' 'setuptools-*.whl'
      ;;
    movielens-api)
      context "$name" "images/$name"
      ;;
    *-standin)
      context "$name" "images/standins/${name%-standin}"
      ;;
  esac
  build "$name" "$name"
done
