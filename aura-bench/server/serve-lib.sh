# shellcheck shell=bash
# What the server scripts share (load.sh, python-client.sh, openapi-lint.sh): `./aura serve` started
# on a free loopback port, waited for until GET /health answers, and stopped. Source it once ROOT
# (the repository) is set:
#
#   source "$ROOT/aura-bench/server/serve-lib.sh"
#   trap 'serve_stop; ...' EXIT                        # before serve_start: a failed start stops it too
#   serve_start load.sh taskset -c 0 -- --data "$DATA"  # WHO [PREFIX... --] [SERVE OPTIONS...]
#   curl -s "$SERVE_URL/v1/models"
#
# serve_start checks that curl is there and that ./aura builds, picks a free loopback port, runs
# `[PREFIX...] ./aura serve --host 127.0.0.1 --port PORT [SERVE OPTIONS...]` in the background with
# its output in a temporary file, and waits up to 30 s for /health; it sets SERVE_URL, SERVE_PORT,
# SERVE_PID and SERVE_LOG. A server that exits or does not answer in time is reported by WHO with its
# output, and the script exits 1. serve_stop stops the server and removes its output; it does
# nothing when no server was started.

serve_start() {
  local who="${1:?serve_start: WHO}"
  shift
  local prefix=()
  if [[ " $* " == *" -- "* ]]; then
    while [[ "$1" != "--" ]]; do
      prefix+=("$1")
      shift
    done
    shift
  fi
  command -v curl >/dev/null || { echo "$who: curl is not installed" >&2; exit 1; }
  "$ROOT/aura" --version >/dev/null 2>&1 || { echo "$who: ./aura does not build" >&2; exit 1; }
  SERVE_PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()' \
    2>/dev/null || echo $((20000 + RANDOM % 20000)))"
  SERVE_LOG="$(mktemp)"
  SERVE_URL="http://127.0.0.1:$SERVE_PORT"
  "${prefix[@]}" "$ROOT/aura" serve --host 127.0.0.1 --port "$SERVE_PORT" "$@" >"$SERVE_LOG" 2>&1 &
  SERVE_PID=$!
  for _ in $(seq 1 150); do
    curl -sf "$SERVE_URL/health" >/dev/null 2>&1 && return 0
    kill -0 "$SERVE_PID" 2>/dev/null || break
    sleep 0.2
  done
  echo "$who: the server did not start:" >&2
  cat "$SERVE_LOG" >&2
  exit 1
}

serve_stop() {
  if [[ -n "${SERVE_PID:-}" ]]; then
    kill "$SERVE_PID" 2>/dev/null || true
    wait "$SERVE_PID" 2>/dev/null || true
    SERVE_PID=""
  fi
  if [[ -n "${SERVE_LOG:-}" ]]; then
    rm -f "$SERVE_LOG"
  fi
}
