#!/usr/bin/env bash
# Generates the service's Python client from its OpenAPI document (OpenAPI Generator's Maven plugin,
# the version the build pins, generator "python", into aura-client/target/python-client) and runs
# python_client_example.py through it against a server: a `./aura serve` of its own on a free
# loopback port with a fresh data directory, or the one --url names.
#
#   aura-bench/server/python-client.sh [--url URL] [--python PYTHON]
#
# The client needs urllib3, pydantic, python-dateutil and typing-extensions (it declares urllib3
# >= 2.7 and pydantic >= 2.11); Debian's python3-* packages serve where they are that new (Debian
# 12's urllib3 1.26 and pydantic 1.10 are not). Nothing is downloaded at run time: the generator
# comes from the local Maven repository (a first, online `./mvnw -B -q -pl aura-client
# -Ppython-client generate-sources` fetches it once).
set -euo pipefail

ROOT="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/../.." && pwd)"
URL=""
PYTHON=python3
while [[ $# -gt 0 ]]; do
  case "$1" in
    --url) URL="${2:?}"; shift 2 ;;
    --python) PYTHON="${2:?}"; shift 2 ;;
    -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
    *) echo "python-client.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
"$PYTHON" -c 'import urllib3, pydantic, dateutil, typing_extensions, sys
assert int(urllib3.__version__.split(".")[0]) >= 2 and int(pydantic.VERSION.split(".")[0]) >= 2, \
  "urllib3 " + urllib3.__version__ + ", pydantic " + pydantic.VERSION' \
  || { echo "python-client.sh: $PYTHON lacks urllib3 2, pydantic 2, python-dateutil or typing-extensions" >&2; exit 1; }

(cd "$ROOT" && ./mvnw -B -q -o -pl aura-client -Ppython-client generate-sources | grep -v '^#' || true)
CLIENT="$ROOT/aura-client/target/python-client"
[[ -f "$CLIENT/aura_client/__init__.py" ]] || { echo "python-client.sh: the client was not generated in $CLIENT" >&2; exit 1; }

if [[ -z "$URL" ]]; then
  source "$ROOT/aura-bench/server/serve-lib.sh"
  DATA="$(mktemp -d)"
  trap 'serve_stop; rm -rf "$DATA"' EXIT
  serve_start python-client.sh -- --data "$DATA"
  URL="$SERVE_URL"
fi
PYTHONPATH="$CLIENT" "$PYTHON" "$ROOT/aura-bench/server/python_client_example.py" "$URL"
