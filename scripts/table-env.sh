# Sourced by the scripts that reproduce a table of docs/attribution.md
# (attribution-table.sh, trtexec-table.sh), which take the same
# [BUILD_DIR] [WORK_DIR] arguments: from the repository root, sets build,
# work (a fresh temporary folder by default) and wp, the wattprof binary,
# and stops with a hint when it is not built.
cd "$(dirname "$0")/.."
build=${1:-build}
work=${2:-$(mktemp -d)}
wp="$build/wattprof"
[ -x "$wp" ] || { echo "build first: cmake -S . -B $build && cmake --build $build" >&2; exit 1; }
