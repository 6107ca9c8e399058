using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Net;
using System.Text;
using Bookstore.Api.Catalog;
using Bookstore.Tests.Integration.Catalog;
using Bookstore.Tests.Support;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace Bookstore.Tests.Reliability;

/// <summary>
/// The API under a steady load while its Redis is killed (SIGKILL) and started again on the same port: reads keep
/// answering from L1 (hot ids) or the store (cold ids), liveness never drops, readiness says Degraded, and the
/// error metric shows the outage.
/// </summary>
[Trait("Category", "Reliability")]
[Collection(QuietMachineCollection.Name)]
public sealed class CatalogApiOutageTests
{
    private const int RequestsPerSecond = 40;
    private const int HotIdCount = 20;
    private static readonly TimeSpan KillAt = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan RestartAt = TimeSpan.FromSeconds(12);

    /// <summary>Past the restart by more than <see cref="HealthyAgainWithin"/>, so a late Healthy still shows in the run.</summary>
    private static readonly TimeSpan RunFor = TimeSpan.FromSeconds(24);

    /// <summary>The readiness promise of docs/operations.md: Healthy again within this long after Redis is back.</summary>
    private static readonly TimeSpan HealthyAgainWithin = TimeSpan.FromSeconds(10);

    /// <summary>Issue 17: hits from Redis back, and cache errors over, within this long after Redis is ready again.</summary>
    private static readonly TimeSpan RecoveredWithin = TimeSpan.FromSeconds(5);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task ServesEveryBookReadThroughARedisOutageUnderLoad()
    {
        await using var redis = await RedisServer.StartAsync();
        using var data = new TemporaryDirectory("bookstore-catalog-");
        await using var api = new CatalogApiFactory(redis, Path.Combine(data.Path, "catalog.db"), CatalogApiFactory.UseShippedTimeouts);
        using var http = api.CreateClient();

        // A second replica reads each cold book right after the first has answered it: a hit in Redis when the first
        // could write it there, so the second replica's reads show when Redis serves hits again.
        await using var second = new CatalogApiFactory(redis, Path.Combine(data.Path, "catalog.db"), CatalogApiFactory.UseShippedTimeouts);
        using var secondHttp = second.CreateClient();

        // Requests that never come back count as failures rather than hanging the test.
        http.Timeout = TimeSpan.FromSeconds(15);
        var clock = new Stopwatch();
        using var errors = new CacheErrorListener(api.Services.GetRequiredService<IMeterFactory>(), clock);
        using var connectionEvents = new ConnectionEventListener(api.Services.GetRequiredService<IMeterFactory>(), clock);
        using var pauses = new ProcessPauses();

        // Enough books that every cold read in the run is a first read of its id.
        await api.Store.UpsertImportedBooksAsync(
            [.. Enumerable.Range(1, (int)(RunFor.TotalSeconds * RequestsPerSecond))
                .Select(i => new ImportedBook(900_000 + i, $"Outage Book {i}", [$"Author {i % 97}"], 3.5, i, null, 1900 + (i % 100), "eng", null))],
            Ct);
        var ids = (await api.Store.GetMostPopularBooksAsync(CatalogBulkApi.MaxPopularBooks, Ct)).Select(b => b.Id).ToArray();
        var hot = ids[..HotIdCount];
        var cold = new ConcurrentQueue<int>(ids[HotIdCount..]);
        foreach (var id in hot)
        {
            using var warm = await http.GetAsync(new Uri($"/books/{id}", UriKind.Relative), Ct);
            Assert.Equal(HttpStatusCode.OK, warm.StatusCode);
        }

        var run = new OutageRun();
        clock.Start();
        pauses.Start(clock);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var outage = Task.Run(async () =>
        {
            await Task.Delay(KillAt, Ct);
            // The outage starts when the kill is sent: a probe answered while KillAsync waits for the exit already sees it.
            run.KilledAt = clock.Elapsed;
            await redis.KillAsync();
            await Task.Delay(RestartAt - clock.Elapsed is { Ticks: > 0 } wait ? wait : TimeSpan.Zero, Ct);
            run.RestartingAt = clock.Elapsed;
            await redis.StartAgainAsync();
            run.RestartedAt = clock.Elapsed;
        }, Ct);
        var probes = ProbeAsync(http, run, clock, stop.Token);

        // Open loop: requests leave on schedule whether or not earlier ones have answered, as real clients do.
        var inFlight = new List<Task>();
        var sent = 0;
        var random = new Random(8);
        using (var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(1000.0 / RequestsPerSecond)))
        {
            while (clock.Elapsed < RunFor && await timer.WaitForNextTickAsync(Ct))
            {
                for (var due = (int)(clock.Elapsed.TotalSeconds * RequestsPerSecond); sent < due; sent++)
                {
                    var isHot = sent % 2 == 0;
                    var id = isHot ? hot[random.Next(hot.Length)] : cold.TryDequeue(out var next) ? next : throw new InvalidOperationException("Out of cold ids.");
                    inFlight.Add(isHot ? ReadBookAsync(http, id, isHot, run, clock) : ReadColdBookTwiceAsync(http, secondHttp, id, run, clock));
                }
            }
        }

