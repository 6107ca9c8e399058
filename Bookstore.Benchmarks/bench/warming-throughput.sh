#!/usr/bin/env bash
# Warming throughput beside raw Redis, in one script on one redis-server (loopback):
#   1. the write stage of a warming run: the 10,000 goodbooks books through CacheService.SetManyAsync as the worker
#      writes them (one call for the run, each value the API's JSON for the book as cut out of its array), timed from
#      the first write to the last reply; the first full pass (the worker's first run) is printed too, the ratio uses
#      the median of the last 15 of 30 passes. The same books written from Book objects are printed beside it.
#      ROUNDS (3) rounds, each followed at once by redis-benchmark (4.), each with its ratio; the median is the figure;
#   2. with E2E=1 (default), the whole run as the worker does it: the API (Release build, SQLite catalog imported
#      from the same CSV) serves GET /catalog/popular-books?limit=10000, the array is fetched and cut into books,
#      then written as in 1; fetch and write are timed apart;
#   3. the client's ceiling and what narrows it: the same number of SETs from one prebuilt value, pipelined and as
#      one Lua script per batch of 256, then pipelined with the per-batch notification, then with each value encoded;
#   4. redis-benchmark -P 16 -t set with the same value size (the average stored entry).
# The .NET process runs with the worker's runtime settings (server GC, dynamic PGO off: Bookstore.Worker.csproj), read
# from the worker's runtimeconfig.json. Prints each line and the ratios. Needs redis-server, redis-benchmark, curl and
# the goodbooks CSV (../shared/data/goodbooks-10k/books.csv, or BOOKSTORE_GOODBOOKS_CSV).
set -euo pipefail
cd "$(dirname "$0")/../.."

