using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Bookstore.AppHost.Redis;
using Bookstore.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace Bookstore.Tests.EndToEnd;

/// <summary>
/// The Production profile's replicated topology as the AppHost runs it (<see cref="ReplicatedAppHostFixture"/>): every
/// process healthy and shown with its role, two api replicas that never serve a book older than its last update, the
/// dashboard's failover drills, and a data node that starts again after a failover. The tests run in the order
/// declared: the drills move the primary.
/// </summary>
[Trait("Category", "EndToEnd")]
[Collection(AppHostCollection.Name)]
[TestMethodOrderer(typeof(DeclarationOrderer))]
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed partial class AppHostReplicatedTopologyTests(ReplicatedAppHostFixture appHost) : IClassFixture<ReplicatedAppHostFixture>
{
    private const string RoleProperty = ReplicatedRedisExtensions.RoleProperty;

    private static readonly TimeSpan RolesTimeout = TimeSpan.FromSeconds(30);

    private static void Report(string line) => TestContext.Current.TestOutputHelper?.WriteLine(line);

    [Fact(Timeout = 300_000)]
    public async Task ProductionRunsAPrimaryAReplicaThreeSentinelsAndTwoApiReplicasAllHealthyWithinAMinute()
    {
        var ct = TestContext.Current.CancellationToken;
        Report($"Every resource (each api replica included) healthy {appHost.HealthyAfter.TotalSeconds:F1} s after the start; each first healthy after: {appHost.States.HealthyTimes()}.");
        Assert.True(appHost.HealthyAfter <= TimeSpan.FromSeconds(60), $"Every resource was healthy only after {appHost.HealthyAfter.TotalSeconds:F1} s.");

        // Five processes of ours: two data nodes and three Sentinels, each in a folder only this user may read.
        var processes = string.Join(", ", appHost.RedisProcesses.Select(pid => $"{pid} {LinuxProcesses.CommandLineOf(pid)} in {LinuxProcesses.WorkingDirectoryOf(pid)}"));
        Assert.True(appHost.RedisProcesses.Count == 5, processes);
        Assert.True(LinuxProcesses.Sentinels(appHost.RedisProcesses).Count == 3, processes);
        foreach (var folder in Nodes().Select(n => n.DataDirectory).Concat(Sentinels().Select(s => s.DataDirectory)))
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(folder));
        }

        // The dashboard: each process a child of cache, with its role.
        var (primary, replica) = await PrimaryAndReplicaAsync(ct);
        Report($"Roles: {primary.Name} primary, {replica.Name} {appHost.States.Property(replica.Name, RoleProperty)}, three sentinels.");
        foreach (var name in Nodes().Select(n => n.Name).Concat(Sentinels().Select(s => s.Name)))
        {
            Assert.Contains(appHost.States.Single(name).Snapshot.Relationships, r => r.ResourceName == "cache" && r.Type == "Parent");
        }

        Assert.All(Sentinels(), s => Assert.Equal(RedisRoles.Sentinel, appHost.States.Property(s.Name, RoleProperty)));
        Assert.Equal($"{primary.Name} (127.0.0.1:{primary.Port})", appHost.States.Property("cache", ReplicatedRedisExtensions.PrimaryProperty));

        // Two api replicas, each connected through the Sentinels and reading from replicas.
        var apis = appHost.States.Instances("api");
        Assert.Equal(2, apis.Count);
        foreach (var api in apis)
        {
            var environment = api.Snapshot.EnvironmentVariables.ToDictionary(v => v.Name, v => v.Value);
            Assert.Equal("true", environment["Bookstore__Redis__PreferReplica"]);
            Assert.Contains(",serviceName=bookstore,user=bookstore-app,", environment["ConnectionStrings__cache"], StringComparison.Ordinal);
            Assert.Contains(",serviceName=bookstore,user=bookstore-monitor,", environment["ConnectionStrings__cache-monitor"], StringComparison.Ordinal);
        }

        // Prometheus scrapes each replica on its own port, labelled with its instance name.
        using var prometheus = new HttpClient { BaseAddress = appHost.App.GetEndpoint("prometheus", "http") };
        IReadOnlyList<string?> scraped = [];
        Assert.True(await LinuxProcesses.WaitUntilAsync(
            async () =>
            {
                var up = await prometheus.GetFromJsonAsync<JsonElement>("/api/v1/query?query=up%7Bjob%3D%22api%22%7D%3D%3D1", ct);
                scraped = [.. up.GetProperty("data").GetProperty("result").EnumerateArray().Select(r => r.GetProperty("metric").GetProperty("replica").GetString()).Order()];
                return scraped.Count == 2;
            },
            TimeSpan.FromSeconds(30),
            ct), $"Prometheus scrapes these api replicas: {string.Join(", ", scraped)}");
        Assert.Equal(apis.Select(a => a.ResourceId).Order(), scraped);
    }

    [Fact(Timeout = 300_000)]
    public async Task ABookUpdatedThroughOneApiReplicaIsReadWithItsNewTitleThroughTheOtherAtOnce200Times()
    {
        var ct = TestContext.Current.CancellationToken;
        var key = await appHost.App.ParameterValueAsync("api-admin-key", ct);
        var endpoints = appHost.States.Instances("api").Select(HttpEndpoint).ToList();
        Assert.Equal(2, endpoints.Count);
        Assert.NotEqual(endpoints[0], endpoints[1]);
        using var a = new HttpClient { BaseAddress = endpoints[0] };
        using var b = new HttpClient { BaseAddress = endpoints[1] };
        foreach (var client in new[] { a, b })
        {
            client.DefaultRequestHeaders.Add("X-Api-Key", key);
        }

        // A book of the test's own (the api's SQLite catalog lives in its project folder and outlives the run).
        using var created = await a.PostAsJsonAsync("/books", new { title = "Replicated 0", authors = new[] { "Test Author" }, price = 10m }, ct);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var id = (await created.Content.ReadFromJsonAsync<JsonElement>(ct)).GetProperty("id").GetInt32();
        var path = new Uri($"/books/{id}", UriKind.Relative);
        var outcomes = new Dictionary<string, int>(StringComparer.Ordinal);
        try
        {
            // Both replicas hold the book in memory before the first update.
            foreach (var client in new[] { a, b })
            {
                (await client.GetAsync(path, ct)).EnsureSuccessStatusCode();
            }

            const int Updates = 200;
            for (var i = 1; i <= Updates; i++)
            {
                var (writer, reader) = i % 2 == 1 ? (a, b) : (b, a);
                var title = $"Replicated {i}";
                using (var update = await writer.PutAsJsonAsync(path, new { title, authors = new[] { "Test Author" }, price = 10m }, ct))
                {
                    Assert.Equal(HttpStatusCode.OK, update.StatusCode);
                }

                using var read = await reader.GetAsync(path, ct);
                Assert.Equal(HttpStatusCode.OK, read.StatusCode);
                var served = (await read.Content.ReadFromJsonAsync<JsonElement>(ct)).GetProperty("title").GetString();
                var outcome = read.Headers.TryGetValues("X-Cache", out var values) ? values.Single() : "none";
                Assert.True(served == title, $"Update {i}: the other replica ({reader.BaseAddress}) served '{served}' ({outcome}) instead of '{title}'.");
                outcomes[outcome] = outcomes.GetValueOrDefault(outcome) + 1;
            }

            Report($"{Updates} updates, each read through the other replica at once: the new title every time; X-Cache of those reads: "
                   + string.Join(", ", outcomes.OrderBy(o => o.Key, StringComparer.Ordinal).Select(o => $"{o.Key} {o.Value}")));
        }
        finally
        {
            (await a.DeleteAsync(path, CancellationToken.None)).Dispose();
        }
    }

    [Fact(Timeout = 300_000)]
    public async Task FailOverNowPromotesTheReplicaAndLogsWhenWritesThroughTheSentinelsSucceededAgain() =>
        await DrillMovesThePrimaryToTheReplicaAsync(ReplicatedRedisExtensions.FailOverCommand, "Fail over now", TestContext.Current.CancellationToken);

    /// <remarks>
    /// Sentinel gives up on a primary that has not answered for 2 s (SentinelTimings), so the writes resume on the
    /// replica before the pause ends; when it ends the old primary takes the Sentinels' orders and is a replica: one
    /// primary, not two.
    /// </remarks>
    [Fact(Timeout = 300_000)]
    public async Task PausingThePrimaryForTenSecondsFailsItOverAndItWakesAsAReplica() =>
        await DrillMovesThePrimaryToTheReplicaAsync(ReplicatedRedisExtensions.PausePrimaryCommand, "Pause primary for 10 s", TestContext.Current.CancellationToken);

    [Fact(Timeout = 300_000)]
    public async Task ADataNodeStartedAgainAfterItsFailoverComesBackAsAReplicaOfTheNewPrimary()
    {
        var ct = TestContext.Current.CancellationToken;
        var (primary, replica) = await PrimaryAndReplicaAsync(ct);

        // The primary's process dies; the Sentinels promote the replica.
        var pid = Assert.Single(LinuxProcesses.RedisProcessesUnder(primary.DataDirectory));
        System.Diagnostics.Process.GetProcessById(pid).Kill();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        Assert.True(
            await LinuxProcesses.WaitUntilAsync(() => appHost.States.Property(replica.Name, RoleProperty) == RedisRoles.Primary, RolesTimeout, ct),
            $"{replica.Name} was not promoted: " + appHost.States.Describe([primary.Name, replica.Name]));
        Report($"SIGKILL of {primary.Name}: {replica.Name} shown as the primary after {clock.Elapsed.TotalSeconds:F1} s.");

        // Started again from the dashboard, it asks the Sentinels first and starts as a replica, not as a second primary.
        var start = await appHost.App.Services.GetRequiredService<ResourceCommandService>()
            .ExecuteCommandAsync(appHost.States.Single(primary.Name).ResourceId, KnownResourceCommands.StartCommand, ct);
        Assert.True(start.Success, start.Message);
        var (after, rejoined) = await PrimaryAndReplicaAsync(ct, expectedPrimary: replica);
        Assert.Equal(replica.Name, after.Name);
        Assert.Equal(primary.Name, rejoined.Name);
        var starts = (await LogLinesAsync(appHost.States.Single(primary.Name).ResourceId, ct)).Where(l => l.Contains($"{primary.Name} starts as", StringComparison.Ordinal)).ToList();
        Assert.True(starts.Count == 2, string.Join('\n', starts));
        Assert.EndsWith($"{primary.Name} starts as a replica of 127.0.0.1:{replica.Port}, as the Sentinels name it", starts[1], StringComparison.Ordinal);
    }

    private IReadOnlyList<RedisDataNodeResource> Nodes() =>
        [.. appHost.App.Services.GetRequiredService<DistributedApplicationModel>().Resources.OfType<RedisDataNodeResource>()];

    private IReadOnlyList<RedisSentinelResource> Sentinels() =>
        [.. appHost.App.Services.GetRequiredService<DistributedApplicationModel>().Resources.OfType<RedisSentinelResource>()];

    /// <summary>
    /// Waits until the dashboard shows exactly one data node as the primary (<paramref name="expectedPrimary"/> when
    /// given) and the other as its replica with the link up, and returns them.
    /// </summary>
    private async Task<(RedisDataNodeResource Primary, RedisDataNodeResource Replica)> PrimaryAndReplicaAsync(
        CancellationToken ct, RedisDataNodeResource? expectedPrimary = null)
    {
        var nodes = Nodes();
        Assert.Equal(2, nodes.Count);
        (RedisDataNodeResource, RedisDataNodeResource)? pair = null;
        var shown = await LinuxProcesses.WaitUntilAsync(
            () =>
            {
                var primaries = nodes.Where(n => appHost.States.Property(n.Name, RoleProperty) == RedisRoles.Primary).ToList();
                if (primaries is not [var primary] || (expectedPrimary is not null && primary != expectedPrimary))
                {
                    return false;
                }

                var replica = nodes.Single(n => n != primary);
                pair = (primary, replica);
                return appHost.States.Property(replica.Name, RoleProperty) == $"{RedisRoles.Replica} of 127.0.0.1:{primary.Port}";
            },
            RolesTimeout,
            ct);
        Assert.True(shown, "The dashboard did not show one primary and its replica: "
                           + string.Join(", ", nodes.Select(n => $"{n.Name}={appHost.States.Property(n.Name, RoleProperty)}")));
        return pair!.Value;
    }

    /// <summary>
    /// Runs a drill through the cache resource's dashboard command and checks what it did: its log line names the primary
    /// before and the replica as where writes succeeded again, the dashboard then shows the replica as the primary and
    /// the old primary as its replica, and the services and the admin commands reach the new primary.
    /// </summary>
    private async Task DrillMovesThePrimaryToTheReplicaAsync(string command, string drill, CancellationToken ct)
    {
        var (before, replica) = await PrimaryAndReplicaAsync(ct);
        var result = await appHost.App.Services.GetRequiredService<ResourceCommandService>().ExecuteCommandAsync("cache", command, ct);
        Assert.True(result.Success, result.Message);
        var logged = await DrillLogLineAsync(drill, ct);
        Report($"{drill}: {result.Message} Logged: {logged.Value}");
        Assert.Equal(before.Port, logged.Before);
        Assert.Equal(replica.Port, logged.After);

        var (after, demoted) = await PrimaryAndReplicaAsync(ct, expectedPrimary: replica);
        Assert.Equal(before.Name, demoted.Name);
        Assert.Equal(replica.Name, after.Name);
        await ApiRoundTripSucceedsAsync(ct);

        // The admin commands on cache follow the primary too.
        var memory = await appHost.App.Services.GetRequiredService<ResourceCommandService>().ExecuteCommandAsync("cache", RedisDashboardCommands.MemoryReportCommand, ct);
        Assert.True(memory.Success, memory.Message);
        Assert.Contains($"Memory of 127.0.0.1:{after.Port}:", memory.Data?.Value, StringComparison.Ordinal);
    }

    /// <summary>The drill's line in the cache resource's log (what the dashboard shows), with the ports and the time it names.</summary>
    private async Task<(string Value, int Before, int After, double Milliseconds)> DrillLogLineAsync(string drill, CancellationToken ct)
    {
        var line = (await LogLinesAsync("cache", ct)).Last(l => l.Contains(drill + ": primary was", StringComparison.Ordinal));
        var match = DrillLine().Match(line);
        Assert.True(match.Success, line);
        return (match.Value, Number(match.Groups["before"].Value), Number(match.Groups["after"].Value), double.Parse(match.Groups["ms"].Value, CultureInfo.InvariantCulture));
    }

    private async Task<IReadOnlyList<string>> LogLinesAsync(string resourceId, CancellationToken ct)
    {
        var lines = new List<string>();
        await foreach (var batch in appHost.App.Services.GetRequiredService<ResourceLoggerService>().GetAllAsync(resourceId).WithCancellation(ct))
        {
            lines.AddRange(batch.Select(l => l.Content));
        }

        return lines;
    }

    /// <summary><c>/redis/roundtrip</c> (set, get, delete through RedisService) answers 200 within 15 s.</summary>
    private async Task ApiRoundTripSucceedsAsync(CancellationToken ct)
    {
        using var api = appHost.App.CreateHttpClient("api");
        api.DefaultRequestHeaders.Add("X-Api-Key", await appHost.App.ParameterValueAsync("api-admin-key", ct));
        var status = HttpStatusCode.InternalServerError;
        Assert.True(await LinuxProcesses.WaitUntilAsync(
            async () =>
            {
                using var response = await api.GetAsync(new Uri("/redis/roundtrip", UriKind.Relative), ct);
                status = response.StatusCode;
                return status == HttpStatusCode.OK;
            },
            TimeSpan.FromSeconds(15),
            ct), $"/redis/roundtrip answered {(int)status} 15 s after the drill.");
    }

    /// <summary>An api replica's own http endpoint (not the proxy that spreads requests over both): the URL of ASPNETCORE_URLS that is not its management port.</summary>
    private static Uri HttpEndpoint(ResourceEvent instance)
    {
        var environment = instance.Snapshot.EnvironmentVariables.ToDictionary(v => v.Name, v => v.Value);
        var management = environment[ManagementEndpointExtensions.PortVariable];
        var url = environment["ASPNETCORE_URLS"]!.Split(';').Single(u => !u.EndsWith(":" + management, StringComparison.Ordinal));
        return new Uri(url);
    }

    private static int Number(string text) => int.Parse(text, CultureInfo.InvariantCulture);

    [GeneratedRegex(@"primary was 127\.0\.0\.1:(?<before>\d+); a write through the Sentinels succeeded on 127\.0\.0\.1:(?<after>\d+) after (?<ms>\d+) ms")]
    private static partial Regex DrillLine();
}
