#!/usr/bin/env bash
# Lints the service's OpenAPI document with Redocly's recommended rules (npx fetches @redocly/cli
# from the npm registry the first time; node 20 or later). By default it lints the document a
# server serves: it starts `./aura serve` on a free loopback port (--in-memory) and reads
# GET /openapi.json; --file lints aura-server's resource instead, --url another server's.
#
#   aura-bench/server/openapi-lint.sh [--file | --url URL] [--redocly VERSION]
#
# Exits non-zero on any error or warning (--max-problems is not raised: every problem is listed).
set -euo pipefail

ROOT="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/../.." && pwd)"
FILE=""
URL=""
REDOCLY=2.77.0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --file) FILE="$ROOT/aura-server/src/main/resources/dev/auramoe/server/openapi.json"; shift ;;
    --url) URL="${2:?}"; shift 2 ;;
    --redocly) REDOCLY="${2:?}"; shift 2 ;;
    -h|--help) sed -n '2,9p' "$0"; exit 0 ;;
    *) echo "openapi-lint.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
command -v npx >/dev/null || { echo "openapi-lint.sh: npx (node and npm) is not installed" >&2; exit 1; }

source "$ROOT/aura-bench/server/serve-lib.sh"
WORK="$(mktemp -d)"
trap 'serve_stop; rm -rf "$WORK"' EXIT
if [[ -z "$FILE" ]]; then
  if [[ -z "$URL" ]]; then
    serve_start openapi-lint.sh -- --in-memory --no-text
    URL="$SERVE_URL"
  fi
  curl -sf "$URL/openapi.json" -o "$WORK/openapi.json" \
    || { echo "openapi-lint.sh: cannot read $URL/openapi.json" >&2; exit 1; }
  FILE="$WORK/openapi.json"
fi
# Run from the work directory, so that no redocly.yaml of the caller's changes the rules. Redocly exits
# non-zero on errors only; a warning fails this script too.
set +e
OUT="$(cd "$WORK" && npx --yes "@redocly/cli@$REDOCLY" lint --extends=recommended "$FILE" 2>&1)"
RC=$?
set -e
echo "$OUT"
if [[ $RC -ne 0 ]] || grep -qE 'You have [0-9]+ warning' <<<"$OUT"; then
  echo "openapi-lint.sh: the document has problems (above)" >&2
  exit 1
fi
echo "openapi-lint.sh: no errors, no warnings (@redocly/cli $REDOCLY, recommended rules)"
