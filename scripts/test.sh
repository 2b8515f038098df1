#!/usr/bin/env bash
# The whole test suite on a fresh machine: installs what the tests drive (openssl, tmux, strace,
# keytool, nginx, curl, pyca/cryptography, man-db, dpkg-dev, systemd, cargo-deb) when missing,
# then runs every test. README.md and .ci/run call this.
set -euo pipefail
cd "$(dirname "$0")/.."

declare -A pkg_for=(
  [openssl]=openssl [tmux]=tmux [strace]=strace [keytool]=default-jre-headless
  [nginx]=nginx-light [curl]=curl
  # tests/acme_pebble.rs: Let's Encrypt's test ACME server and its DNS (pebble-challtestsrv).
  [pebble]=pebble
  # tests/exporter_prometheus.rs: a real Prometheus scraping the exporter; promtool checks the rules.
  [prometheus]=prometheus [promtool]=prometheus
  # tests/packaging_deb.rs and tests/assets.rs: render the man page, shlibdeps/strip for
  # cargo-deb, systemd-analyze verify for the units.
  [man]=man-db [dpkg-shlibdeps]=dpkg-dev [strip]=binutils [systemd-analyze]=systemd
)
missing=()
for tool in "${!pkg_for[@]}"; do
  command -v "$tool" >/dev/null 2>&1 || missing+=("${pkg_for[$tool]}")
done
# pyca/cryptography >= 38 (PKCS#12 encryption builder) for tests/pkcs12_interop.rs, in Debian's python3.
/usr/bin/python3 -c 'from cryptography.hazmat.primitives.serialization import PrivateFormat
PrivateFormat.PKCS12.encryption_builder' >/dev/null 2>&1 || missing+=(python3-cryptography)
if ((${#missing[@]})); then
  echo "test.sh: installing ${missing[*]}"
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# cargo-deb builds the .deb in tests/packaging_deb.rs (about 3 minutes to install, once).
# 3.8.0 needs Rust 1.85.
if ! command -v cargo-deb >/dev/null 2>&1; then
  echo "test.sh: installing cargo-deb"
  cargo install cargo-deb --version 3.8.0 --locked --quiet
fi
# nginx-light installs the binary under /usr/sbin, which a non-login PATH may lack.
export PATH="$PATH:/usr/sbin:/sbin"

if [ "${CI:-}" = "true" ]; then
  cargo fmt --check
  cargo clippy --all-targets --locked -- -D warnings
fi
cargo test --all-targets --locked "$@"
