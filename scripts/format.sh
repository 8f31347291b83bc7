#!/usr/bin/env bash
# The tree's C style (.clang-format, clang-format 14 as Debian 12 ships it).
#   scripts/format.sh           reformat every C file git tracks or would add, in place
#   scripts/format.sh --check   list the files that differ from the style, exit 1 if any
# Generated files keep their generator's layout: tests/train_expected.h is
# written by bench/reference/train_reference.py --c-expected.
set -euo pipefail
cd "$(dirname "$0")/.."
# --others --exclude-standard: a new file not yet added is checked too (one
# landed unformatted because only tracked files were).
mapfile -t files < <(git ls-files --cached --others --exclude-standard 'include/*.h' 'src/*.c' 'src/*.h' 'cli/*.c' 'cli/*.h' 'tests/*.c' 'tests/*.h' \
  'bench/*.c' 'bench/*.h' | grep -v -x 'tests/train_expected.h')
if [ "${1:-}" = --check ]; then
  bad=0
  for f in "${files[@]}"; do
    if ! clang-format "$f" | cmp -s - "$f"; then
      echo "$f"
      bad=1
    fi
  done
  exit $bad
fi
clang-format -i "${files[@]}"
