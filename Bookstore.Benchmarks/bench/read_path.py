#!/usr/bin/env python3
"""The read path a user feels, whole: HTTP requests to the API as shipped, set beside bare services in the same run.

Started by read-path.sh (which builds first); see docs/performance.md for the table it prints and what each row means.
Settings (environment): ROUNDS (3), DURATION (8 s a target a round), WARMUP (1 s before each), CONNECTIONS (64),
REDIS_SOAK (60 s of RedisService GETs at the end; 0 skips it), MEMORY (1: L1 bytes per book with dotnet-gcdump),
BOOKSTORE_GOODBOOKS_CSV (../shared/data/goodbooks-10k/books.csv), CONFIGURATION (Release), JSON_OUT (read-path.json).
"""
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import datetime, timezone

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
CONFIGURATION = os.environ.get("CONFIGURATION", "Release")
ROUNDS = int(os.environ.get("ROUNDS", "3"))
DURATION = float(os.environ.get("DURATION", "8"))
WARMUP = float(os.environ.get("WARMUP", "1"))
CONNECTIONS = int(os.environ.get("CONNECTIONS", "64"))
MISS_CONNECTIONS = min(CONNECTIONS, 32)
REDIS_SOAK = float(os.environ.get("REDIS_SOAK", "60"))
MEMORY = os.environ.get("MEMORY", "1") == "1"
CSV = os.environ.get("BOOKSTORE_GOODBOOKS_CSV") or os.path.join(ROOT, "..", "shared", "data", "goodbooks-10k", "books.csv")
JSON_OUT = os.path.abspath(os.environ.get("JSON_OUT", "read-path.json"))
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
ADMIN_KEY = os.urandom(16).hex()

API_DLL = os.path.join(ROOT, "Bookstore.Api", "bin", CONFIGURATION, "net10.0", "Bookstore.Api.dll")
BENCH_DLL = os.path.join(ROOT, "Bookstore.Benchmarks", "bin", CONFIGURATION, "net10.0", "Bookstore.Benchmarks.dll")

# Targets, as (name, what it is). The order is the order of each round.
TARGETS = [
    ("A", "bare Kestrel, GET /books/1 (the API's bytes)"),
    ("B", "A + AddServiceDefaults() + MapDefaultEndpoints()"),
    ("B page", "B, GET /books?page=1&pageSize=20 (the API's page bytes)"),
    ("L1 hit", "API, GET /books/1, X-Cache: hit-l1"),
    ("L2 hit", "API with Books:UseL1=false, GET /books/1, X-Cache: hit-l2"),
    ("list page hit", "API, GET /books?page=1&pageSize=20 (L1)"),
    ("miss 10k", "API, each request a miss (Books entries expire at once), ids over the 10,000 imported books, -c32"),
    ("miss 52", "the same over the 52 seeded books only"),
    ("bypass 10k", "API with Books:Bypass=true (store read, no cache), ids over the 10,000 books"),
    ("RedisService GET", "IRedisService.GetAsync from 64 concurrent callers, one multiplexer"),
    ("redis-benchmark GET", "redis-benchmark -c 64 -P 1 -t get, same value size"),
]

processes = []


