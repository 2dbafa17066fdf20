# Sourced by the data-set scripts beside it: the R packages they read their source tables from, and
# the common last step (check the long CSV, split it by series into train.csv and test.csv).
# Nothing is downloaded but Debian packages.

# need_r DEBIAN_PACKAGE R_LIBRARY: installs r-base-core and the package with apt-get when the
# library does not load (as root), or says how to install them.
need_r() {
  local deb="$1" lib="$2"
  if command -v Rscript >/dev/null && Rscript -e "suppressMessages(library($lib))" >/dev/null 2>&1; then
    return 0
  fi
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "installing r-base-core $deb" >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends r-base-core "$deb" >&2
  else
    echo "$0: the R package $lib is missing: sudo apt-get install r-base-core $deb" >&2
    exit 1
  fi
}

# split_long ALL_CSV OUT_DIR [split_long_csv.py options]: checks the long CSV and writes
# OUT_DIR/train.csv and OUT_DIR/test.csv.
split_long() {
  /usr/bin/python3 "$(dirname "${BASH_SOURCE[0]}")/split_long_csv.py" "$@"
}
