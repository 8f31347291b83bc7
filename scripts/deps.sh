#!/usr/bin/env bash
# Installs what wattprof needs from Debian 12's packages, when run as root and
# something is missing. "build": compiler and libraries. "test": also what the
# tests use where present (scikit-learn for parity, onnx's checker, torch and
# torchvision for the exported-network tests, Chromium).
set -euo pipefail
want=(build-essential cmake pkg-config libjansson-dev libprotobuf-c-dev protobuf-c-compiler libonnx-dev libdnnl-dev)
if [ "${1:-build}" = test ]; then
  want+=(python3 python3-sklearn python3-onnx python3-torch python3-torchvision chromium)
fi
missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ]; then
  echo "wattprof: missing Debian packages: ${missing[*]} (run as root, or install them)" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
