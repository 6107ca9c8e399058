using System.Net.Http.Json;
using System.Text.Json;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Bookstore.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace Bookstore.Tests.EndToEnd;

/// <summary>A clean start of the AppHost, as a new user sees it: nothing red or yellow in the services' logs.</summary>
[Trait("Category", "EndToEnd")]
public sealed class AppHostCleanStartTests
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(120);

    /// <summary>The console logger's level prefixes that make a start look broken (and the dashboard's error badge).</summary>
    private static readonly string[] AlarmingLevels = ["fail:", "crit:", "warn:"];

    [Fact(Timeout = 600_000)]
    public async Task TwoCleanStartsLogNoFailureOrWarningAndCountNoRestoration()
    {
        var ct = TestContext.Current.CancellationToken;

        // Twice: the backplane's subscription raced the first connect in most starts, not all.
        for (var start = 1; start <= 2; start++)
        {
            using var data = new TemporaryDirectory("bookstore-clean-");
            var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.Bookstore_AppHost>(
                ["--Bookstore:Redis:Mode=local", $"--Bookstore:Redis:DataDirectory={data.Path}",
                 "--Bookstore:Prometheus:Mode=local", $"--Bookstore:Prometheus:DataDirectory={data.Path}/prometheus"], ct);
            await using var app = await builder.BuildAsync(ct);
            await app.StartAsync(ct);
            using var startup = CancellationTokenSource.CreateLinkedTokenSource(ct);
            startup.CancelAfter(StartTimeout);
            await app.ResourceNotifications.WaitForResourceHealthyAsync("api", startup.Token);

            // Healthy once its first warming run completed: by then both services have used L2 and the backplane.
            await app.ResourceNotifications.WaitForResourceHealthyAsync("worker", startup.Token);
            await app.ResourceNotifications.WaitForResourceHealthyAsync("prometheus", startup.Token);

            using var api = app.CreateHttpClient("api");
            (await api.GetAsync(new Uri("/books/1", UriKind.Relative), ct)).EnsureSuccessStatusCode();
            JsonElement metrics = default;
            Assert.True(await LinuxProcesses.WaitUntilAsync(
                async () => (metrics = await api.GetFromJsonAsync<JsonElement>("/redis/metrics", ct)).GetProperty("server").ValueKind == JsonValueKind.Object,
                TimeSpan.FromSeconds(30),
                ct), "The server monitor stored no snapshot.");
            var connection = metrics.GetProperty("connection");
            Assert.True(connection.GetProperty("connected").GetBoolean());
            Assert.True(connection.GetProperty("restorations").GetInt64() == 0, $"Start {start}: the first connect counted as a restoration: {connection}");
            Assert.Equal(0, connection.GetProperty("failures").GetInt64());

            var logs = app.Services.GetRequiredService<ResourceLoggerService>();
            var model = app.Services.GetRequiredService<DistributedApplicationModel>();
            var alarming = new List<string>();
            var lines = 0;
            foreach (var resource in model.Resources.Where(r => r.Name is "api" or "worker"))
            {
                await foreach (var batch in logs.GetAllAsync(resource).WithCancellation(ct))
                {
                    lines += batch.Count;
                    alarming.AddRange(batch
                        .Where(line => AlarmingLevels.Any(level => line.Content.Contains(level, StringComparison.Ordinal)) || line.IsErrorMessage)
                        .Select(line => $"{resource.Name}: {line.Content}"));
                }
            }

            Assert.True(lines > 0, "No api or worker log line was collected.");
            Assert.True(alarming.Count == 0, $"Start {start} logged:\n" + string.Join('\n', alarming));
        }
    }
}
