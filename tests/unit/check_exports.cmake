# SPDX-License-Identifier: Apache-2.0
# The dynamic symbols libcsulcca.so defines are exactly the names of
# exported-symbols.txt (generated from csu/verb_table.def): no internal
# symbol leaks, no verb or _32 alias goes missing.
#
#   cmake -DNM=nm -DLIB=libcsulcca.so -DEXPECTED=exported-symbols.txt -P check_exports.cmake
foreach(var NM LIB EXPECTED)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "check_exports: ${var} not set")
  endif()
endforeach()

execute_process(COMMAND ${NM} -D --defined-only ${LIB}
                OUTPUT_VARIABLE nm_out ERROR_VARIABLE nm_err RESULT_VARIABLE nm_rc)
if(NOT nm_rc EQUAL 0)
  message(FATAL_ERROR "${NM} -D --defined-only ${LIB} failed (${nm_rc}): ${nm_err}")
endif()

# "address type name" per line; keep the name (with any @version suffix: exact match wanted).
string(REPLACE "\n" ";" nm_lines "${nm_out}")
set(actual "")
foreach(line IN LISTS nm_lines)
  string(STRIP "${line}" line)
  if(line STREQUAL "")
    continue()
  endif()
  string(REGEX REPLACE ".* " "" name "${line}")
  list(APPEND actual "${name}")
endforeach()

file(STRINGS ${EXPECTED} expected)
list(LENGTH expected expected_count)
set(expected_unique ${expected})
list(REMOVE_DUPLICATES expected_unique)
list(LENGTH expected_unique unique_count)
if(NOT expected_count EQUAL unique_count)
  message(FATAL_ERROR "${EXPECTED} lists a name twice")
endif()
if(expected_count EQUAL 0)
  message(FATAL_ERROR "${EXPECTED} is empty")
endif()

set(missing ${expected})
if(actual)
  list(REMOVE_ITEM missing ${actual})
endif()
set(extra ${actual})
list(REMOVE_ITEM extra ${expected})
list(LENGTH actual actual_count)
list(REMOVE_DUPLICATES actual)
list(LENGTH actual actual_unique)

if(missing OR extra OR NOT actual_count EQUAL actual_unique)
  list(JOIN missing " " missing_text)
  list(JOIN extra " " extra_text)
  message(FATAL_ERROR "export list of ${LIB} differs from ${EXPECTED}:\n"
                      "  missing: ${missing_text}\n  extra: ${extra_text}\n"
                      "  (${actual_count} dynamic symbols, ${actual_unique} distinct)")
endif()
message(STATUS "${actual_count} exported symbols match ${EXPECTED}")
