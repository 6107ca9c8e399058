using Aspire.Hosting.ApplicationModel;
using Bookstore.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace Bookstore.Tests.EndToEnd;

/// <summary>A clean start of the AppHost, as a new user sees it: nothing red or yellow in the services' logs.</summary>
[Trait("Category", "EndToEnd")]
public sealed class AppHostCleanStartTests
{
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
            var (started, metrics) = await LocalAppHost.StartAsync(data.Path, [], ct);
            await using var app = started;
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
