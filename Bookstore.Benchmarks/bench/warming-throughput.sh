#!/usr/bin/env bash
# Warming throughput beside raw Redis, in one script on one redis-server:
#   1. the write stage of a warming run: the 10,000 goodbooks books through CacheService.SetManyAsync
#      (chunks of 2,048, pipelined batches of 256), timed from the first write to the last reply;
#   2. redis-benchmark -P 16 -t set with the same value size.
# Prints both and their ratio. Needs redis-server, redis-benchmark and the goodbooks CSV
# (../shared/data/goodbooks-10k/books.csv, or BOOKSTORE_GOODBOOKS_CSV).
set -euo pipefail
cd "$(dirname "$0")/../.."

books=${BOOKS:-10000}
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
dir=$(mktemp -d)
redis-server --port "$port" --bind 127.0.0.1 --save "" --appendonly no --dir "$dir" --daemonize yes --pidfile "$dir/redis.pid" >/dev/null
trap 'redis-cli -p "$port" shutdown nosave >/dev/null 2>&1 || true; rm -rf "$dir"' EXIT
until redis-cli -p "$port" ping >/dev/null 2>&1; do sleep 0.1; done

dotnet build -c Release Bookstore.Benchmarks -v quiet -nologo >/dev/null
ours=$(dotnet Bookstore.Benchmarks/bin/Release/net10.0/Bookstore.Benchmarks.dll warm-throughput "127.0.0.1:$port" "$books")
echo "warming:         $ours"
size=$(sed -n 's/.*avg_value_bytes=\([0-9]*\).*/\1/p' <<<"$ours")
per_second=$(sed -n 's/.*items_per_sec=\([0-9]*\).*/\1/p' <<<"$ours")

redis-cli -p "$port" flushall >/dev/null
raw=$(redis-benchmark -p "$port" -P 16 -t set -d "$size" -n 200000 -q | tr '\r' '\n' | sed -n 's/^SET: \([0-9.]*\) requests per second.*/\1/p' | tail -n 1)
echo "redis-benchmark: -P 16 -t set -d $size: $raw SET/s"
python3 -c "print(f'ratio:           {${per_second}/${raw}:.3f} (warming items/s / raw SET/s; target >= 0.4)')"
