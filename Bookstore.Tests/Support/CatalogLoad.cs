using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Bookstore.Api.Catalog;
using Bookstore.Tests.Integration.Catalog;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace Bookstore.Tests.Support;

/// <summary>
/// A steady open-loop load on the API while something happens to Redis: <see cref="RequestsPerSecond"/> requests a
/// second, leaving on schedule whether or not earlier ones answered; every <see cref="WriteEvery"/>-th a title change of
/// a book read before the run (each book once), the others reads of a hot book (cached everywhere) or of a cold one
/// read for the first time. <c>/health</c> is probed every 250 ms beside it. Times are on the run's clock, zero at its start.
/// </summary>
internal sealed class CatalogLoad : IDisposable
{
    public const int RequestsPerSecond = 40;

    public const int WriteEvery = 10;

    private const int HotIdCount = 20;

    /// <summary>
    /// The author every write names: one the import created. Two writes naming an author the store does not have yet
    /// race to create it, and the loser fails on the unique author name (a 500 of the store's, not of the cache's).
    /// </summary>
    private const string ExistingAuthor = "Author 1";

    private readonly CatalogApiFactory _api;
    private readonly HttpClient _http;
    private readonly HttpClient _admin;
    private readonly Stopwatch _clock = new();
    private ConcurrentQueue<int> _writable = new();
    private ConcurrentQueue<int> _cold = new();
    private int[] _hot = [];

    /// <summary>The load on <paramref name="api"/>: readers without a credential, writers with the admin key; a request that never answers counts after 15 s.</summary>
    public CatalogLoad(CatalogApiFactory api)
    {
        _api = api;
        _http = api.CreateClient();
        _admin = api.CreateAdminClient();
        _http.Timeout = _admin.Timeout = TimeSpan.FromSeconds(15);
        ConnectionEvents = new ConnectionEventListener(api.Services.GetRequiredService<IMeterFactory>(), _clock);
    }

    /// <summary>
    /// When above zero, every <c>SignInEvery</c>-th request (offset from the writes) is a sign-in of one of five demo
    /// readers: a session stored in Redis alone, the write that cannot be served from the store. Zero: no sign-ins.
    /// </summary>
    public int SignInEvery { get; init; }

    public ConcurrentBag<LoadRequest> Requests { get; } = [];

    public ConcurrentBag<HealthProbe> Probes { get; } = [];

    /// <summary>
    /// Times the whole test process stood still during the run (see <see cref="ProcessPauses"/>): a garbage collection
    /// that suspended every thread, or the 2 cores busy elsewhere. A request that spans one waited for it whatever the
    /// API did.
    /// </summary>
    public ProcessPauses Pauses { get; } = new();

    /// <summary>The API's connection events (failed, restored, stalled, …) on the run's clock.</summary>
    public ConnectionEventListener ConnectionEvents { get; }

    /// <summary>The title the write of request <paramref name="sequence"/> gives its book.</summary>
    public static string TitleOf(int sequence) => $"Written during the run, request {sequence}";

    /// <summary>
    /// Adds enough books for a run of <paramref name="runFor"/> (ids from <paramref name="firstId"/>) and reads every book
    /// the run will write or read hot, so each is cached (L1 and L2) before it starts and a lost invalidation would show.
    /// </summary>
    public async Task PrepareAsync(TimeSpan runFor, int firstId, CancellationToken ct)
    {
        var writes = (int)(runFor.TotalSeconds * RequestsPerSecond / WriteEvery) + 10;
        await _api.Store.UpsertImportedBooksAsync(
            [.. Enumerable.Range(1, (int)(runFor.TotalSeconds * RequestsPerSecond))
                .Select(i => new ImportedBook(firstId + i, $"Load Book {i}", [$"Author {i % 89}"], 3.5, 100_000 - i, null, 1950 + (i % 50), "eng", null))],
            ct);
        var ids = (await _api.Store.GetMostPopularBooksAsync(CatalogBulkApi.MaxPopularBooks, ct)).Select(b => b.Id).ToArray();
        _hot = ids[..HotIdCount];
        _writable = new ConcurrentQueue<int>(ids[HotIdCount..(HotIdCount + writes)]);
        _cold = new ConcurrentQueue<int>(ids[(HotIdCount + writes)..]);
        foreach (var id in ids[..(HotIdCount + writes)])
        {
            using var warm = await _http.GetAsync(new Uri($"/books/{id}", UriKind.Relative), ct);
            Assert.Equal(System.Net.HttpStatusCode.OK, warm.StatusCode);
        }
    }

