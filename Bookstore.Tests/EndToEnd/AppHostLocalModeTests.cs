using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Bookstore.AppHost.Redis;
using Bookstore.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace Bookstore.Tests.EndToEnd;

/// <summary>
/// The real AppHost in <c>local</c> mode: redis-server, Prometheus, api and worker started by DCP, once for the class
/// (<see cref="LocalAppHostFixture"/>, which also checks that disposing the AppHost stops its redis-server). The tests
/// run in the order declared: the first counts the api's operations around its round trips, before the second's reads
/// (and the views they count in the background) reach the api.
/// </summary>
[Trait("Category", "EndToEnd")]
[Collection(AppHostCollection.Name)]
[TestMethodOrderer(typeof(DeclarationOrderer))]
public sealed class AppHostLocalModeTests(LocalAppHostFixture appHost) : IClassFixture<LocalAppHostFixture>
{
    [Fact(Timeout = 300_000)]
    public async Task ApiRoundTripsThroughTheRedisTheAppHostStarted()
    {
        var ct = TestContext.Current.CancellationToken;
        var app = appHost.App;
        using var startup = CancellationTokenSource.CreateLinkedTokenSource(ct);
        startup.CancelAfter(AppHostStartup.Timeout);
        Assert.Single(LinuxProcesses.RedisServersIn(appHost.DataDirectory));

        using var http = app.CreateHttpClient("api");
        using (var anonymous = await http.GetAsync(new Uri("/redis/roundtrip", UriKind.Relative), ct))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        }

        http.DefaultRequestHeaders.Add("X-Api-Key", await app.ParameterValueAsync("api-admin-key", ct));
        var before = await QuietLookupsAsync(http, ct);
        using var response = await http.GetAsync(new Uri("/redis/roundtrip", UriKind.Relative), ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>(ct);
        Assert.True(body.GetProperty("ok").GetBoolean());

        // A known sequence: two round trips are 2 x (set, get hit, delete) through RedisService, counted below.
        using var second = await http.GetAsync(new Uri("/redis/roundtrip", UriKind.Relative), ct);
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);

        var health = await http.GetFromJsonAsync<JsonElement>("/redis/health", ct);
        Assert.Equal("healthy", health.GetProperty("status").GetString());
        var redis = health.GetProperty("redis");
        Assert.True(redis.GetProperty("healthy").GetBoolean());
        Assert.True(redis.GetProperty("last_health_check").GetDouble() > DateTimeOffset.UtcNow.AddMinutes(-1).ToUnixTimeSeconds());
        var metrics = redis.GetProperty("metrics");
        Assert.Equal(0.0, metrics.GetProperty("error_rate").GetDouble());
        Assert.True(metrics.GetProperty("avg_response_time").GetDouble() > 0);
        Assert.True(health.GetProperty("timestamp").GetDouble() > DateTimeOffset.UtcNow.AddMinutes(-1).ToUnixTimeSeconds());
        var after = await LookupsAsync(http, ct);
        Assert.Equal((6L, 2L, 0L), (after.Operations - before.Operations, after.Hits - before.Hits, after.Others - before.Others));

        var stats = await http.GetFromJsonAsync<JsonElement>("/cache/stats", ct);
        var probe = stats.GetProperty("types").EnumerateArray().Single(t => t.GetProperty("cache_type").GetString() == "probe");
        Assert.Equal(2, probe.GetProperty("hits").GetInt64());
        Assert.Equal(2, probe.GetProperty("payloads_written").GetInt64());

        // The server figures come from the one poller of the deployment (api or worker), through Redis.
        JsonElement server = default;
        Assert.True(await LinuxProcesses.WaitUntilAsync(
            async () => (server = (await http.GetFromJsonAsync<JsonElement>("/redis/metrics", ct)).GetProperty("server")).ValueKind == JsonValueKind.Object,
            TimeSpan.FromSeconds(30),
            ct));
        Assert.Equal(512L * 1024 * 1024, server.GetProperty("max_memory_bytes").GetInt64());
        Assert.Equal("volatile-lru", server.GetProperty("max_memory_policy").GetString());
        Assert.True(server.GetProperty("used_memory_bytes").GetInt64() > 0);

        // A dashboard command, run as bookstore-admin on the Redis the AppHost started.
        var cache = app.Services.GetRequiredService<DistributedApplicationModel>().Resources.Single(r => r.Name == "cache");
        var memory = await app.Services.GetRequiredService<ResourceCommandService>().ExecuteCommandAsync(cache, RedisDashboardCommands.MemoryReportCommand, ct);
        Assert.True(memory.Success, memory.Message);
        Assert.Contains("of maxmemory 512.00M", memory.Message, StringComparison.Ordinal);

