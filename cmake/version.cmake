# SPDX-License-Identifier: GPL-2.0-only
# Writes OUT (gupcheck_version.h) with `git describe` of SRC, or FALLBACK
# when SRC is not a git checkout (a release tarball). Run at every build by
# the gupcheck_version target; the file is rewritten only when the version
# changed, so an unchanged tree recompiles nothing.
execute_process(COMMAND git -C "${SRC}" describe --tags --always --dirty
                OUTPUT_VARIABLE v RESULT_VARIABLE rc ERROR_QUIET OUTPUT_STRIP_TRAILING_WHITESPACE)
if(NOT rc EQUAL 0 OR v STREQUAL "")
  set(v "${FALLBACK}")
elseif(v MATCHES "^[0-9a-f]+(-dirty)?$")
  set(v "${FALLBACK}-g${v}")  # no tag yet: the project version and the commit
endif()
set(text "#pragma once\n#define GUPCHECK_VERSION \"${v}\"\n")
if(EXISTS "${OUT}")
  file(READ "${OUT}" old)
endif()
if(NOT old STREQUAL text)
  file(WRITE "${OUT}" "${text}")
endif()
