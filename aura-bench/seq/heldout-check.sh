#!/usr/bin/env bash
# Checks aura seq's defaults on the held-out sequence sets (sets the project was never tuned on):
# writes each set with its script into DIR (unless it is there already), then trains and tests each
# of the four models on it with the defaults of `aura seq train` (only --time given), and prints one
# line per set and model.
#
#   aura-bench/seq/heldout-check.sh DIR [extra aura seq train options]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
dir="${1:?usage: $0 DIR [aura seq train options]}"
shift
for set in pbc-visits gapminder blackmore-exercise; do
  if [[ ! -f "$dir/$set/train.csv" ]]; then
    "$here/$set.sh" "$dir/$set" >&2
  fi
  for model in mr-moe moe liquid lstm; do
    line="$("$root/aura" seq train --train "$dir/$set/train.csv" --test "$dir/$set/test.csv" --time time \
      --model "$model" "$@" 2>/dev/null | tail -n 1)"
    echo "$set $line"
  done
done
