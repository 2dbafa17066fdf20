#!/usr/bin/env bash
# Writes a held-out text data set for `aura text-bench --data DIR`: the one-line descriptions of the
# Debian packages of 10 sections, one fortune-format file per section (quotes separated by lines
# holding only %), at most 800 per section: the first 800 distinct descriptions in byte order.
# The descriptions come from the machine's own package lists (apt-cache dumpavail); nothing is
# downloaded. The figures in docs/text.md came from Debian 12's lists of 2026-07-11.
#
#   aura-bench/text/debian-descriptions.sh OUT_DIR && ./aura text-bench --data OUT_DIR
set -euo pipefail
out="${1:?usage: $0 OUT_DIR}"
command -v apt-cache >/dev/null || { echo "$0: apt-cache not found (a Debian or Ubuntu machine is needed)" >&2; exit 1; }
mkdir -p "$out"
tmp="$(mktemp)"
trap 'rm -f "$tmp"' EXIT
LC_ALL=C apt-cache dumpavail | LC_ALL=C awk '
  /^Section:/ { s = $2; sub(/.*\//, "", s) }
  /^Description:/ { d = $0; sub(/^Description: */, "", d) }
  /^$/ { if (s != "" && d != "") print s "\t" d; s = ""; d = "" }' >"$tmp"
for section in admin games net science sound text utils graphics web mail; do
  LC_ALL=C awk -F'\t' -v s="$section" '$1 == s { print $2 }' "$tmp" | LC_ALL=C sort -u | awk 'NR <= 800' \
    | LC_ALL=C awk '{ print; print "%" }' >"$out/$section"
  echo "$section: $(grep -c '^%$' "$out/$section") descriptions"
done
