using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Aspire.Hosting;
using Aspire.Hosting.Testing;
using Bookstore.Tests.Infrastructure;
using Bookstore.Tests.Support;

namespace Bookstore.Tests.EndToEnd;

/// <summary>The Production profile's "monitoring with alerts": the AppHost's Prometheus loads the shipped rules, over the names the services export.</summary>
[Trait("Category", "EndToEnd")]
[Collection(AppHostCollection.Name)]
public sealed partial class AppHostAlertRulesTests
{
    [Fact(Timeout = 420_000)]
    public async Task ProductionPrometheusLoadsTheRulesAndRedisDownFiresWhenEveryDataNodeStops()
    {
        var ct = TestContext.Current.CancellationToken;
        using var data = new TemporaryDirectory("bookstore-alerts-");
        var (started, _) = await LocalAppHost.StartAsync(data.Path, ["--Bookstore:Profile=Production"], ct);
        await using var app = started;

        // Every metric the rules read is one the AppHost's Prometheus scrapes from api (each replica) or the worker, the
        // server monitor's figures included (one instance of the deployment polls the server and exports them).
        var steps = System.Diagnostics.Stopwatch.StartNew();
        TestContext.Current.TestOutputHelper?.WriteLine("AppHost started, every service healthy");

        // A call that hangs fails here in 15 s, naming its step, instead of running into the test's own timeout.
        using var prometheus = new HttpClient { BaseAddress = app.GetEndpoint("prometheus", "http"), Timeout = TimeSpan.FromSeconds(15) };
        var read = MetricName().Matches(await File.ReadAllTextAsync(PrometheusAlertRulesTests.RulesPath, ct)).Select(m => m.Value).Distinct().ToList();
        Assert.Equal(9, read.Count);
        IReadOnlyList<string> missing = read;
        Assert.True(await LinuxProcesses.WaitUntilAsync(
            async () =>
            {
                var scraped = (await prometheus.GetFromJsonAsync<JsonElement>("/api/v1/label/__name__/values", ct)).GetProperty("data").EnumerateArray()
                    .Select(n => n.GetString()).ToHashSet(StringComparer.Ordinal);
                missing = [.. read.Where(name => !scraped.Contains(name))];
                return missing.Count == 0;
            },
            TimeSpan.FromSeconds(60),
            ct), "Prometheus scraped no series of " + string.Join(", ", missing));
        TestContext.Current.TestOutputHelper?.WriteLine($"every series the rules read scraped after {steps.Elapsed.TotalSeconds:F1} s");

        // The Prometheus the AppHost started loaded all eight rules (its UI lists them under Alerts and Rules).
        var rules = await prometheus.GetFromJsonAsync<JsonElement>("/api/v1/rules?type=alert", ct);
        var names = rules.GetProperty("data").GetProperty("groups").EnumerateArray()
            .SelectMany(g => g.GetProperty("rules").EnumerateArray()).Select(r => r.GetProperty("name").GetString()).ToList();
        Assert.Equal(["RedisDown", "RedisNodeDown", "RedisCacheHitRatioLow", "RedisMemoryNearMax", "RedisEvictionsRising", "RedisSlowLogGrowing", "RedisReplicationLagHigh", "CacheWarmerFailing"], names);
        Assert.Equal("inactive", AlertState(rules, "RedisDown"));

        // Redis crashes: both data nodes of the replicated topology die, so the Sentinels have no replica to promote. The
        // services' connection state to each drops to 0, the next evaluation makes RedisDown pending, and it fires once
        // the state has been 0 for the rule's "for: 30s". (A primary that Sentinel replaces is RedisNodeDown, a warning.)
        var processes = LinuxProcesses.RedisProcessesUnder(data.Path);
        var dataNodes = processes.Except(LinuxProcesses.Sentinels(processes)).ToList();
        Assert.Equal(2, dataNodes.Count);
        foreach (var pid in dataNodes)
        {
            System.Diagnostics.Process.GetProcessById(pid).Kill();
        }

        TestContext.Current.TestOutputHelper?.WriteLine($"both data nodes killed at {steps.Elapsed.TotalSeconds:F1} s");
        var stopped = System.Diagnostics.Stopwatch.StartNew();
        var state = "inactive";
        Assert.True(await LinuxProcesses.WaitUntilAsync(
            async () => (state = AlertState(await prometheus.GetFromJsonAsync<JsonElement>("/api/v1/rules?type=alert", ct), "RedisDown")) is "pending" or "firing",
            TimeSpan.FromSeconds(30),
            ct), $"RedisDown is {state} 30 s after Redis stopped.");
        var pendingAfter = stopped.Elapsed;
        Assert.Equal("pending", state);

        JsonElement redisDown = default;
        Assert.True(await LinuxProcesses.WaitUntilAsync(
            async () => (await prometheus.GetFromJsonAsync<JsonElement>("/api/v1/alerts", ct)).GetProperty("data").GetProperty("alerts").EnumerateArray()
                .Any(a => (redisDown = a).GetProperty("labels").GetProperty("alertname").GetString() == "RedisDown" && a.GetProperty("state").GetString() == "firing"),
            TimeSpan.FromSeconds(90),
            ct), $"RedisDown did not fire within 90 s of Redis stopping: {redisDown}");
        TestContext.Current.TestOutputHelper?.WriteLine(
            $"RedisDown pending after {pendingAfter.TotalSeconds:F0} s, firing after {stopped.Elapsed.TotalSeconds:F0} s: {redisDown}");
    }

    private static string? AlertState(JsonElement rules, string alert) =>
        rules.GetProperty("data").GetProperty("groups").EnumerateArray()
            .SelectMany(g => g.GetProperty("rules").EnumerateArray())
            .Single(r => r.GetProperty("name").GetString() == alert)
            .GetProperty("state").GetString();

    [GeneratedRegex(@"\bbookstore_[a-z_]+")]
    private static partial Regex MetricName();
}
