#!/usr/bin/env bash
# FST variants over the 12 models of the Fashion-MNIST quick grid (small CNN; BadNet, Blended, SIG,
# WaNet at 5, 1 and 0.5 %), the study of docs/results.md ("What costs FST its accuracy"). Trains the
# models first where the lab's store (.fst-lab) lacks them. Prints one RESULT line per model and
# variant: model;attack;rate;variant;clean before;ASR before;clean after;ASR after;held-out before;
# held-out after. Summarise with fst-examples/scripts/summarize_variants.py.
# Usage: bash fst-examples/scripts/fst-variants.sh "VARIANT;VARIANT..." [lab options]  (after the build)
set -euo pipefail
cd "$(dirname "$0")/../.."
VARIANTS=${1:?"give the variants, e.g. \"paper;default\" (see dev.fst.bench.FstStudy)"}
shift
export DJL_CACHE_DIR="${DJL_CACHE_DIR:-$PWD/.djl-cache}"
for attack in badnet blended sig wanet; do
  for rate in 0.05 0.01 0.005; do
    java -Xmx4g -Dai.djl.offline=true -cp "fst-examples/target/fst/lib/*" dev.fst.bench.FstStudy \
      --attack "$attack" --rate "$rate" "$@" --variants "$VARIANTS" 2>&1 | grep '^RESULT'
  done
done
