#!/usr/bin/env bash
# side-by-side.sh: aura-moe's stream learner beside MOA's HoeffdingAdaptiveTree, AdaptiveRandomForest
# and NaiveBayes, prequential (test-then-train) on the same ARFF files, in one table.
#
#   aura-bench/moa/side-by-side.sh [--quick] [--streams a,b] [--learners hat,arf,nb,aura]
#                                  [--skip LEARNER:STREAM[,...]] [--timeout SECONDS] [--out DIR]
#                                  [--cache DIR] [--report-only]
#
# MOA (GPL-3.0) is run as a separate program: its classpath is resolved once with Maven from
# aura-bench/moa/pom.xml (a standalone pom, not a module of the build) into the cache, and nothing
# of it is linked into or shipped with aura-moe. See aura-bench/moa/README.md.
#
# Progress goes to stderr, the table to stdout; raw outputs and side-by-side.json to the output dir.
set -euo pipefail

HERE="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
MOA_VERSION=2024.07.0
ALL_STREAMS="sea,hyperplane,rbf,agrawal,led,fashion-mnist"
ALL_LEARNERS="hat,arf,nb,aura"

usage() {
  cat <<EOF
Usage: aura-bench/moa/side-by-side.sh [options]

Runs MOA's EvaluatePrequential (BasicClassificationPerformanceEvaluator, cumulative) with
trees.HoeffdingAdaptiveTree, meta.AdaptiveRandomForest and bayes.NaiveBayes, and
'./aura stream', on the same benchmark streams, and prints one table.

  --streams LIST     streams to run (default: $ALL_STREAMS)
  --learners LIST    learners to run: hat, arf, nb, aura (default: $ALL_LEARNERS)
  --skip LIST        learner:stream pairs not to run, e.g. arf:fashion-mnist (repeatable)
  --timeout SECONDS  wall-clock limit of each run (default: \${SIDE_BY_SIDE_TIMEOUT:-600})
  --quick            20,000 instances per stream (separate stream cache and output dir)
  --out DIR          raw outputs, side-by-side.json (default: aura-bench/target/side-by-side,
                     or aura-bench/target/side-by-side-quick with --quick)
  --cache DIR        MOA classpath and streams (default: \${AURA_CACHE:-\$HOME/.cache/aura-moe}/moa-$MOA_VERSION)
  --report-only      run nothing; rebuild the table from the raw outputs already in the output dir
  -h, --help         this text

Environment: MOA_JAVA_OPTS (extra JVM options for MOA), AURA_JAVA_OPTS (for ./aura),
FASHION_MNIST_DIR (default /usr/share/datasets/fashion-mnist).
EOF
}

log() { echo "side-by-side: $*" >&2; }
die() { log "$*"; exit 1; }

streams="$ALL_STREAMS"
learners="$ALL_LEARNERS"
skips=","
timeout_s="${SIDE_BY_SIDE_TIMEOUT:-600}"
quick=0
out=""
cache="${AURA_CACHE:-$HOME/.cache/aura-moe}/moa-$MOA_VERSION"
report_only=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --streams) streams="${2:?--streams needs a list}"; shift 2 ;;
    --learners) learners="${2:?--learners needs a list}"; shift 2 ;;
    --skip) skips="$skips${2:?--skip needs learner:stream},"; shift 2 ;;
    --timeout) timeout_s="${2:?--timeout needs seconds}"; shift 2 ;;
    --quick) quick=1; shift ;;
    --out) out="${2:?--out needs a directory}"; shift 2 ;;
    --cache) cache="${2:?--cache needs a directory}"; shift 2 ;;
    --report-only) report_only=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; die "unknown option '$1'" ;;
  esac
done
[[ "$timeout_s" =~ ^[1-9][0-9]*$ ]] || die "--timeout must be a positive number of seconds, not '$timeout_s'"
for s in ${streams//,/ }; do
  [[ ",$ALL_STREAMS," == *",$s,"* ]] || die "unknown stream '$s' (known: $ALL_STREAMS)"
done
for l in ${learners//,/ }; do
  [[ ",$ALL_LEARNERS," == *",$l,"* ]] || die "unknown learner '$l' (known: $ALL_LEARNERS)"
done
if [[ -z "$out" ]]; then
  out="$ROOT/aura-bench/target/side-by-side"
  [[ $quick -eq 1 ]] && out="$out-quick"
fi
mkdir -p "$out"
out="$(cd "$out" && pwd)"

# shellcheck source=../../.mvn/jdk25.sh
. "$ROOT/.mvn/jdk25.sh"
JDK="$(aura_find_jdk25)" || die "no JDK 25 found (JAVA_HOME is '${JAVA_HOME:-unset}', no /usr/lib/jvm/temurin-25*): install Eclipse Temurin 25 or set JAVA_HOME to a JDK 25"
export JAVA_HOME="$JDK"
JAVA="$JDK/bin/java"

moa_class() {
  case "$1" in
    hat) echo trees.HoeffdingAdaptiveTree ;;
    arf) echo meta.AdaptiveRandomForest ;;
    nb) echo bayes.NaiveBayes ;;
  esac
}