def log(message):
    print(message, file=sys.stderr, flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(args, env=None, log_path=None, cwd=None):
    out = open(log_path, "wb") if log_path else subprocess.DEVNULL
    process = subprocess.Popen(args, env={**os.environ, **(env or {})}, stdout=out, stderr=subprocess.STDOUT,
                               start_new_session=True, cwd=cwd)
    processes.append(process)
    return process


def stop_all():
    for process in reversed(processes):
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    for process in reversed(processes):
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


def wait_until(check, what, timeout=120):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except (OSError, subprocess.CalledProcessError):
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{what} did not come up within {timeout} s")


def http(url, method="GET", body=None, headers=None, timeout=30):
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return response.status, dict(response.headers), response.read()


class Redis:
    def __init__(self, directory, name):
        self.port = free_port()
        self.process = start(["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                              "--appendonly", "no", "--dir", directory, "--dbfilename", f"{name}.rdb"],
                             log_path=os.path.join(directory, f"redis-{name}.log"))
        wait_until(lambda: self.cli("ping") == "PONG", f"redis-server {name}")

    def cli(self, *args):
        return subprocess.run(["redis-cli", "-p", str(self.port), *args], capture_output=True, text=True,
                              check=True).stdout.strip()

    def commands(self):
        """Commands the server has run, INFO left out (this script's and the monitors' own polls)."""
        total = 0
        for line in self.cli("info", "commandstats").splitlines():
            match = re.match(r"cmdstat_([a-z_|]+):calls=(\d+)", line)
            if match and match.group(1) != "info":
                total += int(match.group(2))
        return total


class Api:
    """The API as a user runs it: Release build, Production, the shipped appsettings, a management port."""

    def __init__(self, name, directory, redis, catalog, extra=None):
        self.name = name
        self.port = free_port()
        self.management = free_port()
        self.redis = redis
        env = {
            "ASPNETCORE_ENVIRONMENT": "Production",
            "ASPNETCORE_URLS": f"http://127.0.0.1:{self.port};http://127.0.0.1:{self.management}",
            "Bookstore__Management__Port": str(self.management),
            "Bookstore__Security__AdminApiKey": ADMIN_KEY,
            # The load comes from one address at far more than a reader's rate: the benchmark configuration has no limits.
            "Bookstore__RateLimits__Enabled": "false",
            "ConnectionStrings__cache": f"127.0.0.1:{redis.port}",
            "ConnectionStrings__catalog": f"Data Source={catalog}",
            **(extra or {}),
        }
        # Started from its own folder, as a deployed service is: the content root holds the shipped appsettings.json.
        self.process = start(["dotnet", API_DLL], env, os.path.join(directory, f"api-{name}.log"), cwd=os.path.dirname(API_DLL))
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = os.path.join(directory, f"api-{name}.log")

    def wait(self):
        wait_until(lambda: http(f"http://127.0.0.1:{self.management}/alive")[0] == 200, f"API {self.name}")
        return self

    def allocated(self):
        # The runtime's own counter (System.Runtime dotnet.gc.heap.total_allocated), as Prometheus scrapes it.
        text = http(f"http://127.0.0.1:{self.management}/metrics")[2].decode()
        return int(float(re.search(r"^dotnet_gc_heap_total_allocated_bytes_total\{[^}]*\} (\S+)", text, re.M).group(1)))


class Baseline:
    def __init__(self, mode, directory, book_file, page_file):
        self.port = free_port()
        self.management = free_port()
        env = {"ASPNETCORE_URLS": f"http://127.0.0.1:{self.port};http://127.0.0.1:{self.management}",
               "ASPNETCORE_ENVIRONMENT": "Production", "Bookstore__Management__Port": str(self.management)}
        self.process = start(["dotnet", BENCH_DLL, "serve-baseline", mode, book_file, page_file], env,
                             os.path.join(directory, f"baseline-{mode}.log"))
        self.url = f"http://127.0.0.1:{self.port}"
        self.mode = mode

    def wait(self):
        wait_until(lambda: http(f"{self.url}/_bench/allocated")[0] == 200, f"baseline {self.mode}")
        return self

    def allocated(self):
        return int(http(f"{self.url}/_bench/allocated")[2])


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def log_lines(path):
    with open(path, "rb") as f:
        return sum(1 for _ in f)


def working_set_mb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def read_every_book(port, count, workers=4):
    """GET /books/1 .. /books/count once each, over a few keep-alive connections."""
    import http.client
    from concurrent.futures import ThreadPoolExecutor

    def read(first):
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        for book in range(first, count + 1, workers):
            connection.request("GET", f"/books/{book}")
            connection.getresponse().read()
        connection.close()

    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(read, range(1, workers + 1)))


def sequence_script(directory, name, count):
    """A wrk script asking for /books/1 .. /books/count in turn, counting the answers that say X-Cache: miss."""
    path = os.path.join(directory, f"{name}.lua")
    with open(path, "w") as f:
        f.write(f"""
local threads = {{}}
function setup(thread) table.insert(threads, thread) end
local id = 0
responses = 0
misses = 0
function request()
  id = id % {count} + 1
  return wrk.format(nil, "/books/" .. id)
end
function response(status, headers, body)
  responses = responses + 1
  if headers["X-Cache"] == "miss" then misses = misses + 1 end
end
function done(summary, latency, requests)
  local r, m = 0, 0
  for _, t in ipairs(threads) do r = r + t:get("responses"); m = m + t:get("misses") end
  io.write(string.format("xcache responses=%d misses=%d\\n", r, m))
end
""")
    return path


def wrk(url, seconds, script=None, connections=None):
    args = ["wrk", "-t1", f"-c{connections or CONNECTIONS}", f"-d{max(1, round(seconds))}s", "--latency", "--timeout", "10s"]
    if script:
        args += ["-s", script]
    out = subprocess.run(args + [url], capture_output=True, text=True, check=True).stdout

    def latency(percentile):
        match = re.search(rf"^\s+{percentile}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        value, unit = float(match.group(1)), match.group(2)
        return value * {"us": 0.001, "ms": 1, "s": 1000}[unit]

    requests, elapsed = re.search(r"(\d+) requests in ([\d.]+)(us|ms|s|m)", out).group(1, 2)
    unit = re.search(r"\d+ requests in [\d.]+(us|ms|s|m)", out).group(1)
    elapsed = float(elapsed) * {"us": 1e-6, "ms": 1e-3, "s": 1, "m": 60}[unit]
    transfer = re.search(r"Transfer/sec:\s+([\d.]+)(B|KB|MB|GB)", out)
    errors = sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", out))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    xcache = re.search(r"xcache responses=(\d+) misses=(\d+)", out)
    return {
        "requests": int(requests),
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "p50_ms": latency(50),
        "p99_ms": latency(99),
        "bytes_per_s": float(transfer.group(1)) * {"B": 1, "KB": 1024, "MB": 1024 ** 2, "GB": 1024 ** 3}[transfer.group(2)],
        "errors": errors + (int(non2xx.group(1)) if non2xx else 0),
        "miss_share": int(xcache.group(2)) / max(1, int(xcache.group(1))) if xcache else None,
        "elapsed_s": elapsed,
    }


def measure_http(service, path, script=None, redis=None, first=False, connections=None):
    url = service.url + path
    if WARMUP > 0:
        # The first round warms longer: tiered compilation settles within a few seconds of load.
        wrk(url, WARMUP * (3 if first else 1), script, connections)
    pid = service.process.pid
    cpu0, alloc0 = cpu_seconds(pid), service.allocated()
    lines0 = log_lines(service.log_path) if getattr(service, "log_path", None) else 0
    cmds0 = redis.commands() if redis else None
    result = wrk(url, DURATION, script, connections)
    cpu1 = cpu_seconds(pid)
    cmds1 = redis.commands() if redis else None
    time.sleep(0.4)  # the Prometheus exporter caches a scrape for 300 ms
    alloc1 = service.allocated()
    n = max(1, result["requests"])
    result["cpu_us_per_req"] = (cpu1 - cpu0) * 1e6 / n
    result["alloc_b_per_req"] = (alloc1 - alloc0) / n
    result["redis_cmds_per_req"] = (cmds1 - cmds0) / n if redis else None
    result["working_set_mb"] = working_set_mb(pid)
    if getattr(service, "log_path", None):
        # Lines the service wrote while measured: the shipped log levels write none per request.
        result["log_lines"] = log_lines(service.log_path) - lines0
    return result


def redis_service_get(redis, seconds, value_bytes):
    args = ["dotnet", BENCH_DLL, "redis-get", f"127.0.0.1:{redis.port}", str(CONNECTIONS), str(seconds), str(value_bytes)]
    # No appsettings file watcher: beside a test run's many hosts, the user's inotify instances (128 by default) ran
    # out, and the host builder's watcher threw before the loader started (CI: SIGABRT, "inotify instances").
    env = {**os.environ, "DOTNET_hostBuilder__reloadConfigOnChange": "false"}
    done = subprocess.run(args, capture_output=True, text=True, env=env)
    if done.returncode < 0:
        # Killed by a signal (a .NET process aborts with SIGABRT on an unhandled exception): say what it wrote, and
        # measure again once; a second crash fails the run with the same report.
        log(f"redis-get died with signal {-done.returncode}; its stderr:\n{done.stderr[-4000:]}\nrunning it again once")
        done = subprocess.run(args, capture_output=True, text=True, env=env)
    if done.returncode != 0:
        raise RuntimeError(f"redis-get exited with {done.returncode}; stdout:\n{done.stdout[-2000:]}\nstderr:\n{done.stderr[-4000:]}")
    out = done.stdout
    fields = dict(pair.split("=") for pair in out.split())
    return {"rps": float(fields["gets_per_sec"]), "p50_ms": float(fields["p50_us"]) / 1000,
            "p99_ms": float(fields["p99_us"]) / 1000, "timeouts": int(fields["timeouts"]),
            "errors": int(fields["failures"]), "stored_bytes": int(fields["stored_bytes"])}


def redis_benchmark(redis, value_bytes):
    n = max(20000, int(60000 * DURATION))
    out = subprocess.run(["redis-benchmark", "-p", str(redis.port), "-c", str(CONNECTIONS), "-P", "1", "-t", "set,get",
                          "-d", str(value_bytes), "-n", str(n), "--csv"], capture_output=True, text=True,
                         check=True).stdout
    for line in out.splitlines():
        cells = [c.strip('"') for c in line.split(",")]
        if cells[0] == "GET":
            # "test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms","p99_latency_ms","max_latency_ms"
            return {"rps": float(cells[1]), "p50_ms": float(cells[4]), "p99_ms": float(cells[6])}
    raise RuntimeError("redis-benchmark printed no GET line:\n" + out)


def heap_bytes(pid, directory, name):
    """Live managed heap after a full blocking GC (dotnet-gcdump collects one)."""
    gcdump = shutil.which("dotnet-gcdump") or os.path.expanduser("~/.dotnet/tools/dotnet-gcdump")
    path = os.path.join(directory, f"{name}.gcdump")
    subprocess.run([gcdump, "collect", "-p", str(pid), "-o", path], capture_output=True, check=True)
    report = subprocess.run([gcdump, "report", path], capture_output=True, text=True, check=True).stdout
    return int(re.search(r"^\s*([\d,]+)\s+GC Heap bytes", report, re.M).group(1).replace(",", ""))


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def main():
    for tool in ("wrk", "redis-server", "redis-cli", "redis-benchmark"):
        if not shutil.which(tool):
            sys.exit(f"read-path: '{tool}' is not on PATH (Debian: apt-get install wrk redis-server redis-tools)")
    for dll in (API_DLL, BENCH_DLL):
        if not os.path.isfile(dll):
            sys.exit(f"read-path: {dll} is not built; run without NO_BUILD=1, or build {CONFIGURATION} first")
    if not os.path.isfile(CSV):
        sys.exit(f"read-path: the goodbooks CSV is not at {CSV}; set BOOKSTORE_GOODBOOKS_CSV")
    directory = tempfile.mkdtemp(prefix="bookstore-read-path-")
    started = datetime.now(timezone.utc)
    try:
        run(directory, started)
    finally:
        stop_all()
        if os.environ.get("KEEP") != "1":
            shutil.rmtree(directory, ignore_errors=True)


def run(directory, started):
    log(f"read-path: {ROUNDS} rounds of {DURATION:g} s a target, -c{CONNECTIONS}, {CONFIGURATION}; work dir {directory}")
    load_before = os.getloadavg()

    # Catalogs: the goodbooks import (after the 52 seeded books) and the seeded books alone.
    import_redis = Redis(directory, "import")
    big = os.path.join(directory, "catalog-10k.db")
    small = os.path.join(directory, "catalog-52.db")
    env = {"ConnectionStrings__cache": f"127.0.0.1:{import_redis.port}", "ConnectionStrings__catalog": f"Data Source={big}",
           "Bookstore__Security__AdminApiKey": ADMIN_KEY, "ASPNETCORE_ENVIRONMENT": "Production",
           "Bookstore__Management__Port": str(free_port())}
    subprocess.run(["dotnet", API_DLL, "import", CSV], env={**os.environ, **env}, capture_output=True, check=True,
                   cwd=os.path.dirname(API_DLL))

    apis = {}
    fast_expiry = {"Bookstore__Cache__Policies__Books__Duration": "00:00:00.001",
                   "Bookstore__Cache__Policies__Books__L1Duration": "00:00:00.001",
                   "Bookstore__Cache__Policies__Books__FailSafeMaxDuration": "00:00:00",
                   "Bookstore__Cache__Policies__Books__JitterMaxDuration": "00:00:00"}
    for name, catalog, extra in [
        ("prod", big, None),
        ("l2", big, {"Bookstore__Cache__Policies__Books__UseL1": "false"}),
        ("miss10k", big, fast_expiry),
        ("miss52", small, fast_expiry),
        ("bypass10k", big, {"Bookstore__Cache__Policies__Books__Bypass": "true"}),
    ]:
        apis[name] = Api(name, directory, Redis(directory, name), catalog, extra)
    for api in apis.values():
        api.wait()  # started together: each start is mostly waiting on its own JIT and catalog
    books = {name: int(json.loads(http(f"{apis[name].url}/books?pageSize=1")[2])["totalCount"]) for name in ("prod", "miss52")}
    log(f"catalogs: {books['prod']} books (imported + seeded), {books['miss52']} seeded")

    book = http(f"{apis['prod'].url}/books/1")[2]
    page = http(f"{apis['prod'].url}/books?page=1&pageSize=20")[2]
    book_file, page_file = os.path.join(directory, "book.json"), os.path.join(directory, "page.json")
    open(book_file, "wb").write(book)
    open(page_file, "wb").write(page)
    baselines = {"A": Baseline("bare", directory, book_file, page_file), "B": Baseline("defaults", directory, book_file, page_file)}
    for baseline in baselines.values():
        baseline.wait()
    for check in ("A", "B"):
        assert http(f"{baselines[check].url}/books/1")[2] == book, "a baseline does not answer the API's bytes"
    for name in ("prod", "l2"):
        http(f"{apis[name].url}/books/1")  # the first read loads the book
    for name in ("miss10k", "miss52", "bypass10k"):
        # A process's first store read compiles its query: paid here, not in a round (a WARMUP=0 smoke run has no warmup).
        http(f"{apis[name].url}/books/1")
    headers = {name: http(f"{apis[name].url}/books/1")[1].get("X-Cache") for name in ("prod", "l2")}
    assert headers == {"prod": "hit-l1", "l2": "hit-l2"}, f"unexpected X-Cache on the second read: {headers}"

    memory = {}
    if MEMORY:
        # L1 bytes per cached book: the live heap after a full GC, before and after every book was read once.
        prod = apis["prod"]
        before = heap_bytes(prod.process.pid, directory, "before")
        read_every_book(prod.port, books["prod"])
        after = heap_bytes(prod.process.pid, directory, "after")
        l1 = json.loads(http(f"{prod.url}/cache/stats")[2]).get("l1_entries")
        memory = {"books_read": books["prod"], "l1_entries": l1, "heap_before_mb": before / 2 ** 20,
                  "heap_after_mb": after / 2 ** 20, "l1_bytes_per_book": (after - before) / books["prod"],
                  "l1_mb_for_10k_books": (after - before) / books["prod"] * 10000 / 2 ** 20,
                  "working_set_mb": working_set_mb(prod.process.pid)}
        log(f"memory: {memory}")

    service_redis = Redis(directory, "service")
    scripts = {name: sequence_script(directory, name, books["miss52" if name == "miss52" else "prod"])
               for name in ("miss10k", "miss52", "bypass10k")}
    rounds = []
    for number in range(1, ROUNDS + 1):
        results = {}
        first = number == 1
        results["A"] = measure_http(baselines["A"], "/books/1", first=first)
        results["B"] = measure_http(baselines["B"], "/books/1", first=first)
        results["B page"] = measure_http(baselines["B"], "/books?page=1&pageSize=20", first=first)
        results["L1 hit"] = measure_http(apis["prod"], "/books/1", redis=apis["prod"].redis, first=first)
        results["L2 hit"] = measure_http(apis["l2"], "/books/1", redis=apis["l2"].redis, first=first)
        results["list page hit"] = measure_http(apis["prod"], "/books?page=1&pageSize=20", redis=apis["prod"].redis, first=first)
        for name in ("miss10k", "miss52", "bypass10k"):
            label = {"miss10k": "miss 10k", "miss52": "miss 52", "bypass10k": "bypass 10k"}[name]
            # Fewer connections than the 52 seeded books, so no two requests in flight ask for the same book: FusionCache
            # would load it once for both, and the small catalog's misses would look cheaper than they are.
            results[label] = measure_http(apis[name], "/", scripts[name], redis=apis[name].redis, first=first,
                                          connections=MISS_CONNECTIONS)
        results["RedisService GET"] = redis_service_get(service_redis, DURATION, len(book))
        results["redis-benchmark GET"] = redis_benchmark(service_redis, results["RedisService GET"]["stored_bytes"])
        for name, result in results.items():
            result["x_A"] = result["rps"] / results["A"]["rps"] if "requests" in result else None
            result["x_B"] = result["rps"] / results["B"]["rps"] if "requests" in result else None
        rounds.append(results)
        log(f"round {number}: " + ", ".join(f"{name} {r['rps']:.0f}/s" for name, r in results.items()))

    soak = None
    if REDIS_SOAK > 0:
        soak = redis_service_get(service_redis, REDIS_SOAK, len(book))
        log(f"RedisService soak, {REDIS_SOAK:g} s: {soak}")

    def med(target, field):
        return median([r[target].get(field) for r in rounds])

    def ratio(target, baseline, field="rps"):
        return median([r[target][field] / r[baseline][field] for r in rounds])

    table = []
    for name, what in TARGETS:
        row = {"target": name, "what": what}
        for field in ("rps", "p50_ms", "p99_ms", "x_A", "x_B", "cpu_us_per_req", "alloc_b_per_req",
                      "redis_cmds_per_req", "working_set_mb", "bytes_per_s", "miss_share", "errors", "timeouts", "log_lines"):
            row[field] = med(name, field)
        table.append(row)
    rows = {row["target"]: row for row in table}
    b_alloc = rows["B"]["alloc_b_per_req"]
    checks = [
        ("L1 hit requests/s >= 0.90 x B", ratio("L1 hit", "B"), 0.90),
        ("L1 hit p99 <= 2 x B's p99", ratio("L1 hit", "B", "p99_ms"), 2.0, "max"),
        ("L1 hit bytes allocated beyond B <= 1 KB", rows["L1 hit"]["alloc_b_per_req"] - b_alloc, 1024, "max"),
        ("L1 hit Redis commands per request <= 0.01", rows["L1 hit"]["redis_cmds_per_req"], 0.01, "max"),
        ("L1 hit log lines written while measured = 0", rows["L1 hit"]["log_lines"], 0, "max"),
        ("L2 hit requests/s >= 0.60 x B", ratio("L2 hit", "B"), 0.60),
        ("L2 hit Redis commands per request <= 1.01", rows["L2 hit"]["redis_cmds_per_req"], 1.01, "max"),
        ("miss 10k >= 0.75 x bypass 10k", ratio("miss 10k", "bypass 10k"), 0.75),
        ("miss 10k >= 0.8 x miss 52", ratio("miss 10k", "miss 52"), 0.80),
        ("list page hit requests/s >= 0.85 x B", ratio("list page hit", "B"), 0.85),
        ("list page hit requests/s vs B on the same page bytes", ratio("list page hit", "B page"), None),
        ("list page hit bytes/s vs B", ratio("list page hit", "B", "bytes_per_s"), None),
        ("RedisService GET >= 2.5 x redis-benchmark -P 1", ratio("RedisService GET", "redis-benchmark GET"), 2.5),
        ("B vs A (what observability costs; not a target)", ratio("B", "A"), None),
    ]
    if memory:
        checks.append(("L1 of 10,000 books <= 30 MB", memory["l1_mb_for_10k_books"], 30, "max"))
    if soak:
        checks.append((f"RedisService timeouts in a {REDIS_SOAK:g} s run = 0", soak["timeouts"], 0, "max"))
    verdicts = []
    for check in checks:
        name, value, target = check[:3]
        kind = check[3] if len(check) > 3 else "min"
        met = None if target is None or value is None else (value <= target if kind == "max" else value >= target)
        verdicts.append({"check": name, "measured": value, "target": target, "met": met})

    print_table(table, verdicts, memory, started, load_before)
    result = {"date": started.isoformat(timespec="seconds"), "rounds": ROUNDS, "duration_s": DURATION,
              "connections": CONNECTIONS, "configuration": CONFIGURATION, "books": books, "table": table,
              "checks": verdicts, "memory": memory, "soak": soak, "per_round": rounds,
              "load": {"before": load_before, "after": os.getloadavg()}}
    with open(JSON_OUT, "w") as f:
        json.dump(result, f, indent=2)
    log(f"read-path: JSON written to {JSON_OUT}")


def fmt(value, digits=0):
    if value is None:
        return "-"
    return f"{value:,.{digits}f}"


def print_table(table, verdicts, memory, started, load_before):
    print(f"Read path, {started:%Y-%m-%d %H:%M} UTC: medians of {ROUNDS} rounds, {DURATION:g} s a target, "
          f"wrk -t1 -c{CONNECTIONS}, {CONFIGURATION}; load before {load_before[0]:.2f}")
    print()
    print("| target | requests/s | p50 ms | p99 ms | x A | x B | API CPU us/req | alloc B/req | Redis cmds/req | working set MB | log lines |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for row in table:
        print(f"| {row['target']} | {fmt(row['rps'])} | {fmt(row['p50_ms'], 2)} | {fmt(row['p99_ms'], 2)} | "
              f"{fmt(row['x_A'], 3)} | {fmt(row['x_B'], 3)} | {fmt(row['cpu_us_per_req'], 1)} | "
              f"{fmt(row['alloc_b_per_req'])} | {fmt(row['redis_cmds_per_req'], 4)} | {fmt(row['working_set_mb'])} | "
              f"{fmt(row['log_lines'])} |")
    print()
    print("| check | measured | target | met |")
    print("|---|---:|---:|---|")
    for v in verdicts:
        met = "n/a" if v["met"] is None else ("yes" if v["met"] else "NO")
        print(f"| {v['check']} | {fmt(v['measured'], 3)} | {fmt(v['target'], 2)} | {met} |")
    if memory:
        print()
        print(f"L1: {memory['l1_entries']} entries after reading {memory['books_read']} books once; managed heap "
              f"{memory['heap_before_mb']:.1f} -> {memory['heap_after_mb']:.1f} MB, "
              f"{memory['l1_bytes_per_book']:,.0f} B per cached book; working set {memory['working_set_mb']:.0f} MB")


if __name__ == "__main__":
    main()