        await Task.WhenAll(inFlight);
        await stop.CancelAsync();
        await probes;
        await outage;
        pauses.Stop();

        var table = run.Table(errors);
        TestContext.Current.TestOutputHelper?.WriteLine(table);
        Assert.True(run.KilledAt > TimeSpan.Zero && run.RestartedAt > run.KilledAt, "the outage happened within the run");

        var reads = run.Reads.ToArray();
        Assert.True(reads.Length >= RunFor.TotalSeconds * RequestsPerSecond * 0.9, $"the load ran at its rate ({reads.Length} reads)\n{table}");
        Assert.True(reads.All(r => r.Status == 200), $"every read answered 200; not: {Describe(reads.Where(r => r.Status != 200))}\n{table}");
        var duringOutage = reads.Where(r => r.SentAt > run.KilledAt && r.SentAt < run.RestartedAt).ToArray();
        Assert.Contains(duringOutage, r => r.Hot);
        Assert.All(duringOutage.Where(r => r.Hot), r => Assert.Equal("hit-l1", r.CacheHeader));
        Assert.All(duringOutage.Where(r => !r.Hot), r => Assert.Equal("miss", r.CacheHeader));

        var alive = run.Probes.Where(p => p.Path == "/alive").ToArray();
        Assert.NotEmpty(alive);
        Assert.All(alive, p => Assert.Equal((200, "Healthy"), (p.Status, p.Body)));

        // Readiness: Degraded once the outage is seen and until Redis is back, then Healthy within the promise and after
        // (a Degraded blip is excused only while the test process itself starved, see ReadinessAfterRecovery).
        // A probe is judged by the state at both ends of its request: one answered after the kill was sent may already
        // see the outage, one sent while Redis was starting again may already see it back.
        var health = run.Probes.Where(p => p.Path == "/health").OrderBy(p => p.SentAt).ToArray();
        Assert.All(health, p => Assert.Equal(200, p.Status));
        Assert.All(health.Where(p => p.AnsweredAt < run.KilledAt), p => Assert.Equal("Healthy", p.Body));
        var firstDegraded = health.First(p => p.SentAt > run.KilledAt && p.Body == "Degraded");
        Assert.True(firstDegraded.SentAt < run.RestartedAt, $"/health turned Degraded during the outage\n{table}");
        Assert.All(health.Where(p => p.SentAt > firstDegraded.SentAt && p.AnsweredAt < run.RestartingAt), p => Assert.Equal("Degraded", p.Body));
        var healthyAgain = health.First(p => p.SentAt > run.RestartedAt && p.Body == "Healthy");
        Assert.True(healthyAgain.SentAt - run.RestartedAt <= HealthyAgainWithin, $"/health Healthy {healthyAgain.SentAt - run.RestartedAt} after the restart\n{table}");
        var excused = ReadinessAfterRecovery.AssertHealthyAfter(
            [.. health.Select(p => (p.SentAt, p.AnsweredAt, p.Body))], healthyAgain.SentAt, pauses, connectionEvents, table);

        // The error metric: nothing before the outage, errors while Redis is away, none from 5 s after it is back but
        // for a timeout while the test process starved (the API, in this process, waited past its cache timeout for it).
        Assert.Equal(0, errors.Between(TimeSpan.Zero, run.KilledAt));
        Assert.True(errors.Between(run.KilledAt, run.RestartedAt) > 0, $"bookstore.cache.errors counted the outage\n{table}");
        var recovered = run.RestartedAt + RecoveredWithin;
        var lateErrors = errors.Errors.Where(e => e.At >= recovered).ToArray();
        var starvedErrors = lateErrors.Where(e => e.ErrorType == "timeout" && pauses.StarvedDuring(e.At, e.At) is not null).ToArray();
        Assert.True(lateErrors.Length == starvedErrors.Length,
            $"bookstore.cache.errors stopped within {RecoveredWithin.TotalSeconds} s of Redis being ready; not: " +
            $"{string.Join(", ", lateErrors.Except(starvedErrors).Select(e => $"{e.Operation}/{e.ErrorType} at {e.At.TotalSeconds:F2} s"))} ({pauses.Describe()})\n{table}");

