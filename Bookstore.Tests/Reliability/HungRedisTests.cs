using System.Diagnostics;
using System.Globalization;
using Bookstore.Tests.Integration.Catalog;
using Bookstore.Tests.Support;
using StackExchange.Redis;

namespace Bookstore.Tests.Reliability;

/// <summary>
/// A Redis that keeps its connections open and stops answering (the process stopped with SIGSTOP, or every client
/// paused with <c>CLIENT PAUSE</c>), under a steady load of reads and writes through the API. No connection event tells
/// the client; only timeouts do. Reads keep answering from L1 or the store, none waits past a second, the health turns
/// Degraded and back, and no acknowledged write is lost.
/// </summary>
[Trait("Category", "Reliability")]
[Collection(QuietMachineCollection.Name)]
public sealed class HungRedisTests
{
    private static readonly TimeSpan StallAt = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan ResumeAt = TimeSpan.FromSeconds(20);
    private static readonly TimeSpan RunFor = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan SlowestAllowed = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan HealthWithin = TimeSpan.FromSeconds(5);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory(Timeout = 180_000)]
    [InlineData("SIGSTOP")]
    [InlineData("CLIENT PAUSE")]
    public async Task ReadsAnswerWithinASecondAndNoAcknowledgedWriteIsLostWhileRedisStopsAnswering(string stall)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var redis = await RedisServer.StartAsync();
        using var data = new TemporaryDirectory("bookstore-hung-");
        await using var api = new CatalogApiFactory(redis, Path.Combine(data.Path, "catalog.db"), CatalogApiFactory.UseShippedTimeouts);
        using var load = new CatalogLoad(api);
        await load.PrepareAsync(RunFor, firstId: 800_000, ct);

        var run = new Run();
        await load.RunAsync(RunFor, clock => StallAsync(redis, stall, run, clock), ct);

        var table = load.Table($"{stall} at {run.StalledAt.TotalSeconds:F1} s, over at {run.ResumedAt.TotalSeconds:F1} s", ("before", TimeSpan.Zero), ("stalled", run.StalledAt), ("after", run.ResumedAt));
        TestContext.Current.TestOutputHelper?.WriteLine(table);
        TestContext.Current.TestOutputHelper?.WriteLine(load.Pauses.Describe());
        var requests = load.Requests.ToArray();
        Assert.True(run.StalledAt > TimeSpan.Zero && run.ResumedAt > run.StalledAt, "the stall happened within the run");

        // No 500 anywhere; every read a 200 (L1 for the hot books, the store for the others); writes 200 or 503.
        load.AssertEveryRequestAnswered(RunFor, table);
        // A stop of the whole test process (a blocking GC, the cores busy elsewhere) delays the client as much as the API:
        // the time it spans is not the API's.
        var slow = requests.Where(r => r.Took - load.Pauses.Within(r.SentAt, r.SentAt + r.Took) > SlowestAllowed).ToArray();
        Assert.True(slow.Length == 0, $"no request took over {SlowestAllowed.TotalSeconds} s, besides the process's own pauses; these did: {CatalogLoad.Describe(slow)} ({load.Pauses.Describe()})\n{table}");
        Assert.Contains(requests, r => r.Kind == "hot" && r.SentAt > run.StalledAt && r.SentAt < run.ResumedAt);

        // Readiness: Degraded within 5 s of the stall, Healthy within 5 s of its end and from then on (a Degraded blip is
        // excused only while the test process itself starved, see ReadinessAfterRecovery).
        var health = load.Probes.OrderBy(p => p.SentAt).ToArray();
        Assert.All(health.Where(p => p.AnsweredAt < run.StalledAt), p => Assert.Equal("Healthy", p.Body));
        var degraded = health.FirstOrDefault(p => p.SentAt > run.StalledAt && p.Body == "Degraded");
        Assert.True(degraded is not null && degraded.AnsweredAt - run.StalledAt <= HealthWithin, $"/health Degraded within {HealthWithin.TotalSeconds} s of the stall\n{table}");
        var healthy = health.FirstOrDefault(p => p.SentAt > run.ResumedAt && p.Body == "Healthy");
        Assert.True(healthy is not null && healthy.AnsweredAt - run.ResumedAt <= HealthWithin, $"/health Healthy within {HealthWithin.TotalSeconds} s of the stall's end\n{table}");
        var excused = ReadinessAfterRecovery.AssertHealthyAfter(
            [.. health.Select(p => (p.SentAt, p.AnsweredAt, p.Body))], healthy.AnsweredAt, load.Pauses, load.ConnectionEvents, table);
        if (excused.Length > 0)
        {
            TestContext.Current.TestOutputHelper?.WriteLine(excused);
        }

        // The stall shows where operators look: bookstore.redis.connection.events{event="stalled"}, counted in the stall.
        Assert.True(load.ConnectionEvents.Stalls.Any(at => at >= run.StalledAt && at <= run.ResumedAt),
            $"a stall counted between {run.StalledAt.TotalSeconds:F1} s and {run.ResumedAt.TotalSeconds:F1} s; the API's connection events: " +
            string.Join(", ", load.ConnectionEvents.Events.Select(e => $"{e.Event} at {e.At.TotalSeconds:F2} s")));

        // No acknowledged write lost: every book written with a 200 reads back with its new title, here and from Redis.
        Assert.Contains(requests, r => r.Kind == "write" && r.Status == 200 && r.SentAt > run.StalledAt && r.SentAt < run.ResumedAt);
        var lost = await load.LostWritesAsync(ct);
        Assert.True(lost.Count == 0, string.Join("\n", lost) + "\n" + table);
    }

    private static async Task StallAsync(RedisServer redis, string stall, Run run, Stopwatch clock)
    {
        await Task.Delay(StallAt, Ct);
        if (stall == "SIGSTOP")
        {
            run.StalledAt = clock.Elapsed;
            await redis.SignalAsync("STOP");
            await Task.Delay(ResumeAt - clock.Elapsed is { Ticks: > 0 } wait ? wait : TimeSpan.Zero, Ct);
            await redis.SignalAsync("CONT");
            run.ResumedAt = clock.Elapsed;
            return;
        }

        // CLIENT PAUSE ALL holds every client's commands, the API's included, for the given time; Redis ends it itself.
        await using var operator_ = await ConnectionMultiplexer.ConnectAsync(redis.ConnectionString + ",allowAdmin=true");
        var pause = ResumeAt - StallAt;
        run.StalledAt = clock.Elapsed;
        await operator_.GetDatabase().ExecuteAsync("CLIENT", "PAUSE", ((long)pause.TotalMilliseconds).ToString(CultureInfo.InvariantCulture), "ALL");
        run.ResumedAt = run.StalledAt + pause;
        await Task.Delay(run.ResumedAt - clock.Elapsed is { Ticks: > 0 } rest ? rest : TimeSpan.Zero, Ct);
    }

    /// <summary>When the stall began and ended on the run's clock.</summary>
    private sealed class Run
    {
        public TimeSpan StalledAt { get; set; }

        public TimeSpan ResumedAt { get; set; }
    }
}
