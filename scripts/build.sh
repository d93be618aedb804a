#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Configures and builds one CMake preset (default: release) after setup.
# Usage: scripts/build.sh [release|asan|fuzz]
set -euo pipefail
cd "$(dirname "$0")/.."
preset=${1:-release}
scripts/setup.sh
cmake --preset "$preset" >/dev/null
cmake --build --preset "$preset" -j"$(nproc)"