        // Hits from Redis: before the outage and from 5 s after Redis is ready, every second read is one; none while away.
        var seconds = run.SecondReads.ToArray();
        Assert.All(seconds, r => Assert.Equal(200, r.Status));
        Assert.All(seconds.Where(r => r.SentAt < run.KilledAt), r => Assert.Equal("hit-l2", r.CacheHeader));
        Assert.DoesNotContain(seconds, r => r.SentAt > run.KilledAt && r.SentAt < run.RestartingAt && r.CacheHeader == "hit-l2");
        var afterRecovery = seconds.Where(r => r.SentAt > recovered).ToArray();
        Assert.True(afterRecovery.Length > 50, $"the second replica read after the recovery ({afterRecovery.Length} reads)\n{table}");
        var notFromRedis = afterRecovery.Where(r => r.CacheHeader != "hit-l2").ToArray();
        var starvedReads = notFromRedis.Where(r => pauses.StarvedDuring(r.SentAt, r.SentAt + r.Took) is not null).ToArray();
        Assert.True(notFromRedis.Length == starvedReads.Length,
            $"hits from Redis within {RecoveredWithin.TotalSeconds} s of Redis being ready; not: {Describe(notFromRedis.Except(starvedReads))} ({pauses.Describe()})\n{table}");
        var firstHit = seconds.Where(r => r.SentAt > run.RestartingAt && r.CacheHeader == "hit-l2").Select(r => r.SentAt).DefaultIfEmpty(RunFor).Min();
        TestContext.Current.TestOutputHelper?.WriteLine(
            $"First hit from Redis {(firstHit - run.RestartedAt).TotalSeconds:F2} s after Redis was ready; last cache error at {errors.Errors.Select(e => e.At).DefaultIfEmpty().Max().TotalSeconds:F2} s; {pauses.Describe()}");
        if (excused.Length > 0 || starvedErrors.Length > 0 || starvedReads.Length > 0)
        {
            TestContext.Current.TestOutputHelper?.WriteLine(
                $"{excused}\nExcused while the test process starved: {starvedErrors.Length} cache errors ({string.Join(", ", starvedErrors.Select(e => $"{e.Operation} at {e.At.TotalSeconds:F2} s"))}), " +
                $"{starvedReads.Length} second-replica reads not from Redis ({Describe(starvedReads)})");
        }
    }

    private static async Task ReadBookAsync(HttpClient http, int id, bool hot, OutageRun run, Stopwatch clock, ConcurrentBag<Read>? into = null)
    {
        var reads = into ?? run.Reads;
        var sentAt = clock.Elapsed;
        try
        {
            using var response = await http.GetAsync(new Uri($"/books/{id}", UriKind.Relative), Ct);
            var header = response.Headers.TryGetValues("X-Cache", out var values) ? string.Join(',', values) : "";
            reads.Add(new Read(sentAt, id, hot, (int)response.StatusCode, header, clock.Elapsed - sentAt));
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            // No answer at all (a hang cut by the client's timeout, or a broken connection): status 0.
            reads.Add(new Read(sentAt, id, hot, 0, ex.GetType().Name, clock.Elapsed - sentAt));
        }
    }

    private static async Task ReadColdBookTwiceAsync(HttpClient first, HttpClient second, int id, OutageRun run, Stopwatch clock)
    {
        await ReadBookAsync(first, id, false, run, clock);
        await ReadBookAsync(second, id, false, run, clock, run.SecondReads);
    }

    private static async Task ProbeAsync(HttpClient http, OutageRun run, Stopwatch clock, CancellationToken stop)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(250));
        try
        {
            while (await timer.WaitForNextTickAsync(stop))
            {
                foreach (var path in (string[])["/alive", "/health"])
                {
                    var sentAt = clock.Elapsed;
                    try
                    {
                        using var response = await http.GetAsync(new Uri(path, UriKind.Relative), stop);
                        var body = await response.Content.ReadAsStringAsync(stop);
                        run.Probes.Add(new Probe(sentAt, clock.Elapsed, path, (int)response.StatusCode, body));
                    }
                    catch (Exception ex) when (ex is HttpRequestException || (ex is TaskCanceledException && !stop.IsCancellationRequested))
                    {
                        run.Probes.Add(new Probe(sentAt, clock.Elapsed, path, 0, ex.GetType().Name));
                    }
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
    }

    private static string Describe(IEnumerable<Read> reads) =>
        string.Join("; ", reads.Take(10).Select(r => $"t={r.SentAt.TotalSeconds:F1}s id {r.Id} -> {r.Status} {r.CacheHeader}"));

    /// <summary>One book read; <paramref name="Took"/> is printed for the record, never asserted (benchmarks hold timing).</summary>
    private sealed record Read(TimeSpan SentAt, int Id, bool Hot, int Status, string CacheHeader, TimeSpan Took);

    private sealed record Probe(TimeSpan SentAt, TimeSpan AnsweredAt, string Path, int Status, string Body);

    private sealed class OutageRun
    {
        public ConcurrentBag<Read> Reads { get; } = [];

        public ConcurrentBag<Probe> Probes { get; } = [];

        /// <summary>The second replica's read of each cold book, right after the first replica answered it.</summary>
        public ConcurrentBag<Read> SecondReads { get; } = [];

        public TimeSpan KilledAt { get; set; }

        /// <summary>When redis-server was started again (it accepts connections from some time before <see cref="RestartedAt"/>).</summary>
        public TimeSpan RestartingAt { get; set; }

        /// <summary>When redis-server said it was ready.</summary>
        public TimeSpan RestartedAt { get; set; }

        /// <summary>One line per second of the run: what was sent, how it was answered, where from, and readiness.</summary>
        public string Table(CacheErrorListener errors)
        {
            var text = new StringBuilder();
            var errorTypes = string.Join(", ", errors.Errors.GroupBy(e => $"{e.Operation}/{e.ErrorType}").Select(g => $"{g.Key}×{g.Sum(e => e.Count)}"));
            text.AppendLine(CultureInfo.InvariantCulture,
                $"Redis killed at t={KilledAt.TotalSeconds:F1}s, restarted at t={RestartedAt.TotalSeconds:F1}s; bookstore.cache.errors by operation/error.type: {errorTypes}");
            text.AppendLine("  t | reqs | 200 | 5xx | other | hit-l1 | hit-l2 | miss | stale | max ms | 2nd replica hit-l2/reads | cache errors | /alive | /health");
            var bySecond = Reads.ToLookup(r => (int)r.SentAt.TotalSeconds);
            var secondBySecond = SecondReads.ToLookup(r => (int)r.SentAt.TotalSeconds);
            var probes = Probes.ToLookup(p => ((int)p.SentAt.TotalSeconds, p.Path));
            var errorsBySecond = errors.BySecond();
            var seconds = bySecond.Select(g => g.Key).DefaultIfEmpty(0).Max();
            for (var s = 0; s <= seconds; s++)
            {
                var reads = bySecond[s].ToArray();
                text.AppendLine(CultureInfo.InvariantCulture,
                    $"{s,3} | {reads.Length,4} | {reads.Count(r => r.Status == 200),3} | {reads.Count(r => r.Status >= 500),3} | {reads.Count(r => r.Status is not 200 and < 500),5} | " +
                    $"{Count(reads, "hit-l1"),6} | {Count(reads, "hit-l2"),6} | {Count(reads, "miss"),4} | {Count(reads, "stale"),5} | " +
                    $"{reads.Select(r => r.Took.TotalMilliseconds).DefaultIfEmpty(0).Max(),6:F0} | " +
                    $"{Count([.. secondBySecond[s]], "hit-l2"),12}/{secondBySecond[s].Count(),-11} | " +
                    $"{errorsBySecond.GetValueOrDefault(s),12} | {Summary(probes[(s, "/alive")])} | {Summary(probes[(s, "/health")])}");
            }

            return text.ToString();
        }

        private static int Count(Read[] reads, string header) => reads.Count(r => r.CacheHeader == header);

        private static string Summary(IEnumerable<Probe> probes) =>
            string.Join(",", probes.OrderBy(p => p.SentAt).Select(p => p.Status == 200 ? p.Body : $"{p.Status} {p.Body}").Distinct());
    }
}