# ./aura builds itself when stale; do it once here, so that no build lands inside a timed run.
log "building ./aura if stale ..."
"$ROOT/aura" --version >/dev/null 2>"$out/aura-build.log" || die "./aura failed (see $out/aura-build.log)"
JACKSON_CP="$(find "$ROOT/aura-cli/target/lib" -name 'jackson-*.jar' | sort | paste -sd: -)"
[[ -n "$JACKSON_CP" ]] || die "no Jackson jars in aura-cli/target/lib"

if [[ $report_only -eq 0 ]]; then
  # MOA's classpath, resolved once.
  cp_file="$cache/cp.txt"
  if [[ ! -s "$cp_file" ]]; then
    log "resolving MOA $MOA_VERSION with Maven into $cache ..."
    mkdir -p "$cache"
    (cd "$ROOT" && ./mvnw -B -q -f aura-bench/moa/pom.xml dependency:build-classpath \
      -Dmdep.outputFile="$cp_file.tmp") >"$cache/resolve.log" 2>&1 \
      || die "Maven could not resolve MOA (see $cache/resolve.log)"
    mv "$cp_file.tmp" "$cp_file"
  fi
  MOA_CP="$(cat "$cp_file")"

  # Streams, written once.
  stream_dir="$cache/streams"
  gen_args=()
  if [[ $quick -eq 1 ]]; then
    stream_dir="$cache/streams-quick"
    gen_args=(--instances 20000)
  fi
  mkdir -p "$stream_dir"
  fmnist_dir="${FASHION_MNIST_DIR:-/usr/share/datasets/fashion-mnist}"
  run_streams=()
  for s in ${streams//,/ }; do
    f="$stream_dir/$s.arff"
    if [[ ! -s "$f" ]]; then
      if [[ "$s" == fashion-mnist ]] && ! ls "$fmnist_dir"/*-images-idx3-ubyte* >/dev/null 2>&1; then
        log "skipping fashion-mnist: the data set is not in $fmnist_dir; install it with"
        log "  sudo apt-get install dataset-fashion-mnist   (or set FASHION_MNIST_DIR to a directory of its IDX files)"
        continue
      fi
      log "writing $f ..."
      data_args=()
      [[ "$s" == fashion-mnist ]] && data_args=(--data "$fmnist_dir")
      "$ROOT/aura" generate "$s" --out "$f.tmp.arff" "${gen_args[@]}" "${data_args[@]}" >/dev/null 2>"$stream_dir/$s.log" \
        || die "./aura generate $s failed (see $stream_dir/$s.log)"
      mv "$f.tmp.arff" "$f"
    fi
    run_streams+=("$s")
  done

  # The runs. runs.tsv lists stream, learner, status, raw output, wall seconds of the process.
  manifest="$out/runs.tsv"
  : >"$manifest"
  for s in "${run_streams[@]}"; do
    f="$stream_dir/$s.arff"
    mkdir -p "$out/$s"
    for l in ${learners//,/ }; do
      if [[ "$skips" == *",$l:$s,"* ]]; then
        log "$s / $l: skipped (--skip)"
        printf '%s\t%s\tskipped\t-\t0\n' "$s" "$l" >>"$manifest"
        continue
      fi
      if [[ "$l" == aura ]]; then
        raw="$out/$s/aura.json"
        cmd=("$ROOT/aura" stream --input "$f" --json "$raw" --no-progress)
        stdout="$out/$s/aura.out"
      else
        raw="$out/$s/$l.csv"
        # -i bounds the instances (the file ends first); -f: one evaluation line at the end.
        # shellcheck disable=SC2086
        cmd=("$JAVA" ${MOA_JAVA_OPTS:-} -cp "$MOA_CP" moa.DoTask
          "EvaluatePrequential -l $(moa_class "$l") -s (ArffFileStream -f $f) -i 100000000 -f 100000000 -e BasicClassificationPerformanceEvaluator")
        stdout="$raw"
      fi
      rm -f "$raw"
      log "$s / $l: running (limit ${timeout_s} s) ..."
      t0=$(date +%s.%N)
      set +e
      timeout --kill-after=10 "$timeout_s" "${cmd[@]}" >"$stdout" 2>"$out/$s/$l.err"
      rc=$?
      set -e
      secs=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
      if [[ $rc -eq 124 || $rc -eq 137 ]]; then
        status=timeout
      elif [[ $rc -ne 0 ]]; then
        status="failed($rc)"
      else
        status=ok
      fi
      log "$s / $l: $status in $secs s"
      printf '%s\t%s\t%s\t%s\t%s\n' "$s" "$l" "$status" "$raw" "$secs" >>"$manifest"
    done
  done
fi

[[ -s "$out/runs.tsv" ]] || die "nothing to report: $out/runs.tsv is missing or empty"
machine="$(nproc)-core $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1), $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo), $("$JAVA" -version 2>&1 | head -n 1)"
"$JAVA" -cp "$JACKSON_CP" "$HERE/SideBySide.java" "$out" "$timeout_s" "$quick" "$machine" "$MOA_VERSION"
