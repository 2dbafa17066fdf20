#!/usr/bin/env bash
# Writes Gapminder's country indicators 1960-2016 (R's dslabs::gapminder) as a held-out
# multivariate sequence-classification set in the long CSV format: OUT_DIR/train.csv and
# OUT_DIR/test.csv. One series per country, one row per year in which all four indicators are
# known (so some series start late or have gaps), time = year, label = continent.
# With --drop P (e.g. --drop 0.3 --drop-seed 7) rows are dropped at random, seeded: irregular sampling.
# See README.md beside this file.
#
#   aura-bench/seq/gapminder.sh OUT_DIR [--seed 14] [--test-fraction 0.3] [--drop 0.3 --drop-seed 7]
set -euo pipefail
out="${1:?usage: $0 OUT_DIR [split_long_csv.py options]}"
shift
. "$(dirname "$0")/r-data.sh"
need_r r-cran-dslabs dslabs
mkdir -p "$out"
all="$(mktemp)"
trap 'rm -f "$all"' EXIT
Rscript --vanilla - "$all" <<'R'
suppressMessages(library(dslabs))
out <- commandArgs(trailingOnly = TRUE)[1]
d <- gapminder[, c("country", "year", "infant_mortality", "life_expectancy", "fertility", "population", "continent")]
# GDP (missing in 28% of the rows, and after 2011) is left out.
d <- d[complete.cases(d), ]
d <- d[order(as.character(d$country), d$year), ]
o <- data.frame(id = gsub("[^A-Za-z0-9]+", "_", as.character(d$country)), time = d$year,
                infant_mortality = d$infant_mortality, life_expectancy = d$life_expectancy,
                fertility = d$fertility, population_millions = round(d$population / 1e6, 6),
                label = d$continent)
stopifnot(length(unique(o$id)) == length(unique(d$country)))
write.csv(o, out, row.names = FALSE, quote = FALSE)
R
split_long "$all" "$out" "$@"
