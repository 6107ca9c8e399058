#!/usr/bin/env bash
# The read path a user feels, whole, in one run: the API (Release, Production, shipped settings) for an L1 hit, an L2
# hit, a list page, misses over the 10,000 goodbooks books and over the 52 seeded ones, the same reads with the cache
# bypassed; beside it a bare Kestrel endpoint answering the same bytes (A), the same app with AddServiceDefaults (B),
# and RedisService's GETs against redis-benchmark at the same value size. Targets interleaved in rounds, medians printed
# as one table (and written as JSON). Needs wrk, redis-server and redis-tools (Debian: wrk, redis-server, redis-tools),
# python3 and the goodbooks CSV (../shared/data/goodbooks-10k/books.csv or BOOKSTORE_GOODBOOKS_CSV).
# Settings: ROUNDS DURATION WARMUP CONNECTIONS REDIS_SOAK MEMORY CONFIGURATION JSON_OUT NO_BUILD (read_path.py says more).
set -euo pipefail
cd "$(dirname "$0")/../.."
configuration=${CONFIGURATION:-Release}
if [[ "${NO_BUILD:-0}" != 1 ]]; then
  dotnet build -c "$configuration" Bookstore.Api -v quiet -nologo >/dev/null
  dotnet build -c "$configuration" Bookstore.Benchmarks -v quiet -nologo >/dev/null
fi
if [[ "${MEMORY:-1}" == 1 ]] && ! command -v dotnet-gcdump >/dev/null && [[ ! -x "$HOME/.dotnet/tools/dotnet-gcdump" ]]; then
  dotnet tool install -g dotnet-gcdump >/dev/null
fi
CONFIGURATION=$configuration exec python3 Bookstore.Benchmarks/bench/read_path.py
