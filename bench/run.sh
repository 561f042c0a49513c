#!/usr/bin/env bash
# Measures thingsim's load path against vegeta on this machine, in one run: both drive the same
# local HTTPS receiver, which verifies every token, at the same concurrency for the same time, in
# alternating rounds; prints each round and the median of the paired ratios. Then the memory of a
# million-message run, how well an open-loop rate is held, and what a shard and its result cost.
#
#   bench/run.sh [ROUNDS] [SECONDS]        (default 3 rounds of 10 s; CI does not run this)
#   BENCH_RATES="0 2000" bench/run.sh     (the paces: 0 is the closed loop; default 0 200 2000 20000)
#   BENCH_EXTRA=0 bench/run.sh            (without the million-message, 30 s open-loop and shard runs)
#
# Needs Go, GNU time (/usr/bin/time), jq and bc; vegeta is installed with go install.
set -euo pipefail
rounds=${1:-3}
secs=${2:-10}
conc=64
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
cd "$work"

for tool in /usr/bin/time jq bc; do
  command -v "$tool" >/dev/null || { echo "bench: $tool is missing (apt-get install time jq bc)" >&2; exit 2; }
done
echo "building thingsim, the receiver and vegeta v12.13.0 ..."
(cd "$root" && go build -o "$work/thingsim" ./cmd/thingsim && go build -o "$work/receiver" ./bench/receiver &&
  go build -o "$work/floor" ./bench/floor)
GOBIN="$work" go install github.com/tsenart/vegeta/v12@v12.13.0

printf '%s\n' 'Kp7#ThingsTestSecret:2024/abcXYZ!' > secret
./receiver -secret-file secret -ca-out ca.pem -url-out url >receiver.out 2>&1 &
receiver=$!
for _ in $(seq 100); do [ -s url ] && break; sleep 0.05; done
url=$(cat url)
plug=fbc063cb-4dd4-41b3-917a-e2d1ea907f75

# vegeta sends one static signed body (it cannot sign changing ones); thingsim generates, signs and
# encodes every message as it goes.
printf '%s' '[{"bn":"urn:dev:DEVEUI:0123456789ABCDEF:","bt":1.58565075E9},{"n":"temperature","u":"Cel","v":20.5},{"n":"humidity","u":"%RH","v":51.0},{"n":"batteryVoltage","u":"V","v":3.6}]' > body.json
token=$(./thingsim sign --secret-file secret body.json)
cat > targets.txt <<TARGETS
POST $url
Things-Plug-UUID: $plug
Things-Message-Token: $token
Content-type: application/json
@body.json
TARGETS

load() { awk '{print $1}' /proc/loadavg; }
# A round of either tool: closed loop at $conc in flight when RATE is 0, otherwise RATE a second.
round_thingsim() {
  local rate=${1:-0} pace=(--concurrency $conc)
  [ "$rate" != 0 ] && pace=(--rate "$rate/s")
  /usr/bin/time -f '%U %S %M' -o time.txt ./thingsim send --url "$url" --ca-file ca.pem --relax --secret-file secret \
    --plug-uuid "$plug" --devices 5000 "${pace[@]}" --duration "${secs}s" --output json --message-lines none 2>/dev/null |
    tail -n 1 > summary.json
  read -r user sys rss < time.txt
  msgs=$(jq .delivered summary.json); rate=$(jq .rate summary.json)
  echo "$rate $(echo "($user + $sys) * 1000000 / $msgs" | bc -l) $rss $msgs"
}
round_vegeta() {
  local rate=${1:-0} pace=(-rate 0 -workers $conc -max-workers $conc)
  [ "$rate" != 0 ] && pace=(-rate "$rate/s")
  /usr/bin/time -f '%U %S %M' -o time.txt ./vegeta attack -targets targets.txt "${pace[@]}" \
    -duration "${secs}s" -http2=false -keepalive=true -root-certs ca.pem > results.bin
  ./vegeta report -type json < results.bin > report.json
  read -r user sys rss < time.txt
  msgs=$(jq '.status_codes["200"] // 0' report.json); rate=$(jq .throughput report.json)
  echo "$rate $(echo "($user + $sys) * 1000000 / $msgs" | bc -l) $rss $msgs"
}

