#!/usr/bin/env bash
# Build every chordflow image. The Dockerfiles default to python:3.11-slim; with no
# registry reachable, a local Debian base is bootstrapped and passed in instead
# (set BASE_IMAGE to use another). Dependencies come from a wheelhouse built on the
# host, so no image build touches the network.
set -euo pipefail
cd "$(dirname "$0")/.."
BASE_IMAGE=${BASE_IMAGE:-}
if [ -z "$BASE_IMAGE" ]; then
  if docker image inspect python:3.11-slim >/dev/null 2>&1; then
    BASE_IMAGE=python:3.11-slim
  else
    bash images/base/bootstrap.sh
    BASE_IMAGE=chordflow/python-base:3.11
  fi
fi
ctx=build/images
wheels=build/wheelhouse
stamp=$(cat setup.cfg pyproject.toml | sha256sum | cut -c1-16)
if [ ! -f "$wheels/.stamp-$stamp" ]; then
  rm -rf "$wheels" && mkdir -p "$wheels"
  # async-timeout: redis needs it on Pythons before 3.11.3, such as Debian bookworm's.
  python3 -m pip wheel -q -w "$wheels" ".[docker,kubernetes]" flower async-timeout
  touch "$wheels/.stamp-$stamp"
fi
# chordflow itself changes with every commit: rebuild just its wheel.
rm -f "$wheels"/chordflow-*.whl
python3 -m pip wheel -q --no-deps -w "$wheels" .

build() {  # name, dockerfile dir, extra context copies...
  local name=$1 dir=$2
  rm -rf "$ctx/$name" && mkdir -p "$ctx/$name"
  cp -r "$dir"/. "$ctx/$name/"
  cp -rl "$wheels" "$ctx/$name/wheelhouse" 2>/dev/null || cp -r "$wheels" "$ctx/$name/wheelhouse"
  if [ "$name" = cluster ]; then cp -r dagdefs "$ctx/$name/dags"; fi
  docker build -q --build-arg BASE_IMAGE="$BASE_IMAGE" -t "chordflow/$name:latest" "$ctx/$name" >/dev/null
  echo "built chordflow/$name:latest"
}
build runtime images/runtime
build cluster images/cluster
# Stand-ins for redis:7 and postgres:15 where no registry can be reached (compose test).
for standin in redis postgres; do
  if ! docker image inspect "chordflow/$standin-standin:latest" >/dev/null 2>&1; then
    docker build -q --build-arg BASE_IMAGE="$BASE_IMAGE" -t "chordflow/$standin-standin:latest" \
      "images/standins/$standin" >/dev/null
    echo "built chordflow/$standin-standin:latest"
  fi
done
for extra in images/movielens-*/; do
  [ -f "$extra/Dockerfile" ] || continue
  build "$(basename "$extra")" "$extra"
done
