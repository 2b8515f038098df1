#!/usr/bin/env bash
# Whole-program figures for issue "fast on big stores": read floor vs certdeck vs pyca vs an
# openssl loop on 10,000 one-cert files; peak RSS and full scan on 100,000; TUI first paint and
# bytes per keystroke over a pty. Prints a table; figures belong in README, never in tests.
#   bash bench/run.sh [N_SMALL=10000] [N_BIG=100000]
set -euo pipefail
cd "$(dirname "$0")/.."
N_SMALL=${1:-10000}
N_BIG=${2:-100000}
command -v hyperfine >/dev/null && [ -x /usr/bin/time ] || { apt-get update -qq && apt-get install -y -qq hyperfine time >/dev/null; }
python3 -c 'import cryptography' 2>/dev/null || pip install -q cryptography
cargo build --release --quiet --example genstore
cargo build --release --quiet
BIN=target/release/certdeck
WORK=${BENCH_DIR:-$(mktemp -d)}
S=$WORK/s$N_SMALL; B=$WORK/s$N_BIG
[ -d "$S" ] || target/release/examples/genstore "$S" "$N_SMALL" >/dev/null
[ -d "$B" ] || target/release/examples/genstore "$B" "$N_BIG" >/dev/null
find "$S" -type f -print0 | xargs -0 cat >/dev/null  # warm the page cache

echo "== $N_SMALL one-cert PEM files (one CA signs all), warm cache, $(nproc) cores"
# `certdeck` builds every chain and checks every signature; `--no-verify` does what the pyca
# script does (parse, names, dates, fingerprints; chains by name only).
hyperfine -N --warmup 2 --runs 15 --export-json "$WORK/small.json" \
  -n read-floor "bash -c 'find $S -type f -print0 | xargs -0 -P2 cat >/dev/null'" \
  -n certdeck "$BIN list --json --store $S" \
  -n certdeck-no-verify "$BIN list --json --no-verify --store $S" \
  -n pyca "python3 bench/pyca_inventory.py $S" 2>/dev/null | grep -E "Time|±|^ *[a-z-]+ ran|times faster" || true
python3 - "$WORK/small.json" <<'PY'
import json, sys
r = {x["command"]: x["median"] for x in json.load(open(sys.argv[1]))["results"]}
f, c, n, p = r["read-floor"], r["certdeck"], r["certdeck-no-verify"], r["pyca"]
print(f"median s: read-floor {f:.3f}  certdeck {c:.3f}  certdeck --no-verify {n:.3f}  pyca {p:.3f}")
print(f"--no-verify / read-floor = {n/f:.2f}x   pyca / --no-verify = {p/n:.1f}x")
print(f"verified / read-floor = {c/f:.2f}x   pyca / verified = {p/c:.1f}x")
PY
# What the signature checks alone cost on this CPU: the floor of a verified inventory.
openssl speed -seconds 1 ecdsap256 2>/dev/null | awk -v n="$N_SMALL" -v cores="$(nproc)" \
  '/nistp256/ { printf "openssl speed: %.0f P-256 verifies/s per core -> %.3f s for %d on %d cores\n", $NF, n/$NF/cores, n, cores }'
# openssl x509 per file, sampled (a full loop takes minutes).
SAMPLE=200
t0=$(date +%s.%N)
{ find "$S" -type f || true; } | head -n $SAMPLE | while read -r f; do openssl x509 -in "$f" -noout -subject -enddate -fingerprint -sha256 >/dev/null; done
t1=$(date +%s.%N)
python3 - "$t0" "$t1" "$SAMPLE" "$N_SMALL" "$WORK/small.json" <<'PY'
import json, sys
t0, t1, n, total = float(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
c = {x["command"]: x["median"] for x in json.load(open(sys.argv[5]))["results"]}["certdeck"]
est = (t1 - t0) / n * total
print(f"openssl x509 loop: {(t1-t0)/n*1000:.2f} ms/file sampled on {n}, est. {est:.1f} s for {total} -> {est/c:.0f}x certdeck")
PY

echo "== $N_BIG one-cert PEM files"
find "$B" -type f -print0 | xargs -0 cat >/dev/null
hyperfine -N --warmup 1 --runs 5 --export-json "$WORK/big.json" \
  -n read-floor "bash -c 'find $B -type f -print0 | xargs -0 -P2 cat >/dev/null'" \
  -n certdeck "$BIN list --json --store $B" \
  -n certdeck-no-verify "$BIN list --json --no-verify --store $B" 2>/dev/null | grep -E "Time" || true
python3 - "$WORK/big.json" <<'PY'
import json, sys
r = {x["command"]: x["median"] for x in json.load(open(sys.argv[1]))["results"]}
f = r["read-floor"]
print(f"median s: read-floor {f:.3f}  certdeck {r['certdeck']:.3f} ({r['certdeck']/f:.2f}x)  "
      f"--no-verify {r['certdeck-no-verify']:.3f} ({r['certdeck-no-verify']/f:.2f}x)")
PY
/usr/bin/time -f "peak RSS list --json: %M KiB" "$BIN" list --json --store "$B" >/dev/null
/usr/bin/time -f "peak RSS list --json --no-verify: %M KiB" "$BIN" list --json --no-verify --store "$B" >/dev/null
echo "phases of one list --json (CERTDECK_TIMINGS):"
CERTDECK_TIMINGS=1 "$BIN" list --json --store "$B" 2>&1 >/dev/null | sed 's/^/  /'
echo "== heap held per item (counted with mimalloc's usable sizes)"
cargo run --release --quiet --example heap_profile -- "$B" 2>/dev/null || true
echo "== exporter: render 100,000 certificates (once per change) and one scrape of them (target < 200 ms)"
cargo bench --quiet --bench hot_paths -- exporter 2>/dev/null | grep -E "exporter|fastest" || true
echo "== exporter over $N_BIG certificates: 1,000 scrapes over loopback, VmRSS before and after (flat)"
python3 bench/exporter_rss.py "$BIN" "$B" --scrapes 1000
echo "== one filter keystroke on 100,000 items, update + 80x24 frame (divan, 2 per iteration)"
cargo bench --quiet --bench hot_paths -- filter 2>/dev/null | grep -E "filter|fastest" || true
echo "== TUI over a pty at 80x24 ($N_BIG certs)"
find "$B" -type f -print0 | xargs -0 cat >/dev/null  # the cargo bench build may have evicted it
python3 bench/pty_probe.py "$BIN" "$B" --keys 20 --runs 3
echo "== TUI over a pty at 80x24 ($N_SMALL certs)"
find "$S" -type f -print0 | xargs -0 cat >/dev/null
python3 bench/pty_probe.py "$BIN" "$S" --keys 20 --runs 3
