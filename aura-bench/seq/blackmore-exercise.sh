#!/usr/bin/env bash
# Writes Blackmore's exercise histories (R's carData::Blackmore) as a held-out, irregularly sampled,
# univariate sequence-classification set in the long CSV format: OUT_DIR/train.csv and
# OUT_DIR/test.csv. One series per girl, one row per recalled age, time = age in years,
# feature = hours of exercise per week, label = patient (eating disorder) or control.
# See README.md beside this file.
#
#   aura-bench/seq/blackmore-exercise.sh OUT_DIR [--seed 14] [--test-fraction 0.3]
set -euo pipefail
out="${1:?usage: $0 OUT_DIR [split_long_csv.py options]}"
shift
. "$(dirname "$0")/r-data.sh"
need_r r-cran-cardata carData
mkdir -p "$out"
all="$(mktemp)"
trap 'rm -f "$all"' EXIT
Rscript --vanilla - "$all" <<'R'
suppressMessages(library(carData))
out <- commandArgs(trailingOnly = TRUE)[1]
d <- Blackmore[order(match(Blackmore$subject, unique(Blackmore$subject)), Blackmore$age), ]
o <- data.frame(id = as.character(d$subject), time = d$age, exercise = d$exercise, label = d$group)
write.csv(o, out, row.names = FALSE, quote = FALSE)
R
split_long "$all" "$out" "$@"