        // api, worker, the poller's monitor connection and the AppHost's health check: not one command refused by the ACL.
        await using (var admin = await RedisAdminCommands.ConnectAsync((await RedisDashboardCommands.AdminConnectionString(cache).GetValueAsync(ct))!))
        {
            var refusals = (StackExchange.Redis.RedisResult[])(await admin.GetDatabase().ExecuteAsync("ACL", "LOG"))!;
            Assert.True(refusals.Length == 0, "Redis refused commands: " + string.Join(" | ", refusals.Select(r => string.Join(' ', ((StackExchange.Redis.RedisResult[])r!).Select(f => f.ToString())))));
        }

        // Prometheus text from both services (on their management endpoints, where Prometheus scrapes it),
        // valid for promtool and carrying the telemetry contract's names.
        using var apiManagement = app.CreateHttpClient("api", "management");
        var apiMetrics = await apiManagement.GetStringAsync(new Uri("/metrics", UriKind.Relative), ct);
        Assert.Contains("bookstore_cache_requests_total{", apiMetrics, StringComparison.Ordinal);
        Assert.Matches("bookstore_cache_requests_total\\{[^}]*cache_level=\"l2\"[^}]*cache_outcome=\"hit\"[^}]*cache_type=\"probe\"", apiMetrics);
        Assert.Contains("bookstore_cache_operation_duration_seconds_bucket{", apiMetrics, StringComparison.Ordinal);
        Assert.Contains("bookstore_cache_payload_size_bytes_bucket{", apiMetrics, StringComparison.Ordinal);
        Assert.Contains("bookstore_redis_connection_state{", apiMetrics, StringComparison.Ordinal);
        await PromtoolAcceptsAsync(apiMetrics, ct);
        using var worker = app.CreateHttpClient("worker", "management");
        await PromtoolAcceptsAsync(await worker.GetStringAsync(new Uri("/metrics", UriKind.Relative), ct), ct);

        // The local Prometheus scrapes the api: after N more lookups its query API sees them within 30 s.
        await app.ResourceNotifications.WaitForResourceHealthyAsync("prometheus", startup.Token);
        const int N = 10;
        for (var i = 0; i < N; i++)
        {
            (await http.GetAsync(new Uri("/redis/roundtrip", UriKind.Relative), ct)).EnsureSuccessStatusCode();
        }

        using var prometheus = new HttpClient { BaseAddress = app.GetEndpoint("prometheus", "http") };
        double total = 0;
        var scraped = await LinuxProcesses.WaitUntilAsync(
            async () =>
            {
                var answer = await prometheus.GetFromJsonAsync<JsonElement>("/api/v1/query?query=sum(bookstore_cache_requests_total)", ct);
                var result = answer.GetProperty("data").GetProperty("result");
                total = result.GetArrayLength() == 0 ? 0 : double.Parse(result[0].GetProperty("value")[1].GetString()!, System.Globalization.CultureInfo.InvariantCulture);
                return total >= N;
            },
            TimeSpan.FromSeconds(30),
            ct);
        Assert.True(scraped, $"Prometheus saw sum(bookstore_cache_requests_total) = {total} after {N} lookups.");