    /// <summary>
    /// Starts the clock and runs, side by side, <paramref name="happening"/> (what the test does to Redis, given the clock),
    /// the load until <paramref name="runFor"/> and the health probes; returns once the load is answered and the happening over.
    /// </summary>
    public async Task RunAsync(TimeSpan runFor, Func<Stopwatch, Task> happening, CancellationToken ct)
    {
        _clock.Start();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        Pauses.Start(_clock);
        try
        {
            var happened = happening(_clock);
            var probes = ProbeHealthAsync(stop.Token);
            await SendAsync(runFor, ct);
            await happened;
            await stop.CancelAsync();
            await probes;
        }
        finally
        {
            Pauses.Stop();
        }
    }

    public void Dispose()
    {
        Pauses.Stop();
        ConnectionEvents.Dispose();
        _http.Dispose();
        _admin.Dispose();
    }

    /// <summary>Sends the load until <paramref name="runFor"/> on the clock, then waits for every answer.</summary>
    private async Task SendAsync(TimeSpan runFor, CancellationToken ct)
    {
        var inFlight = new List<Task>();
        var sent = 0;
        var random = new Random(17);
        using (var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(1000.0 / RequestsPerSecond)))
        {
            while (_clock.Elapsed < runFor && await timer.WaitForNextTickAsync(ct))
            {
                for (var due = (int)(_clock.Elapsed.TotalSeconds * RequestsPerSecond); sent < due; sent++)
                {
                    inFlight.Add(SignInEvery > 0 && sent % SignInEvery == SignInEvery / 4
                        ? SignInAsync(1 + (sent % 5), sent, ct)
                        : sent % WriteEvery == WriteEvery - 1
                        ? WriteAsync(_writable.TryDequeue(out var w) ? w : throw new InvalidOperationException("Out of books to write."), sent, ct)
                        : sent % 2 == 0
                            ? ReadAsync(_hot[random.Next(_hot.Length)], "hot", ct)
                            : ReadAsync(_cold.TryDequeue(out var c) ? c : throw new InvalidOperationException("Out of cold ids."), "cold", ct));
                }
            }
        }