books=${BOOKS:-10000}
e2e=${E2E:-1}
rounds=${ROUNDS:-3}
csv=${BOOKSTORE_GOODBOOKS_CSV:-$(realpath ../shared/data/goodbooks-10k/books.csv)}
server_cpu() { redis-cli -p "$port" info cpu | tr -d '\r' | awk -F: '/^used_cpu_(user|sys):/ { t += $2 } END { printf "%.6f", t }'; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
port=$(free_port)
dir=$(mktemp -d)
api_pid=
cleanup() {
  [[ -n "$api_pid" ]] && kill "$api_pid" 2>/dev/null && wait "$api_pid" 2>/dev/null
  redis-cli -p "$port" shutdown nosave >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap cleanup EXIT
redis-server --port "$port" --bind 127.0.0.1 --save "" --appendonly no --dir "$dir" --daemonize yes --pidfile "$dir/redis.pid" >/dev/null
until redis-cli -p "$port" ping >/dev/null 2>&1; do sleep 0.1; done

echo "load before:     $(uptime)"
dotnet build -c Release Bookstore.Benchmarks -v quiet -nologo >/dev/null
dotnet build -c Release Bookstore.Worker -v quiet -nologo >/dev/null
# The worker's GC and JIT settings, as the runtime's environment variables for the benchmark process (not the API's).
worker_runtime=$(python3 - Bookstore.Worker/bin/Release/net10.0/Bookstore.Worker.runtimeconfig.json <<'PY'
import json, sys
props = json.load(open(sys.argv[1]))["runtimeOptions"].get("configProperties", {})
names = {"System.GC.Server": "DOTNET_gcServer", "System.Runtime.TieredPGO": "DOTNET_TieredPGO",
         "System.Runtime.TieredCompilation": "DOTNET_TieredCompilation"}
print(" ".join(f"{variable}={int(bool(props[name]))}" for name, variable in names.items() if name in props))
PY
)
echo "runtime:         the worker's: ${worker_runtime:-defaults}"
bench="env $worker_runtime dotnet Bookstore.Benchmarks/bin/Release/net10.0/Bookstore.Benchmarks.dll"
raw_set() {
  redis-cli -p "$port" flushall >/dev/null
  redis-benchmark -p "$port" -P 16 -t set -d "$1" -n 200000 -q | tr '\r' '\n' | sed -n 's/^SET: \([0-9.]*\) requests per second.*/\1/p' | tail -n 1
}
# Rounds of the write stage and, right after it, redis-benchmark: the machine's speed drifts by tens of percent over
# a minute here, so each ratio compares two measurements taken seconds apart; the median of the rounds is the figure.
ratios=()
objects_ratios=()
for round in $(seq 1 "$rounds"); do
  cpu0=$(server_cpu)
  ours=$($bench warm-throughput "127.0.0.1:$port" "$books")
  cpu1=$(server_cpu)
  size=$(sed -n 's/.*avg_value_bytes=\([0-9]*\).*/\1/p' <<<"$ours")
  per_second=$(sed -n 's/.* items_per_sec=\([0-9]*\).*/\1/p' <<<"$ours")
  objects_per_second=$(sed -n 's/.* from_objects_items_per_sec=\([0-9]*\).*/\1/p' <<<"$ours")
  raw=$(raw_set "$size")
  echo "round $round write stage: $ours"
  # The run writes 500 warm-up books, then the books in one cold and thirty warm passes, from JSON and from objects, then once more.
  python3 -c "print(f'                 redis-server CPU per written book: {($cpu1 - $cpu0) * 1e6 / (($books * 31 + 500) * 2 + $books):.1f} us')"
  echo "round $round redis-benchmark: -P 16 -t set -d $size: $raw SET/s"
  ratios+=("$(python3 -c "print(f'{$per_second/$raw:.3f}')")")
  objects_ratios+=("$(python3 -c "print(f'{$objects_per_second/$raw:.3f}')")")
  echo "round $round ratio: ${ratios[-1]} (from objects ${objects_ratios[-1]})"
done

# The client's ceiling, in a run of its own: the same number of SETs from values built beforehand (no encoding),
# pipelined as the bulk writer sends them and as one Lua script call per batch of 256.
echo "prebuilt SETs:   $(BENCH_PREBUILT=1 $bench warm-throughput "127.0.0.1:$port" "$books" | grep '^prebuilt_')"

if [[ "$e2e" == 1 ]]; then
  dotnet build -c Release Bookstore.Api -v quiet -nologo >/dev/null
  api_port=$(free_port)
  export ConnectionStrings__cache="127.0.0.1:$port" ConnectionStrings__catalog="Data Source=$dir/catalog.db"
  export Bookstore__Catalog__Seed=false Bookstore__Redis__EnableMonitoring=false ASPNETCORE_ENVIRONMENT=Development
  export Bookstore__Security__AdminApiKey BOOKSTORE_ADMIN_API_KEY
  Bookstore__Security__AdminApiKey=$(python3 -c 'import secrets; print(secrets.token_hex(16))')
  BOOKSTORE_ADMIN_API_KEY=$Bookstore__Security__AdminApiKey
  dotnet Bookstore.Api/bin/Release/net10.0/Bookstore.Api.dll import "$csv" >"$dir/import.log" 2>&1
  ASPNETCORE_URLS="http://127.0.0.1:$api_port" dotnet Bookstore.Api/bin/Release/net10.0/Bookstore.Api.dll >"$dir/api.log" 2>&1 &
  api_pid=$!
  for _ in $(seq 1 600); do curl -fs "http://127.0.0.1:$api_port/alive" >/dev/null 2>&1 && break; sleep 0.1; done
  whole=$($bench warm-throughput "127.0.0.1:$port" "$books" "http://127.0.0.1:$api_port")
  echo "end to end:      $(tr '\n' ' ' <<<"$whole")"
  e2e_per_second=$(sed -n 's/.*end_to_end_items_per_sec=\([0-9]*\).*/\1/p' <<<"$whole")
fi

cpu0=$(server_cpu)
raw=$(raw_set "$size")
cpu1=$(server_cpu)
echo "redis-benchmark: -P 16 -t set -d $size: $raw SET/s"
python3 -c "print(f'                 redis-server CPU per SET: {($cpu1 - $cpu0) * 1e6 / 200000:.1f} us')"
median() { printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
echo "ratio (write stage):  $(median "${ratios[@]}") median of ${ratios[*]} (items/s / raw SET/s, each round against its own redis-benchmark; target >= 0.4)"
echo "ratio (from objects): $(median "${objects_ratios[@]}") median of ${objects_ratios[*]} (the same books encoded from Book objects)"
if [[ "$e2e" == 1 ]]; then
  python3 -c "print(f'ratio (end to end):   {${e2e_per_second}/${raw}:.3f} (against the redis-benchmark just above)')"
fi
echo "load after:      $(uptime)"
