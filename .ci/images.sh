#!/usr/bin/env bash
# Build the local images the container tests use (cached by Docker between runs).
set -euo pipefail
cd "$(dirname "$0")/.."
bash images/build.sh
