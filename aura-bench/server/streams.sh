#!/usr/bin/env bash
# Stream-count benchmark of the routing service: route latency of a model with 100,000 open streams
# against a model with one (and the time to list them a page at a time), recovery time of logs of N
# and 2N operations, route latency of a large model beside a loop of reads of its info, and stream
# opens on a small model beside a loop of snapshots of a large one, measured in one run by
# StreamsBench.java (beside this script) against an in-process server with a data directory.
#
#   aura-bench/server/streams.sh [--streams N] [--routes R] [--rounds K] [--ops N] [--recoveries K]
#                                [--reads-hidden H] [--read-routes R] [--opens N]
#
#   --streams N      streams opened on model 'many' (default 100000; 0 skips the route part)
#   --routes R       routes per model, path and round (default 2000)
#   --rounds K       alternating rounds (default 5)
#   --ops N          operations in the smaller recovery log; the larger has 2N (default 100000; 0 skips)
#   --recoveries K   recoveries of each log, the median is reported (default 5)
#   --reads-hidden H hidden size of the large model whose routes are timed beside a loop of reads
#                    of its info, without and with its digest (default 2048; 0 skips)
#   --read-routes R  routes per reader (default 500)
#   --opens N        stream opens on a small model, alone and beside snapshots of the large model
#                    (default 2000; 0 skips)
#
# AURA_CP replaces the class path of this checkout's build (aura-cli/target), to run the same
# benchmark against another build: the jar of aura-cli and the jars of its lib/ folder.
#
# Loopback only; the client shares the machine's cores with the server. Extra JVM options go in
# AURA_JAVA_OPTS (default -Xmx2g).
set -euo pipefail

ROOT="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/../.." && pwd)"
case "${1:-}" in -h|--help) sed -n '2,25p' "$0"; exit 0 ;; esac
if [ -z "${AURA_CP:-}" ]; then
  "$ROOT/aura" --version >/dev/null 2>&1 || { echo "streams.sh: ./aura does not build" >&2; exit 1; }
fi
# shellcheck source=../../.mvn/jdk25.sh
. "$ROOT/.mvn/jdk25.sh"
JDK="$(aura_find_jdk25)" || { echo "streams.sh: no JDK 25 found (see ./aura)" >&2; exit 1; }
if [ -n "${AURA_CP:-}" ]; then
  CP="$AURA_CP"
else
  CP="$(ls "$ROOT"/aura-cli/target/aura-cli-*.jar | head -n 1)"
  for j in "$ROOT"/aura-cli/target/lib/*.jar; do
    CP="$CP:$j"
  done
fi
# shellcheck disable=SC2086
exec "$JDK/bin/java" --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED \
  -Djava.util.logging.config.file=/dev/null ${AURA_JAVA_OPTS:--Xmx2g} \
  -cp "$CP" "$ROOT/aura-bench/server/StreamsBench.java" "$@"
