#!/usr/bin/env bash
# Build the local images the container tests use (Docker's layer cache and the wheelhouse
# stamp make a rebuild of an unchanged tree take seconds).
set -euo pipefail
cd "$(dirname "$0")/.."
bash .ci/docker.sh
bash images/build.sh