        // Redis persisted to the data folder the AppHost gave it (AOF on).
        Assert.True(Directory.Exists(Path.Combine(appHost.DataDirectory, "appendonlydir")));
    }

    [Fact(Timeout = 300_000)]
    public async Task BooksTheWorkerWarmedAreHitsOnTheirFirstRead()
    {
        var ct = TestContext.Current.CancellationToken;
        var app = appHost.App;
        using var startup = CancellationTokenSource.CreateLinkedTokenSource(ct);
        startup.CancelAfter(AppHostStartup.Timeout);

        // The dashboard's view of the worker: healthy, with a "ready: …" warming report, once the first run completed.
        var ready = await app.ResourceNotifications.WaitForResourceHealthyAsync("worker", startup.Token);
        var report = Assert.Single(ready.Snapshot.HealthReports, r => r.Name == "worker-warming");
        Assert.StartsWith("ready: ", report.Description, StringComparison.Ordinal);

        using var worker = app.CreateHttpClient("worker");
        using (var anonymous = await worker.GetAsync(new Uri("/warming", UriKind.Relative), ct))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        }

        worker.DefaultRequestHeaders.Add("X-Api-Key", await app.ParameterValueAsync("api-admin-key", ct));
        var status = await worker.GetFromJsonAsync<JsonElement>("/warming", ct);
        Assert.Equal("Ready", status.GetProperty("phase").GetString());
        var warmed = status.GetProperty("lastBookIds").EnumerateArray().Select(e => e.GetInt32()).ToList();
        Assert.NotEmpty(warmed);
        using var api = app.CreateHttpClient("api");
        var hits = 0;
        foreach (var id in warmed)
        {
            using var response = await api.GetAsync(new Uri($"/books/{id}", UriKind.Relative), ct);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var header = response.Headers.GetValues("X-Cache").Single();
            hits += header is "hit-l1" or "hit-l2" ? 1 : 0;
        }

        TestContext.Current.SendDiagnosticMessage($"First reads of {warmed.Count} warmed books: {hits} hits.");
        Assert.True(hits >= warmed.Count * 0.95, $"Only {hits} of {warmed.Count} warmed books were hits on their first read.");

        // A reader signs in, "Warm cache now" runs again, and their recommendations are a hit on their first read.
        var password = await app.ParameterValueAsync("demo-reader-password", ct);
        using var signIn = await api.PostAsJsonAsync("/sessions", new { userId = 1, password }, ct);
        Assert.Equal(HttpStatusCode.Created, signIn.StatusCode);
        var token = (await signIn.Content.ReadFromJsonAsync<JsonElement>(ct)).GetProperty("token").GetString();
        var runs = status.GetProperty("runs").GetInt32();
        // The dashboard's "Warm cache now", which sends the admin key.
        var command = await app.Services.GetRequiredService<ResourceCommandService>().ExecuteCommandAsync("worker", WorkerWarmingExtensions.WarmNowCommand, ct);
        Assert.True(command.Success, command.Message);

        Assert.True(await LinuxProcesses.WaitUntilAsync(
            async () =>
            {
                status = await worker.GetFromJsonAsync<JsonElement>("/warming", ct);
                return status.GetProperty("runs").GetInt32() > runs && status.GetProperty("phase").GetString() == "Ready";
            },
            TimeSpan.FromSeconds(60),
            ct), "The worker did not complete the requested run: " + status);
        Assert.Contains(1, status.GetProperty("lastUserIds").EnumerateArray().Select(u => u.GetInt32()));
        using var recommendations = new HttpRequestMessage(HttpMethod.Get, "/users/1/recommendations");
        recommendations.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        using var first = await api.SendAsync(recommendations, ct);
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Contains(first.Headers.GetValues("X-Cache").Single(), new[] { "hit-l1", "hit-l2" });
    }

    /// <summary>
    /// <see cref="LookupsAsync"/> once they stay the same for a second (at most 15 s): what the warming run set off in
    /// the api (a factory finishing in the background on a slow machine) has landed before the round trips are counted.
    /// </summary>
    private static async Task<(long Operations, long Hits, long Others)> QuietLookupsAsync(HttpClient http, CancellationToken ct)
    {
        var last = await LookupsAsync(http, ct);
        for (var deadline = DateTime.UtcNow.AddSeconds(15); DateTime.UtcNow < deadline;)
        {
            await Task.Delay(TimeSpan.FromSeconds(1), ct);
            var now = await LookupsAsync(http, ct);
            if (now == last)
            {
                break;
            }

            last = now;
        }

        return last;
    }

    /// <summary>The api's operations and its lookups (hits, and misses or stale answers) since it started, from /cache/stats.</summary>
    private static async Task<(long Operations, long Hits, long Others)> LookupsAsync(HttpClient http, CancellationToken ct)
    {
        var stats = await http.GetFromJsonAsync<JsonElement>("/cache/stats", ct);
        var types = stats.GetProperty("types").EnumerateArray().ToList();
        return (
            stats.GetProperty("totals").GetProperty("total_operations").GetInt64(),
            types.Sum(t => t.GetProperty("hits").GetInt64()),
            types.Sum(t => t.GetProperty("misses").GetInt64() + t.GetProperty("stale").GetInt64()));
    }

    private static async Task PromtoolAcceptsAsync(string metrics, CancellationToken ct)
    {
        var promtool = Bookstore.AppHost.Redis.RedisModeResolver.FindOnPath("promtool")
            ?? throw new InvalidOperationException("promtool is not on PATH; install the Debian package 'prometheus' (.ci/run does).");
        var startInfo = new System.Diagnostics.ProcessStartInfo(promtool, ["check", "metrics"])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = System.Diagnostics.Process.Start(startInfo)!;
        await process.StandardInput.WriteAsync(metrics.AsMemory(), ct);
        process.StandardInput.Close();
        var output = await process.StandardOutput.ReadToEndAsync(ct) + await process.StandardError.ReadToEndAsync(ct);
        await process.WaitForExitAsync(ct);
        Assert.True(process.ExitCode == 0, "promtool check metrics failed:\n" + output);
    }
}
