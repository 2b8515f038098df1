#!/usr/bin/env bash
# One ACME issuance (new account, one name, http-01 standalone) with certdeck vs certbot
# `certonly --standalone`, on the same Pebble on loopback (../shared/ACME-TESTING.md). Runs
# alternate between the two, each in a fresh directory (so each registers its account);
# prints the medians and the ratio. Target: certdeck <= half of certbot's time.
#   bash bench/acme_vs_certbot.sh [RUNS=7]
#   CERTDECK_BIN=target/debug/certdeck bash bench/acme_vs_certbot.sh   # another build
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-7}
BIN=${CERTDECK_BIN:-target/release/certdeck}
[ -n "${CERTDECK_BIN:-}" ] || cargo build --release --quiet
command -v pebble >/dev/null && command -v certbot >/dev/null ||
  { apt-get update -qq && apt-get install -y -qq pebble certbot >/dev/null; }
W=$(mktemp -d)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$W"; }
trap cleanup EXIT

# Pebble's API certificate (the package ships none) and random free loopback ports.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$W/ca.key" \
  -out "$W/ca.pem" -days 2 -subj "/CN=bench pebble ca" -addext basicConstraints=critical,CA:TRUE \
  -addext keyUsage=critical,keyCertSign 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$W/api.key" \
  -out "$W/api.csr" -subj /CN=localhost 2>/dev/null
openssl x509 -req -in "$W/api.csr" -CA "$W/ca.pem" -CAkey "$W/ca.key" -CAcreateserial \
  -out "$W/api.pem" -days 2 -extfile <(echo "subjectAltName=DNS:localhost,IP:127.0.0.1") 2>/dev/null
read -r API MGMT HTTP TLS DNS CHALL < <(python3 -c '
import socket
ss = [socket.socket() for _ in range(6)]
for s in ss: s.bind(("127.0.0.1", 0))
print(*[s.getsockname()[1] for s in ss])')
cat >"$W/cfg.json" <<EOF
{"pebble": {"listenAddress": "127.0.0.1:$API", "managementListenAddress": "127.0.0.1:$MGMT",
 "certificate": "$W/api.pem", "privateKey": "$W/api.key", "httpPort": $HTTP, "tlsPort": $TLS,
 "ocspResponderURL": "", "externalAccountBindingRequired": false, "certificateValidityPeriod": 7776000}}
EOF
pebble-challtestsrv -defaultIPv4 127.0.0.1 -defaultIPv6 "" -dns01 "127.0.0.1:$DNS" -http01 "" \
  -https01 "" -tlsalpn01 "" -management "127.0.0.1:$CHALL" >/dev/null 2>&1 &
PIDS+=($!)
PEBBLE_VA_NOSLEEP=1 PEBBLE_WFE_NONCEREJECT=0 pebble -config "$W/cfg.json" \
  -dnsserver "127.0.0.1:$DNS" -strict=false >"$W/pebble.log" 2>&1 &
PIDS+=($!)
DIRURL="https://127.0.0.1:$API/dir"
for _ in $(seq 100); do curl -sf --cacert "$W/ca.pem" "$DIRURL" >/dev/null && break; sleep 0.1; done

now() { date +%s.%N; }
: >"$W/certdeck.t"
: >"$W/certbot.t"
for i in $(seq "$RUNS"); do
  D=$W/cd$i
  mkdir -p "$D/store"
  t0=$(now)
  "$BIN" --store "$D/store" acme issue "n$i" --domain "cd$i.test" --server "$DIRURL" \
    --ca-bundle "$W/ca.pem" --agree-tos --email admin@a.test \
    --http-01-standalone "127.0.0.1:$HTTP" >"$D/out" 2>&1 || { cat "$D/out"; exit 1; }
  t1=$(now)
  awk -v a="$t0" -v b="$t1" "BEGIN{print b-a}" >>"$W/certdeck.t"
  D=$W/cb$i
  mkdir -p "$D"
  t0=$(now)
  REQUESTS_CA_BUNDLE=$W/ca.pem certbot certonly --config-dir "$D/le" --work-dir "$D/work" \
    --logs-dir "$D/logs" --standalone --http-01-port "$HTTP" --http-01-address 127.0.0.1 \
    --server "$DIRURL" --agree-tos -m admin@a.test -d "cb$i.test" --non-interactive \
    >"$D/out" 2>&1 || { cat "$D/out"; exit 1; }
  t1=$(now)
  awk -v a="$t0" -v b="$t1" "BEGIN{print b-a}" >>"$W/certbot.t"
  test -s "$W/cd$i/store/acme/n$i/fullchain.pem" && test -s "$D/le/live/cb$i.test/fullchain.pem"
done
python3 - "$W/certdeck.t" "$W/certbot.t" "$BIN" <<'PY'
import statistics, sys
cd = [float(x) for x in open(sys.argv[1])]
cb = [float(x) for x in open(sys.argv[2])]
fmt = lambda v: " ".join(f"{x:.2f}" for x in v)
print(f"== one issuance on Pebble (new account, 1 name, http-01 standalone), {len(cd)} runs each")
print(f"certdeck ({sys.argv[3]}): median {statistics.median(cd):.3f} s  [{fmt(cd)}]")
print(f"certbot certonly --standalone: median {statistics.median(cb):.3f} s  [{fmt(cb)}]")
r = statistics.median(cd) / statistics.median(cb)
print(f"certdeck / certbot = {r:.2f} (target <= 0.50: {'met' if r <= 0.5 else 'NOT met'})")
PY