        await Task.WhenAll(inFlight);
    }

    /// <summary>GET /health every 250 ms until <paramref name="stop"/>.</summary>
    private async Task ProbeHealthAsync(CancellationToken stop)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(250));
        try
        {
            while (await timer.WaitForNextTickAsync(stop))
            {
                var sentAt = _clock.Elapsed;
                using var response = await _http.GetAsync(new Uri("/health", UriKind.Relative), stop);
                Probes.Add(new HealthProbe(sentAt, _clock.Elapsed, (int)response.StatusCode, await response.Content.ReadAsStringAsync(stop)));
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
    }

    /// <summary>
    /// The load ran at its rate for <paramref name="runFor"/> and nothing failed: no request unanswered or answered 500,
    /// every read 200 (from L1, Redis or the store), every write 200 or 503 (a ProblemDetails with Retry-After).
    /// </summary>
    public void AssertEveryRequestAnswered(TimeSpan runFor, string table)
    {
        var requests = Requests.ToArray();
        Assert.True(requests.Length >= runFor.TotalSeconds * RequestsPerSecond * 0.9, $"the load ran at its rate ({requests.Length} requests)\n{table}");
        Assert.True(requests.All(r => r.Status is not (500 or 0)), $"no request failed; these did: {Describe(requests.Where(r => r.Status is 500 or 0))}\n{table}");
        Assert.True(requests.Where(r => r.Kind is "hot" or "cold").All(r => r.Status == 200), $"every read answered 200; not: {Describe(requests.Where(r => r.Kind is "hot" or "cold" && r.Status != 200))}\n{table}");
        Assert.True(requests.Where(r => r.Kind == "write").All(r => r.Status is 200 or 503), $"writes answered 200 or 503; not: {Describe(requests.Where(r => r.Kind == "write" && r.Status is not (200 or 503)))}\n{table}");
        Assert.True(
            requests.Where(r => r.Kind == "sign-in").All(r => r.Status == 201 || (r.Status == 503 && r.RetryAfter)),
            $"sign-ins answered 201, or 503 with Retry-After; not: {Describe(requests.Where(r => r.Kind == "sign-in" && !(r.Status == 201 || (r.Status == 503 && r.RetryAfter))))}\n{table}");
    }

    /// <summary>Every write answered 200 whose book does not read back with the title it wrote, described; empty when none.</summary>
    public async Task<IReadOnlyList<string>> LostWritesAsync(CancellationToken ct)
    {
        var lost = new List<string>();
        foreach (var write in Requests.Where(r => r.Kind == "write" && r.Status == 200))
        {
            var book = await _http.GetFromJsonAsync<JsonElement>(new Uri($"/books/{write.Id}", UriKind.Relative), ct);
            var title = book.GetProperty("title").GetString();
            if (title != TitleOf(write.Sequence))
            {
                lost.Add($"book {write.Id}, written at {write.SentAt.TotalSeconds:F1} s (200), reads back as '{title}'");
            }
        }

        return lost;
    }

    /// <summary>Per phase (each from its start on the clock) and kind: requests, statuses, slowest; and when /health changed.</summary>
    public string Table(string headline, params (string Name, TimeSpan From)[] phases)
    {
        var text = new StringBuilder();
        text.AppendLine(headline);
        text.AppendLine("| phase | kind | requests | statuses | slowest (ms) |");
        text.AppendLine("|---|---|---:|---|---:|");
        foreach (var phase in Requests.GroupBy(r => phases.LastOrDefault(p => r.SentAt >= p.From).Name ?? phases[0].Name).OrderBy(g => g.Min(r => r.SentAt)))
        {
            foreach (var kind in phase.GroupBy(r => r.Kind).OrderBy(g => g.Key, StringComparer.Ordinal))
            {
                var statuses = string.Join(' ', kind.GroupBy(r => r.Status).OrderBy(g => g.Key).Select(g => $"{g.Key}×{g.Count()}"));
                text.AppendLine(CultureInfo.InvariantCulture, $"| {phase.Key} | {kind.Key} | {kind.Count()} | {statuses} | {kind.Max(r => r.Took.TotalMilliseconds):F0} |");
            }
        }

        string? last = null;
        foreach (var probe in Probes.OrderBy(p => p.SentAt))
        {
            if (probe.Body != last)
            {
                text.AppendLine(CultureInfo.InvariantCulture, $"/health {probe.Body} from {probe.SentAt.TotalSeconds:F2} s");
                last = probe.Body;
            }
        }

        return text.ToString();
    }

    public static string Describe(IEnumerable<LoadRequest> requests) =>
        string.Join("; ", requests.Take(10).Select(r => $"t={r.SentAt.TotalSeconds:F2}s {r.Kind} {r.Id} -> {r.Status} in {r.Took.TotalMilliseconds:F0} ms"));

    private async Task ReadAsync(int id, string kind, CancellationToken ct)
    {
        var sentAt = _clock.Elapsed;
        try
        {
            using var response = await _http.GetAsync(new Uri($"/books/{id}", UriKind.Relative), ct);
            Requests.Add(new LoadRequest(sentAt, kind, id, 0, (int)response.StatusCode, _clock.Elapsed - sentAt));
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            Requests.Add(new LoadRequest(sentAt, kind, id, 0, 0, _clock.Elapsed - sentAt));
        }
    }

    private async Task SignInAsync(int userId, int sequence, CancellationToken ct)
    {
        var sentAt = _clock.Elapsed;
        try
        {
            using var response = await _http.PostAsJsonAsync(new Uri("/sessions", UriKind.Relative), new { userId, password = _api.ReaderPassword }, ct);
            var token = response.StatusCode == System.Net.HttpStatusCode.Created
                ? (await response.Content.ReadFromJsonAsync<JsonElement>(ct)).GetProperty("token").GetString()
                : null;
            Requests.Add(new LoadRequest(sentAt, "sign-in", userId, sequence, (int)response.StatusCode, _clock.Elapsed - sentAt)
            {
                Token = token,
                RetryAfter = response.Headers.RetryAfter is not null,
            });
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            Requests.Add(new LoadRequest(sentAt, "sign-in", userId, sequence, 0, _clock.Elapsed - sentAt));
        }
    }

    private async Task WriteAsync(int id, int sequence, CancellationToken ct)
    {
        var sentAt = _clock.Elapsed;
        try
        {
            using var response = await _admin.PutAsJsonAsync(
                new Uri($"/books/{id}", UriKind.Relative), new { title = TitleOf(sequence), authors = new[] { ExistingAuthor }, price = 9.99m }, ct);
            Requests.Add(new LoadRequest(sentAt, "write", id, sequence, (int)response.StatusCode, _clock.Elapsed - sentAt));
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            Requests.Add(new LoadRequest(sentAt, "write", id, sequence, 0, _clock.Elapsed - sentAt));
        }
    }
}

