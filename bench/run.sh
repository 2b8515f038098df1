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

echo "== $N_SMALL one-cert PEM files, warm cache, $(nproc) cores"
hyperfine -N --warmup 2 --runs 10 --export-json "$WORK/small.json" \
  -n read-floor "bash -c 'find $S -type f -print0 | xargs -0 -P2 cat >/dev/null'" \
  -n certdeck "$BIN list --json --store $S" \
  -n pyca "python3 bench/pyca_inventory.py $S" 2>/dev/null | grep -E "Time|±|^ *[a-z-]+ ran|times faster" || true
python3 - "$WORK/small.json" <<'PY'
import json, sys
r = {x["command"]: x["median"] for x in json.load(open(sys.argv[1]))["results"]}
f, c, p = r["read-floor"], r["certdeck"], r["pyca"]
print(f"median s: read-floor {f:.3f}  certdeck {c:.3f}  pyca {p:.3f}")
print(f"certdeck / read-floor = {c/f:.2f}x   pyca / certdeck = {p/c:.1f}x")
PY
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
hyperfine -N --warmup 1 --runs 3 --export-json "$WORK/big.json" \
  -n read-floor "bash -c 'find $B -type f -print0 | xargs -0 -P2 cat >/dev/null'" \
  -n certdeck "$BIN list --json --store $B" 2>/dev/null | grep -E "Time" || true
python3 - "$WORK/big.json" <<'PY'
import json, sys
r = {x["command"]: x["median"] for x in json.load(open(sys.argv[1]))["results"]}
print(f"median s: read-floor {r['read-floor']:.3f}  certdeck {r['certdeck']:.3f}  ratio {r['certdeck']/r['read-floor']:.2f}x")
PY
/usr/bin/time -f "peak RSS list --json: %M KiB" "$BIN" list --json --store "$B" >/dev/null
echo "== TUI over a pty at 80x24 ($N_BIG certs)"
python3 bench/pty_probe.py "$BIN" "$B" --keys 20
echo "== TUI over a pty at 80x24 ($N_SMALL certs)"
python3 bench/pty_probe.py "$BIN" "$S" --keys 20
