#!/usr/bin/env bash
# Load benchmark of the routing service: starts `./aura serve` on a free loopback port, creates a
# model, drives single-input route and learn requests with wrk (Debian's package: apt-get install
# wrk) for a bounded time, and reports requests per second and latency percentiles as wrk sees
# them (client) and as the server's own latency quantiles report them (GET /metrics: handler time over
# the last 1-2 minutes). Where promtool is installed (Debian: apt-get install prometheus), the
# /metrics text after the load is checked with promtool check metrics.
#
#   aura-bench/server/load.sh [--seconds N] [--connections C] [--threads T]
#                             [--server-cpus LIST --client-cpus LIST]
#
# Loopback only. wrk and the server share this machine's cores, so the client takes part of the
# capacity it measures; say so when quoting the figures. --server-cpus and --client-cpus pin the
# server and wrk to separate CPUs (taskset lists, e.g. 0 and 1) to see what sharing costs.
set -euo pipefail

ROOT="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/../.." && pwd)"
SECONDS_PER_RUN=10
CONNECTIONS=32
THREADS=2
SERVER_PIN=()
CLIENT_PIN=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --seconds) SECONDS_PER_RUN="${2:?}"; shift 2 ;;
    --connections) CONNECTIONS="${2:?}"; shift 2 ;;
    --threads) THREADS="${2:?}"; shift 2 ;;
    --server-cpus) SERVER_PIN=(taskset -c "${2:?}"); shift 2 ;;
    --client-cpus) CLIENT_PIN=(taskset -c "${2:?}"); shift 2 ;;
    -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
    *) echo "load.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
command -v wrk >/dev/null || { echo "load.sh: wrk is not installed (apt-get install wrk)" >&2; exit 1; }
source "$ROOT/aura-bench/server/serve-lib.sh"

DATA="$(mktemp -d)"
trap 'serve_stop; rm -rf "$DATA"' EXIT
# Durable: every learn is acknowledged only once its write-ahead log record is on disk (fsync).
serve_start load.sh "${SERVER_PIN[@]}" -- --data "$DATA"
BASE="$SERVE_URL"
PORT="$SERVE_PORT"

JSON='Content-Type: application/json'
curl -sf -H "$JSON" "$BASE/v1/models" -d '{"name":"bench","inputDim":16,"outputDim":1}' >/dev/null
X='[0.1,-0.2,0.3,0.4,-0.5,0.6,0.7,-0.8,0.9,1.0,-1.1,1.2,0.13,-0.14,0.15,0.16]'

run() { # name path body
  local out
  out="$(WRK_PATH="$2" WRK_BODY="$3" "${CLIENT_PIN[@]}" wrk -t"$THREADS" -c"$CONNECTIONS" -d"${SECONDS_PER_RUN}s" \
    -s "$ROOT/aura-bench/server/route.lua" "$BASE" 2>&1)"
  local line
  line="$(grep '^RESULT' <<<"$out" || true)"
  [[ -n "$line" ]] || { echo "load.sh: wrk failed: $out" >&2; exit 1; }
  echo "$1 $line"
}

echo "load.sh: ${SECONDS_PER_RUN}s per run, $CONNECTIONS connections, $THREADS wrk threads, loopback port $PORT" >&2
# Warm-up (JIT), not reported.
WRK_PATH=/v1/models/bench/route WRK_BODY="{\"x\":$X}" "${CLIENT_PIN[@]}" wrk -t"$THREADS" -c"$CONNECTIONS" -d3s \
  -s "$ROOT/aura-bench/server/route.lua" "$BASE" >/dev/null 2>&1
WRK_PATH=/v1/models/bench/learn WRK_BODY="{\"x\":$X,\"y\":[0.5]}" "${CLIENT_PIN[@]}" wrk -t"$THREADS" -c"$CONNECTIONS" -d3s \
  -s "$ROOT/aura-bench/server/route.lua" "$BASE" >/dev/null 2>&1
ROUTE="$(run route /v1/models/bench/route "{\"x\":$X}")"
LEARN="$(run learn /v1/models/bench/learn "{\"x\":$X,\"y\":[0.5]}")"
METRICS="$(curl -sf "$BASE/metrics")"

server_quantile() { # endpoint quantile -> microseconds
  awk -v ep="$1" -v q="$2" '
    index($0, "aura_http_request_duration_seconds{") == 1 && index($0, "endpoint=\"" ep "\"") && index($0, "quantile=\"" q "\"") {
      printf "%d", $NF * 1e6 }' <<<"$METRICS"
}

printf '%-6s %12s %9s %9s %9s %9s %8s %12s %12s\n' run "req/s" "p50 us" "p90 us" "p99 us" "max us" non2xx "server p50" "server p99"
for r in "$ROUTE" "$LEARN"; do
  name="${r%% *}"
  rps="$(sed -n 's/.*rps=\([0-9.]*\).*/\1/p' <<<"$r")"
  p50="$(sed -n 's/.*p50=\([0-9]*\).*/\1/p' <<<"$r")"
  p90="$(sed -n 's/.*p90=\([0-9]*\).*/\1/p' <<<"$r")"
  p99="$(sed -n 's/.*p99=\([0-9]*\).*/\1/p' <<<"$r")"
  max="$(sed -n 's/.*max=\([0-9]*\).*/\1/p' <<<"$r")"
  non2xx="$(sed -n 's/.*non2xx=\([0-9]*\).*/\1/p' <<<"$r")"
  ep="POST /v1/models/{name}/$name"
  printf '%-6s %12.0f %9s %9s %9s %9s %8s %12s %12s\n' "$name" "$rps" "$p50" "$p90" "$p99" "$max" "$non2xx" \
    "$(server_quantile "$ep" 0.5)" "$(server_quantile "$ep" 0.99)"
done
echo
echo "client: wrk's own figures (latency includes its queueing); server: its /metrics quantiles, handler time"
if command -v promtool >/dev/null; then
  if findings="$(promtool check metrics <<<"$METRICS" 2>&1)"; then
    echo "PASS promtool check metrics on /metrics after the load" >&2
  else
    echo "FAIL promtool check metrics on /metrics after the load: $findings" >&2
  fi
fi
ROUTE_RPS="$(sed -n 's/.*rps=\([0-9.]*\).*/\1/p' <<<"$ROUTE")"
ROUTE_P99="$(sed -n 's/.*p99=\([0-9]*\).*/\1/p' <<<"$ROUTE")"
LEARN_RPS="$(sed -n 's/.*rps=\([0-9.]*\).*/\1/p' <<<"$LEARN")"
awk -v r="$ROUTE_RPS" -v p="$ROUTE_P99" -v c="$CONNECTIONS" 'BEGIN {
  printf "%s route: >= 20,000 req/s with p99 <= 5 ms at %d connections: %.0f req/s, p99 %.2f ms\n",
    (r >= 20000 && p <= 5000) ? "PASS" : "FAIL", c, r, p / 1000 }' >&2
awk -v r="$LEARN_RPS" 'BEGIN {
  printf "%s learn: >= 5,000 durable req/s: %.0f req/s (acknowledged after fsync of the write-ahead log)\n",
    (r >= 5000) ? "PASS" : "FAIL", r }' >&2
