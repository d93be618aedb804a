# SPDX-License-Identifier: GPL-2.0-only
# Sourced by the test scripts that run Python: they use Debian's interpreter,
# where scripts/setup.sh installs python3-jsonschema and python3-yaml (a
# python3 earlier on PATH, e.g. pyenv's, may lack them).
if [ -x /usr/bin/python3 ]; then python3() { /usr/bin/python3 "$@"; }; fi
