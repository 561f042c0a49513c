#!/usr/bin/env bash
# Measures what the inspector page costs the endpoint: receive's rate under a closed-loop send,
# without --ui, then with --ui and the page open in headless Chromium, in alternating rounds;
# prints each round and the median ratio (goal: at least 0.8). Then the same with a page that is
# stuck (a stream that is never read), which must not slow the endpoint either.
#
#   bench/inspector.sh [ROUNDS] [SECONDS]     (default 3 rounds of 10 s; CI does not run this)
#
# Needs Go, jq, bc and chromium.
set -euo pipefail
rounds=${1:-3}
secs=${2:-10}
conc=${BENCH_CONCURRENCY:-32}
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
cd "$work"
for tool in jq bc chromium; do
  command -v "$tool" >/dev/null || { echo "bench: $tool is missing" >&2; exit 2; }
done
(cd "$root" && go build -o "$work/thingsim" ./cmd/thingsim)
printf '%s\n' 'Kp7#ThingsTestSecret:2024/abcXYZ!' > secret

# round MODE: receive (with the page open, stuck, or none) under send for $secs; prints messages/s.
round() {
  local mode=$1 ui=() page=
  rm -f url ui
  [ "$mode" != none ] && ui=(--ui --ui-listen 127.0.0.1:0 --ui-url-out ui)
  ./thingsim receive --secret-file secret --listen 127.0.0.1:0 --url-out url --ca-out ca.pem "${ui[@]}" >/dev/null 2>&1 &
  local receiver=$!
  for _ in $(seq 100); do [ -s url ] && { [ "$mode" = none ] || [ -s ui ]; } && break; sleep 0.05; done
  case $mode in
  page)
    chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking \
      --disable-component-update --disable-sync --user-data-dir="$work/profile" --remote-debugging-port=0 "$(cat ui)" >/dev/null 2>&1 &
    page=$!
    sleep 2 ;;
  stuck)
    # A client that opens the live stream and never reads it.
    python3 -c 'import socket,sys,time; h,p=sys.argv[1].split("//")[1].rstrip("/").split(":"); s=socket.create_connection((h,int(p))); s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096); s.sendall(b"GET /api/events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"); time.sleep(3600)' "$(cat ui)" &
    page=$!
    sleep 0.5 ;;
  esac
  ./thingsim send --url "$(cat url)/things" --ca-file ca.pem --relax --secret-file secret --devices 500 \
    --concurrency "$conc" --duration "${secs}s" --output json --message-lines none 2>/dev/null | tail -n 1 | jq .rate
  [ -n "$page" ] && { kill "$page"; wait "$page" 2>/dev/null || true; }
  kill -INT "$receiver"; wait "$receiver" 2>/dev/null || true
}

median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
page_ratios=() stuck_ratios=()
printf '%-6s %12s %12s %12s\n' round "no page/s" "page open/s" "stuck/s"
for r in $(seq "$rounds"); do
  none=$(round none); open=$(round page); stuck=$(round stuck)
  printf '%-6s %12.0f %12.0f %12.0f\n' "$r" "$none" "$open" "$stuck"
  page_ratios+=("$(echo "$open / $none" | bc -l)")
  stuck_ratios+=("$(echo "$stuck / $none" | bc -l)")
done
printf 'median ratio to no page: page open %.2f, stuck stream %.2f (goal >= 0.8)\n' "$(median "${page_ratios[@]}")" "$(median "${stuck_ratios[@]}")"