/// <summary>
/// One request of the load: when it left, its kind (hot, cold, write, sign-in), the book or reader, its answer (0: none)
/// and how long it took.
/// </summary>
internal sealed record LoadRequest(TimeSpan SentAt, string Kind, int Id, int Sequence, int Status, TimeSpan Took)
{
    /// <summary>A sign-in's session token, when it got one.</summary>
    public string? Token { get; init; }

    /// <summary>Whether the answer carried <c>Retry-After</c>.</summary>
    public bool RetryAfter { get; init; }
}

internal sealed record HealthProbe(TimeSpan SentAt, TimeSpan AnsweredAt, int Status, string Body);

/// <summary>
/// Finds the times the whole process stood still: a dedicated thread (outside the thread pool, so the API's own use of
/// the pool does not delay it) sleeps 10 ms at a time and records every wake-up more than
/// <see cref="Threshold"/> late. Only a stop of the whole process (a blocking garbage collection, the process not
/// scheduled on the busy cores) makes that thread late; an API waiting on Redis does not.
/// A second dedicated thread queues a work item on the thread pool every 20 ms and records each one that ran more than
/// <see cref="Threshold"/> after it was queued: the pool starved (every thread busy, or blocked), which delays every
/// continuation in the process, the API's handling of a Redis answer included, without the process standing still.
/// </summary>
internal sealed class ProcessPauses : IDisposable
{
    public static readonly TimeSpan Threshold = TimeSpan.FromMilliseconds(100);

    private static readonly TimeSpan Tick = TimeSpan.FromMilliseconds(10);

    private static readonly TimeSpan PoolTick = TimeSpan.FromMilliseconds(20);

    private readonly ConcurrentQueue<(TimeSpan From, TimeSpan To)> _pauses = new();
    private readonly ConcurrentQueue<LateWork> _latePool = new();
    private volatile bool _running;
    private Thread? _thread;
    private Thread? _poolThread;

    public IReadOnlyList<(TimeSpan From, TimeSpan To)> All => [.. _pauses];

    /// <summary>Work items the thread pool ran over <see cref="Threshold"/> late, with what the pool and the cores did meanwhile.</summary>
    public IReadOnlyList<LateWork> LatePool => [.. _latePool];

    public void Start(Stopwatch clock)
    {
        _running = true;
        _thread = new Thread(() =>
        {
            var last = clock.Elapsed;
            while (_running)
            {
                Thread.Sleep(Tick);
                var now = clock.Elapsed;
                if (now - last - Tick > Threshold)
                {
                    _pauses.Enqueue((last + Tick, now));
                }

                last = now;
            }
        })
        { IsBackground = true, Name = "process pause monitor", Priority = ThreadPriority.AboveNormal };
        _poolThread = new Thread(() =>
        {
            using var ran = new ManualResetEventSlim();
            while (_running)
            {
                Thread.Sleep(PoolTick);
                ran.Reset();
                var before = CpuSnapshot.Take();
                var queuedAt = clock.Elapsed;
                ThreadPool.UnsafeQueueUserWorkItem(static done => done.Set(), ran, preferLocal: false);
                ran.Wait();
                var now = clock.Elapsed;
                if (now - queuedAt > Threshold)
                {
                    var after = CpuSnapshot.Take();
                    _latePool.Enqueue(new LateWork(
                        queuedAt, now, ThreadPool.ThreadCount, ThreadPool.PendingWorkItemCount, after.CompletedWorkItems - before.CompletedWorkItems,
                        after.ProcessCpu - before.ProcessCpu, after.MachineBusy - before.MachineBusy));
                }
            }
        })
        { IsBackground = true, Name = "thread pool delay monitor", Priority = ThreadPriority.AboveNormal };
        _thread.Start();
        _poolThread.Start();
    }

    public void Stop()
    {
        _running = false;
        _thread?.Join();
        _poolThread?.Join();
        _thread = null;
        _poolThread = null;
    }

    public void Dispose() => Stop();

    /// <summary>How long the process stood still between <paramref name="from"/> and <paramref name="to"/>.</summary>
    public TimeSpan Within(TimeSpan from, TimeSpan to)
    {
        var total = TimeSpan.Zero;
        foreach (var (start, end) in _pauses)
        {
            var overlap = (end < to ? end : to) - (start > from ? start : from);
            if (overlap > TimeSpan.Zero)
            {
                total += overlap;
            }
        }

        return total;
    }

