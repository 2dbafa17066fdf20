#!/usr/bin/env bash
# What recording one request in the routing service's metrics costs on the request thread:
# ServerMetrics.record (the Micrometer Prometheus registry behind GET /metrics) against the work of
# the hand-written metrics it replaced, in the same run, one thread (MetricsBench.java).
#
#   aura-bench/server/metrics.sh [ROUNDS]      # default 7 rounds of 5,000,000 calls each
#
# Builds ./aura when needed and runs on its class path.
set -euo pipefail

ROOT="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/../.." && pwd)"
case "${1:-}" in -h|--help) sed -n '2,8p' "$0"; exit 0 ;; esac
"$ROOT/aura" --version >/dev/null 2>&1 || { echo "metrics.sh: ./aura does not build" >&2; exit 1; }
. "$ROOT/.mvn/jdk25.sh"
JDK="$(aura_find_jdk25)" || { echo "metrics.sh: no JDK 25 found (see ./aura)" >&2; exit 1; }
CP="$(ls "$ROOT"/aura-cli/target/aura-cli-*.jar | head -n 1):$ROOT/aura-cli/target/lib/*"
exec "$JDK/bin/java" -cp "$CP" "$ROOT/aura-bench/server/MetricsBench.java" "$@"
