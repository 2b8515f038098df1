#!/usr/bin/env bash
# Build the Debian package (target/debian/certdeck_<version>-1_<arch>.deb):
#   bash scripts/deb.sh [cargo-deb options, e.g. --fast]
# Builds the release binary, generates the man page and shell completions by running it
# (`certdeck man`, `certdeck completions SHELL`) into <target>/release/assets/, then packages
# with `cargo deb --no-build` (assets in Cargo.toml's [package.metadata.deb]).
#
# CERTDECK_DEB_BIN=FILE packages that already-built binary instead of building (the test
# suite passes its test-profile binary: no release build in CI). It is staged in
# CERTDECK_DEB_TARGET_DIR (default target/deb-staging) so target/release is never touched.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v cargo-deb >/dev/null 2>&1; then
  echo "deb.sh: cargo-deb is missing: cargo install cargo-deb --version 3.8.0 --locked" >&2
  exit 1
fi

if [ -n "${CERTDECK_DEB_BIN:-}" ]; then
  target_dir=${CERTDECK_DEB_TARGET_DIR:-target/deb-staging}
  mkdir -p "$target_dir/release"
  # A copy, not a link: nothing done to the staged file can reach the original.
  cp -f "$CERTDECK_DEB_BIN" "$target_dir/release/certdeck"
else
  cargo build --release --locked
  target_dir=$(cargo metadata --format-version 1 --no-deps --locked |
    sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')
fi

bin="$target_dir/release/certdeck"
assets="$target_dir/release/assets"
mkdir -p "$assets"
gen() { # gen FILE ARGS...: run the binary, refuse an empty result
  local file=$1
  shift
  "$bin" "$@" >"$assets/$file"
  if [ ! -s "$assets/$file" ]; then
    echo "deb.sh: \`certdeck $*\` printed nothing" >&2
    exit 1
  fi
}
gen certdeck.1 man
# Debian policy: man pages gzipped, -n so the package is reproducible. (cargo-deb compresses
# only assets it did not build.)
gzip -9nf "$assets/certdeck.1"
gen certdeck.bash completions bash
gen _certdeck completions zsh
gen certdeck.fish completions fish

CARGO_TARGET_DIR="$target_dir" cargo deb --no-build --locked "$@"