    /// <summary>
    /// A starvation long enough to push an awaited Redis answer past the 500 ms cache timeout of a call already waiting:
    /// the process stood still, or its thread pool ran work late, for at least this long.
    /// </summary>
    public static readonly TimeSpan Starvation = TimeSpan.FromMilliseconds(250);

    /// <summary>
    /// How long after a starvation its effects may still show: the service took Redis as not answering and fails calls
    /// at once until its next PING (sent at once, then every second) is answered.
    /// </summary>
    public static readonly TimeSpan Aftermath = TimeSpan.FromSeconds(2);

    /// <summary>
    /// The starvation (at least <see cref="Starvation"/>) whose span, followed by its <see cref="Aftermath"/>, overlaps
    /// <paramref name="from"/> to <paramref name="to"/>; null when there is none.
    /// </summary>
    public (TimeSpan From, TimeSpan To)? StarvedDuring(TimeSpan from, TimeSpan to) =>
        _pauses.Concat(_latePool.Select(w => (w.From, w.To)))
            .Where(p => p.To - p.From >= Starvation && p.To + Aftermath > from && p.From < to)
            .OrderByDescending(p => p.To - p.From)
            .Select(p => ((TimeSpan From, TimeSpan To)?)p)
            .FirstOrDefault();

    public string Describe()
    {
        var pauses = _pauses.IsEmpty
            ? "the test process never stood still for over " + Threshold.TotalMilliseconds.ToString("F0", CultureInfo.InvariantCulture) + " ms"
            : "the test process stood still " + string.Join(", ", _pauses.Select(p =>
                $"from {p.From.TotalSeconds:F2} s for {(p.To - p.From).TotalMilliseconds:F0} ms"));
        var pool = _latePool.IsEmpty
            ? "its thread pool never ran work over " + Threshold.TotalMilliseconds.ToString("F0", CultureInfo.InvariantCulture) + " ms late"
            : "its thread pool ran work late: " + string.Join(", ", _latePool.Select(w => w.Describe()));
        return pauses + "; " + pool;
    }
}

/// <summary>
/// A work item the thread pool ran late: queued at <paramref name="From"/>, run at <paramref name="To"/>; the pool's
/// threads and queue when it ran, the items it completed meanwhile, and the CPU time this process and the whole machine
/// (every process, <c>/proc/stat</c>; zero where there is none) used meanwhile. Few items done with the process's CPU low
/// says its threads were blocked; the process's CPU near the cores' capacity says it was flooded with work; the
/// machine's CPU high and the process's low says other processes held the cores.
/// </summary>
internal sealed record LateWork(TimeSpan From, TimeSpan To, int Threads, long Queued, long Completed, TimeSpan ProcessCpu, TimeSpan MachineBusy)
{
    public string Describe() => string.Create(CultureInfo.InvariantCulture,
        $"queued at {From.TotalSeconds:F2} s, run {(To - From).TotalMilliseconds:F0} ms later (pool: {Threads} threads, {Queued} queued, {Completed} items done meanwhile; " +
        $"CPU meanwhile: this process {ProcessCpu.TotalMilliseconds:F0} ms, the machine {MachineBusy.TotalMilliseconds:F0} ms of {(To - From).TotalMilliseconds * Environment.ProcessorCount:F0})");
}

/// <summary>CPU time used so far by this process and by the whole machine, and the thread pool's completed items.</summary>
internal readonly record struct CpuSnapshot(TimeSpan ProcessCpu, TimeSpan MachineBusy, long CompletedWorkItems)
{
    public static CpuSnapshot Take() => new(Environment.CpuUsage.TotalTime, MachineBusyTime(), ThreadPool.CompletedWorkItemCount);

    /// <summary>Busy time of all cores (user, nice, system, irq, softirq, steal) from <c>/proc/stat</c>, in 10 ms ticks.</summary>
    private static TimeSpan MachineBusyTime()
    {
        try
        {
            using var reader = new StreamReader("/proc/stat");
            var fields = reader.ReadLine()?.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (fields is not { Length: > 8 } || fields[0] != "cpu")
            {
                return TimeSpan.Zero;
            }

            long busy = 0;
            foreach (var index in (int[])[1, 2, 3, 6, 7, 8])
            {
                busy += long.Parse(fields[index], CultureInfo.InvariantCulture);
            }

            return TimeSpan.FromMilliseconds(busy * 10);
        }
        catch (IOException)
        {
            return TimeSpan.Zero;
        }
        catch (UnauthorizedAccessException)
        {
            return TimeSpan.Zero;
        }
    }
}
