#!/usr/bin/env bash
# Run every fuzz target for SECONDS each (default 60). Needs cargo-fuzz; on a stable toolchain
# RUSTC_BOOTSTRAP=1 unlocks the sanitizer flags cargo-fuzz passes.
#   bash fuzz/run.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")"
SECS=${1:-60}
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
export RUSTC_BOOTSTRAP=1
# Key-bearing seeds are generated, never committed.
work=$(mktemp -d)
mkdir -p "$work/keys" "$work/keycrypt"
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -outform DER -out "$work/keys/p8.der" 2>/dev/null
openssl genpkey -algorithm ED25519 -outform DER -out "$work/keys/ed.der" 2>/dev/null
echo fuzz > "$work/pass"
openssl pkcs8 -topk8 -v2 aes-256-cbc -in "$work/keys/p8.der" -inform DER -outform DER -passout "file:$work/pass" -out "$work/keycrypt/enc.der" 2>/dev/null
# JKS/JCEKS (a protected key entry with its certificate) when keytool is there.
mkdir -p "$work/decode_file"
for t in JKS JCEKS; do
  command -v keytool >/dev/null && keytool -genkeypair -alias k -keyalg EC -groupname secp256r1 \
    -dname CN=fuzz -keystore "$work/decode_file/k.$t" -storetype "$t" -storepass fuzzpw \
    -keypass fuzzpw >/dev/null 2>&1 || true
done
for t in decode_file pem_blocks subject_hash keys keycrypt; do
  corpus="corpus/$t"
  mkdir -p "$corpus"
  seeds=()
  [ -d "seeds/$t" ] && seeds+=("seeds/$t")
  [ -d "$work/$t" ] && seeds+=("$work/$t")
  [ "$t" = pem_blocks ] && seeds+=("seeds/decode_file")
  echo "== $t for ${SECS}s"
  cargo fuzz run "$t" "$corpus" "${seeds[@]}" -- -max_total_time="$SECS" -max_len=65536 2>&1 | grep -E "^#[0-9]+ *DONE|Done|ERROR|panicked|SUMMARY" || true
done
