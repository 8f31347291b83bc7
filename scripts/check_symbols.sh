#!/usr/bin/env bash
# The library's naming rule (docs/architecture.md, "Naming"): every symbol
# libwattprof.a defines with external linkage is either declared in a public
# header (include/wattprof/*.h) or named wp__* (internal: declared in a header
# under src/). protobuf-c's generated onnx__* and compiler-made _* names aside.
# Usage: check_symbols.sh LIBWATTPROF.a INCLUDE_DIR
set -euo pipefail
lib=$1 inc=$2
command -v nm >/dev/null || { echo "nm not found: skipped"; exit 77; }
bad=0
while read -r sym; do
  case $sym in wp__* | onnx__* | _*) continue ;; esac
  if ! grep -qw -- "$sym" "$inc"/wattprof/*.h; then
    echo "$sym: external, not in include/wattprof/ and not named wp__*"
    bad=1
  fi
done < <(nm -g --defined-only "$lib" | awk 'NF == 3 { print $3 }' | sort -u)
exit $bad
