#!/usr/bin/env bash
# Writes the Mayo Clinic primary biliary cholangitis (PBC) visit sequences (R's survival::pbcseq) as
# a held-out, irregularly sampled, multivariate sequence-classification set in the long CSV format:
# OUT_DIR/train.csv and OUT_DIR/test.csv. One series per patient, one row per clinic visit,
# time = years since entry (day / 365.25), label = the patient's status at the end of follow-up
# (censored, transplant, death). See README.md beside this file.
#
#   aura-bench/seq/pbc-visits.sh OUT_DIR [--seed 14] [--test-fraction 0.3]
set -euo pipefail
out="${1:?usage: $0 OUT_DIR [split_long_csv.py options]}"
shift
. "$(dirname "$0")/r-data.sh"
need_r r-cran-survival survival
mkdir -p "$out"
all="$(mktemp)"
trap 'rm -f "$all"' EXIT
Rscript --vanilla - "$all" <<'R'
suppressMessages(library(survival))
out <- commandArgs(trailingOnly = TRUE)[1]
d <- pbcseq[order(pbcseq$id, pbcseq$day), ]
labs <- c("bili", "albumin", "alk.phos", "ast", "platelet", "protime", "ascites", "hepato", "spiders", "edema")
# A value missing at a visit is the patient's last observed one (the next one before the first);
# cholesterol, missing at 42% of the visits, is left out.
fill <- function(v) {
  seen <- which(!is.na(v))
  if (length(seen) == 0) return(v)
  k <- cumsum(!is.na(v))
  k[k == 0] <- 1
  v[seen][k]
}
for (f in labs) d[[f]] <- ave(d[[f]], d$id, FUN = fill)
gone <- unique(d$id[!complete.cases(d[, labs])])
d <- d[!(d$id %in% gone), ]
status <- c("censored", "transplant", "death")
o <- data.frame(id = d$id, time = round(d$day / 365.25, 4), age = round(d$age, 3),
                female = as.integer(d$sex == "f"), d[, labs], label = status[d$status + 1])
names(o) <- sub(".", "_", names(o), fixed = TRUE)
write.csv(o, out, row.names = FALSE, quote = FALSE)
if (length(gone)) message("left out (a measurement never taken): patients ", paste(gone, collapse = " "))
R
split_long "$all" "$out" "$@"
