#!/usr/bin/env bash
# Checks that torch_peer.py's liquid model is aura-seq's: same weights in, same logits, loss and
# gradients out (see check_liquid_peer.py). Builds aura-core and aura-seq's classes first.
#
#   aura-bench/seq/check-liquid-peer.sh
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
. .mvn/jdk25.sh
jdk="$(aura_find_jdk25)" || { echo "$0: no JDK 25 found" >&2; exit 1; }
./mvnw -B -o -q compile -pl aura-seq -am
"$jdk/bin/java" -Daura.kernels=scalar -cp aura-core/target/classes:aura-seq/target/classes aura-bench/seq/LiquidPeerDump.java \
  | /usr/bin/python3 aura-bench/seq/check_liquid_peer.py
