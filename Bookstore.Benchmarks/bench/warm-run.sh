#!/usr/bin/env bash
# The warm run a user gets, whole, on one loopback redis-server:
#   1. RUNS (5) cold runs: Redis emptied, the worker (Release, Production, as shipped) started fresh with TopBooks=BOOKS
#      (10,000) against the API (Release, Production, SQLite catalog imported from the goodbooks CSV). Each run is read
#      from the worker's GET /warming: the run (fetch start to the last write acknowledged and the batch's L1-drop
#      message sent), its fetch stage (request to the array cut into books) and its write stage, and the time from the
#      worker's process start to the run's end. Redis must hold every book afterwards.
#   2. The API's bulk read of the same books (its own catalog store, EF Core) against a plain Microsoft.Data.Sqlite reader
#      of the same rows, in one process, ROUNDS (15) alternating rounds, medians.
# Targets (issue 15): a cold run <= 1 s, its write stage <= its fetch stage, the store's read <= 2x the plain reader.
# Needs redis-server, redis-cli, curl, python3 and the goodbooks CSV (../shared/data/goodbooks-10k/books.csv, or
# BOOKSTORE_GOODBOOKS_CSV).
set -euo pipefail
cd "$(dirname "$0")/../.."

books=${BOOKS:-10000}
runs=${RUNS:-5}
rounds=${ROUNDS:-15}
csv=${BOOKSTORE_GOODBOOKS_CSV:-$(realpath ../shared/data/goodbooks-10k/books.csv)}
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
port=$(free_port)
dir=$(mktemp -d)
api_pid=
worker_pid=
cleanup() {
  [[ -n "$worker_pid" ]] && kill "$worker_pid" 2>/dev/null && wait "$worker_pid" 2>/dev/null
  [[ -n "$api_pid" ]] && kill "$api_pid" 2>/dev/null && wait "$api_pid" 2>/dev/null
  redis-cli -p "$port" shutdown nosave >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap cleanup EXIT
redis-server --port "$port" --bind 127.0.0.1 --save "" --appendonly no --dir "$dir" --daemonize yes --pidfile "$dir/redis.pid" >/dev/null
until redis-cli -p "$port" ping >/dev/null 2>&1; do sleep 0.1; done

echo "load before: $(uptime)"
for project in Bookstore.Api Bookstore.Worker Bookstore.Benchmarks; do
  dotnet build -c Release "$project" -v quiet -nologo >/dev/null
done

export ConnectionStrings__cache="127.0.0.1:$port" ConnectionStrings__catalog="Data Source=$dir/catalog.db"
# The benchmark configuration: no rate limits (the runs read the API from one address far faster than a reader would).
export Bookstore__Catalog__Seed=false Bookstore__Redis__EnableMonitoring=false Bookstore__RateLimits__Enabled=false
export DOTNET_ENVIRONMENT=Production ASPNETCORE_ENVIRONMENT=Production
# One admin key for the API (the worker's /catalog reads) and the worker (its /warming endpoints), as the AppHost gives both.
export Bookstore__Security__AdminApiKey
Bookstore__Security__AdminApiKey=$(python3 -c 'import secrets; print(secrets.token_hex(16))')
dotnet Bookstore.Api/bin/Release/net10.0/Bookstore.Api.dll import "$csv" >"$dir/import.log" 2>&1
api_port=$(free_port)
api_management=$(free_port)
(cd Bookstore.Api/bin/Release/net10.0 && exec env ASPNETCORE_URLS="http://127.0.0.1:$api_port;http://127.0.0.1:$api_management" \
  Bookstore__Management__Port="$api_management" dotnet Bookstore.Api.dll) >"$dir/api.log" 2>&1 &
api_pid=$!
for _ in $(seq 1 600); do curl -fs -o /dev/null "http://127.0.0.1:$api_port/books/1" && break; sleep 0.1; done
# A running API: its first bulk reads are JIT, tier-up and connection setup, which a worker's run meets only in the
# first minutes after an API deployment. Five reads here, so the runs below measure what the API answers once it runs.
for _ in 1 2 3 4 5; do
  curl -fs -o /dev/null -H "X-Api-Key: $Bookstore__Security__AdminApiKey" "http://127.0.0.1:$api_port/catalog/popular-books?limit=$books"
done

results="$dir/runs.jsonl"
for run in $(seq 1 "$runs"); do
  redis-cli -p "$port" flushall >/dev/null
  worker_port=$(free_port)
  worker_management=$(free_port)
  started=$(python3 -c 'import time; print(time.time())')
  (cd Bookstore.Worker/bin/Release/net10.0 && exec env ASPNETCORE_URLS="http://127.0.0.1:$worker_port;http://127.0.0.1:$worker_management" \
    Bookstore__Management__Port="$worker_management" \
    Bookstore__Warming__TopBooks="$books" Bookstore__Warming__ActiveReaders=0 Bookstore__Warming__ListPages=0 \
    Bookstore__Warming__IntervalMinutes=60 Bookstore__Warming__CatalogUrl="http://127.0.0.1:$api_port" \
    ${WORKER_ENV:-} dotnet Bookstore.Worker.dll) >"$dir/worker-$run.log" 2>&1 &
  worker_pid=$!
  status=
  for _ in $(seq 1 1500); do
    status=$(curl -fs -H "X-Api-Key: $Bookstore__Security__AdminApiKey" "http://127.0.0.1:$worker_port/warming" 2>/dev/null || true)
    [[ "$status" == *'"runs":1'* ]] && break
    sleep 0.02
  done
  keys=$(redis-cli -p "$port" dbsize)
  # The same worker's next run (what every run after the first gets, every IntervalMinutes): JIT done, connections open.
  curl -fs -o /dev/null -X POST -H "X-Api-Key: $Bookstore__Security__AdminApiKey" "http://127.0.0.1:$worker_port/warming/run"
  again=
  for _ in $(seq 1 1500); do
    again=$(curl -fs -H "X-Api-Key: $Bookstore__Security__AdminApiKey" "http://127.0.0.1:$worker_port/warming" 2>/dev/null || true)
    [[ "$again" == *'"runs":2'* ]] && break
    sleep 0.02
  done
  kill "$worker_pid"; wait "$worker_pid" 2>/dev/null || true
  worker_pid=
  python3 - "$started" "$keys" "$status" "$again" >>"$results" <<'PY'
import json, sys, datetime
started, keys, status, again = float(sys.argv[1]), int(sys.argv[2]), json.loads(sys.argv[3]), json.loads(sys.argv[4])
done = datetime.datetime.fromisoformat(status["lastCompletedAt"]).timestamp()
print(json.dumps({"run": status["lastDurationSeconds"], "fetch": status["lastFetchSeconds"], "write": status["lastWriteSeconds"],
                  "process": done - started, "warmed": status["lastWarmed"], "failed": status["lastFailed"], "keys": keys,
                  "next_run": again["lastDurationSeconds"], "next_fetch": again["lastFetchSeconds"], "next_write": again["lastWriteSeconds"]}))
PY
  echo "cold run $run: $(tail -n 1 "$results")"
done

bulk=$(dotnet Bookstore.Benchmarks/bin/Release/net10.0/Bookstore.Benchmarks.dll bulk-read "Data Source=$dir/catalog.db" "$books" "$rounds")
echo "bulk read:  $bulk"
echo "load after: $(uptime)"
python3 - "$results" "$bulk" "$books" <<'PY'
import json, sys, statistics
runs = [json.loads(line) for line in open(sys.argv[1])]
bulk = dict(part.split("=") for part in sys.argv[2].split())
books = int(sys.argv[3])
med = lambda key: statistics.median(r[key] for r in runs)
whole = all(r["warmed"] == books and r["failed"] == 0 and r["keys"] >= books for r in runs)
print()
print(f"| measure ({books} books, median of {len(runs)} cold runs) | value | target | met |")
print("|---|---|---|---|")
print(f"| warm run: fetch -> every write acknowledged -> L1-drop message | {med('run'):.3f} s | <= 1 s | {'yes' if med('run') <= 1 else 'no'} |")
print(f"| fetch stage (API request -> books cut out of the array) | {med('fetch'):.3f} s | | |")
print(f"| write stage (first write -> last acknowledged) | {med('write'):.3f} s | <= fetch stage | {'yes' if med('write') <= med('fetch') else 'no'} |")
print(f"| worker process start -> run done | {med('process'):.3f} s | | |")
print(f"| the same worker's next run (fetch / write) | {med('next_run'):.3f} s ({med('next_fetch'):.3f} / {med('next_write'):.3f}) | | |")
print(f"| every book in Redis after each run | {'yes' if whole else 'no'} | all | {'yes' if whole else 'no'} |")
ratio = float(bulk["ratio"])
print(f"| API bulk read (EF Core store) / plain SqliteDataReader, same rows, same process | {float(bulk['store_seconds']):.4f} s / {float(bulk['reader_seconds']):.4f} s = {ratio:.2f}x | <= 2x | {'yes' if ratio <= 2 else 'no'} |")
print()
print("runs (s): " + "; ".join(f"run {r['run']:.3f} fetch {r['fetch']:.3f} write {r['write']:.3f} process {r['process']:.3f}" for r in runs))
PY
