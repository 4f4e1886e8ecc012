#!/usr/bin/env bash
# Build the local images the container tests use (Docker's layer cache and the wheelhouse
# stamp make a rebuild of an unchanged tree take seconds).
set -euo pipefail
cd "$(dirname "$0")/.."
bash .ci/docker.sh
bash images/build.sh
# the images of the provider tests (docker runner, and a compose cluster parsing and running a
# DAG folder with a requirements.txt), built the way users add their own requirements
# (README, "Airflow providers")
REQUIREMENTS=tests/providers/requirements.txt IMAGE_TAG="${CHORDFLOW_TEST_IMAGE_TAG:-latest}-providers" \
  bash images/build.sh runtime cluster
