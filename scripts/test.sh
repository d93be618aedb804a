#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Install what is missing, build, and pass the tests: the unit and property
# tests under ASan+UBSan first, the libFuzzer smoke run, then the whole suite on
# the release build.
# The output ends with CTest's summary.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh asan
(cd build/asan && ctest -L 'unit|property' --output-on-failure -j"$(nproc)")
scripts/build.sh release
# The libFuzzer targets (clang): they must build and run (fuzz/smoke.sh: mainline
# clean for 20 s, a variant caught within seconds, the parsers clean for 10 s).
scripts/build.sh fuzz
fuzz/smoke.sh
cd build/release
# The gate: mainline must hold and every historical variant must be caught
# by its manifest invariant (about a minute; JUnit and JSON beside the build).
./gupcheck gate --budget 45 --mainline-budget 30 --junit gate-junit.xml --json gate.json
exec ctest --output-on-failure -j"$(nproc)" -LE mutate