# The floor at a fixed rate: the least a Go sender pays here for a message (bench/floor).
round_floor() {
  ./floor -url "$url" -ca ca.pem -rate "$1" -duration "${secs}s" -body body.json \
    -header "Things-Plug-UUID: $plug" -header "Things-Message-Token: $token" -header 'Content-Type: application/json' |
    awk '{print $2, $3, "-", $1}'
}

median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
# Paired rounds at one pace (0: closed loop), alternating the tools; prints each round and the
# medians of the paired ratios.
paired() {
  local rate=$1 r l1 l2 t_rate t_cpu t_rss t_msgs v_rate v_cpu v_rss v_msgs f_rate f_cpu f_rss f_msgs
  local ratios_rate=() ratios_cpu=() ratios_floor=() ratios_tfloor=()
  if [ "$rate" = 0 ]; then echo; echo "closed loop, $conc in flight:"; else echo; echo "open loop, $rate/s:"; fi
  printf '%-6s %-9s %12s %14s %10s %6s\n' round tool msgs/s "cpu µs/msg" "rss KB" load
  for r in $(seq "$rounds"); do
    l1=$(load); read -r t_rate t_cpu t_rss t_msgs < <(round_thingsim "$rate")
    l2=$(load); read -r v_rate v_cpu v_rss v_msgs < <(round_vegeta "$rate")
    printf '%-6s %-9s %12.0f %14.1f %10s %6s\n' "$r" thingsim "$t_rate" "$t_cpu" "$t_rss" "$l1"
    printf '%-6s %-9s %12.0f %14.1f %10s %6s\n' "$r" vegeta "$v_rate" "$v_cpu" "$v_rss" "$l2"
    if [ "$rate" != 0 ]; then
      read -r f_rate f_cpu f_rss f_msgs < <(round_floor "$rate")
      printf '%-6s %-9s %12.0f %14.1f %10s %6s\n' "$r" floor "$f_rate" "$f_cpu" "$f_rss" "$(load)"
      ratios_floor+=("$(echo "$f_cpu / $v_cpu" | bc -l)")
      ratios_tfloor+=("$(echo "$t_cpu / $f_cpu" | bc -l)")
    fi
    if (( $(echo "$l1 > 3 || $l2 > 3" | bc -l) )); then
      echo "       (round $r: the machine was busy before it started, load $l1/$l2; its figures are suspect)"
    fi
    ratios_rate+=("$(echo "$t_rate / $v_rate" | bc -l)")
    ratios_cpu+=("$(echo "$t_cpu / $v_cpu" | bc -l)")
  done
  if [ "$rate" = 0 ]; then
    printf 'median of paired ratios, thingsim / vegeta: throughput %.2fx, CPU per message %.2fx (goal <= 0.45)\n' \
      "$(median "${ratios_rate[@]}")" "$(median "${ratios_cpu[@]}")"
  else
    printf 'median of paired ratios, thingsim / vegeta: throughput %.2fx, CPU per message %.2fx\n' \
      "$(median "${ratios_rate[@]}")" "$(median "${ratios_cpu[@]}")"
    printf 'median of paired ratios, floor / vegeta: CPU per message %.2fx (bench/floor: one goroutine, one connection, no work but the message)\n' \
      "$(median "${ratios_floor[@]}")"
    printf 'median of the rounds, thingsim / floor: CPU per message %.2fx (goal <= 1.25 at 200/s)\n' \
      "$(median "${ratios_tfloor[@]}")"
  fi
}
for rate in ${BENCH_RATES:-0 200 2000 20000}; do
  paired "$rate"
done

if [ "${BENCH_EXTRA:-1}" = 1 ]; then
echo
echo "a million messages at concurrency $conc (memory):"
/usr/bin/time -f '%M' -o time.txt ./thingsim send --url "$url" --ca-file ca.pem --relax --secret-file secret --plug-uuid "$plug" \
  --devices 5000 --concurrency $conc --count 1e6 --output json --message-lines none 2>/dev/null | tail -n 1 > summary.json
