# SPDX-License-Identifier: Apache-2.0
# Runs one libFuzzer binary for SECONDS over a scratch copy of its committed
# corpus (new inputs stay in WORK, never in the source tree).  Any crash,
# leak, timeout (> 1 s per input) or OOM (> 512 MB) fails the test; the
# offending input is kept in WORK/artifacts/.
#
#   cmake -DFUZZER=... -DCORPUS=... -DWORK=... -DSECONDS=20 -P run_fuzzer.cmake
foreach(var FUZZER CORPUS WORK SECONDS)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "run_fuzzer: ${var} not set")
  endif()
endforeach()
if(NOT IS_DIRECTORY "${CORPUS}")
  message(FATAL_ERROR "run_fuzzer: no corpus at ${CORPUS}")
endif()

file(REMOVE_RECURSE "${WORK}/corpus")
file(MAKE_DIRECTORY "${WORK}/corpus" "${WORK}/artifacts")
file(GLOB seeds "${CORPUS}/*")
file(COPY ${seeds} DESTINATION "${WORK}/corpus")

execute_process(
  COMMAND "${FUZZER}" -max_total_time=${SECONDS} -timeout=1 -rss_limit_mb=512
          -print_final_stats=1 -artifact_prefix=${WORK}/artifacts/ "${WORK}/corpus"
  WORKING_DIRECTORY "${WORK}"
  RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  file(GLOB found "${WORK}/artifacts/*")
  message(FATAL_ERROR "${FUZZER} failed (${rc}); inputs kept: ${found}")
endif()
