#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# The main job: install what is missing, build, and run a short default fuzz
# campaign (30 s, the default of `gupcheck fuzz`) on the mainline model.
# Extra arguments go to `gupcheck fuzz`
# (e.g. --seed 7 --time 120 --variant zero-page-mixedmap-refcount).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh release
exec build/release/gupcheck fuzz "$@"