echo "  delivered $(jq .delivered summary.json) at $(jq .rate summary.json)/s; peak RSS $(( $(cat time.txt) / 1024 )) MB (goal < 50 MB)"

echo
echo "open loop, 2000/s for 30 s:"
./thingsim send --url "$url" --ca-file ca.pem --relax --secret-file secret --plug-uuid "$plug" --devices 5000 \
  --rate 2000/s --duration 30s --output json --message-lines none 2>/dev/null | tail -n 1 > summary.json
jq -r '"  sent \(.messages) (60000 scheduled) at \(.rate)/s, delivered \(.delivered); latency p50 \(.latency_ms.p50) p90 \(.latency_ms.p90) p99 \(.latency_ms.p99) p99.9 \(.latency_ms.p99_9) max \(.latency_ms.max) ms"' summary.json


echo
echo "an endpoint that answers in 100 ms (thingsim receive --delay 100ms), 500/s for 5 s, twice:"
printf '%s' 'Kp7#ThingsTestSecret:2024/abcXYZ!' > slow-secret
./thingsim receive --secret-file slow-secret --listen 127.0.0.1:0 --url-out slow-url --ca-out slow-ca.pem --delay 100ms >/dev/null 2>&1 &
slow=$!
for _ in $(seq 100); do [ -s slow-url ] && break; sleep 0.05; done
for _ in 1 2; do
  ./thingsim send --url "$(cat slow-url)" --ca-file slow-ca.pem --relax --secret-file slow-secret --rate 500/s --duration 5s \
    --output json --message-lines none 2>/dev/null | tail -n 1 > summary.json
  jq -r '"  sent \(.messages) at \(.rate)/s; latency p50 \(.latency_ms.p50) p90 \(.latency_ms.p90) p99 \(.latency_ms.p99) max \(.latency_ms.max) ms (the endpoint: 100 ms)"' summary.json
done
kill -TERM "$slow"; wait "$slow" 2>/dev/null || true

echo
echo "a shard and its result (closed loop, $conc in flight, 1,000 devices; the same 300,000 messages' worth):"
# The whole run against shard 1 of 4 of a run four times its size, which sends as many messages
# and writes its mergeable result; in pairs, the first of a pair taking turns.
shard_ratios=() wholes=()
printf '%-6s %-24s %14s %8s\n' round run "cpu µs/msg" msgs
for r in $(seq "$rounds"); do
  order=(whole shard); (( r % 2 == 0 )) && order=(shard whole)
  for which in "${order[@]}"; do
    args=(--count 300000); [ "$which" = shard ] && args=(--count 1200000 --shard 1/4 --result result.json)
    /usr/bin/time -f '%U %S' -o time.txt ./thingsim send --url "$url" --ca-file ca.pem --relax --secret-file secret \
      --plug-uuid "$plug" --devices 1000 --concurrency $conc "${args[@]}" --output json --message-lines none 2>/dev/null |
      grep '"event":"summary"' > summary.json
    read -r user sys < time.txt
    msgs=$(jq .delivered summary.json)
    cpu=$(echo "($user + $sys) * 1000000 / $msgs" | bc -l)
    label=whole; [ "$which" = shard ] && label="shard 1/4, --result"
    printf '%-6s %-24s %14.1f %8s\n' "$r" "$label" "$cpu" "$msgs"
    if [ "$which" = whole ]; then whole_cpu=$cpu; wholes+=("$cpu"); else shard_cpu=$cpu; fi
  done
  shard_ratios+=("$(echo "$shard_cpu / $whole_cpu" | bc -l)")
done
lo=$(printf '%s\n' "${wholes[@]}" | sort -g | head -n 1); hi=$(printf '%s\n' "${wholes[@]}" | sort -g | tail -n 1)
printf 'median of paired ratios, shard with --result / whole run: CPU per message %.2fx (goal: no cost beyond the whole runs'"'"' own spread, %.1f-%.1f µs, %.0f%%)\n' \
  "$(median "${shard_ratios[@]}")" "$lo" "$hi" "$(echo "($hi - $lo) * 100 / $lo" | bc -l)"
fi
kill -TERM "$receiver"; wait "$receiver" 2>/dev/null || true
echo
echo "receiver: $(cat receiver.out)"
