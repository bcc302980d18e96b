#!/usr/bin/env bash
# The main job, from a fresh clone: installs Debian's Fashion-MNIST where apt-get can (root, or
# sudo without a password prompt), builds the project and its fst command, then runs `fst lab`: it trains a
# small CNN to maturity with a 1 % BadNet backdoor (cached in .fst-lab/ and reused by later runs),
# purifies copies with FT and FST and prints the before/after table. Without the data the lab says
# so in one line and runs on its synthetic images. Arguments go to the lab (see docs/lab.md).
set -euo pipefail
cd "$(dirname "$0")/../.."

DATA=/usr/share/datasets/fashion-mnist
if [ ! -d "$DATA" ] && command -v apt-get >/dev/null 2>&1; then
  SUDO=""
  if [ "$(id -u)" != 0 ]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then SUDO="sudo -n"; else SUDO="none"; fi
  fi
  if [ "$SUDO" != none ]; then
    echo "installing Debian's dataset-fashion-mnist (about 30 MB) into $DATA"
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get install -y -qq --no-install-recommends dataset-fashion-mnist >/dev/null 2>&1 \
      || { $SUDO apt-get update -qq >/dev/null 2>&1 \
           && $SUDO apt-get install -y -qq --no-install-recommends dataset-fashion-mnist >/dev/null 2>&1; } \
      || echo "could not install dataset-fashion-mnist with apt-get"
  fi
fi

# builds the fst distribution (fst-examples/target/fst) and runs its lab with libtorch unpacked
# into the clone's .djl-cache, as the tests do
mvn -q -B -DskipTests install
export DJL_CACHE_DIR="${DJL_CACHE_DIR:-$PWD/.djl-cache}"
exec fst-examples/target/fst/bin/fst lab "$@"
