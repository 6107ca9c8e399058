using System.Net.Http.Json;
using System.Text.Json;
using Aspire.Hosting;
using Aspire.Hosting.Testing;

namespace Bookstore.Tests.Support;

/// <summary>The real AppHost in <c>local</c> mode with its local Prometheus, started and waited for until every resource is healthy.</summary>
internal static class LocalAppHost
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(180);

    /// <summary>
    /// Starts it with its data under <paramref name="dataDirectory"/>, waits until api, worker (its first warming run
    /// done, so both services have used L2 and the backplane) and Prometheus are healthy, reads one book, and waits for
    /// the server monitor's first snapshot. Returns <c>/redis/metrics</c> as it then answers.
    /// </summary>
    public static async Task<(DistributedApplication App, JsonElement RedisMetrics)> StartAsync(string dataDirectory, string[] args, CancellationToken ct)
    {
        var builder = await AppHostBuilder.CreateAsync(
            ["--Bookstore:Redis:Mode=local", $"--Bookstore:Redis:DataDirectory={dataDirectory}",
             "--Bookstore:Prometheus:Mode=local", $"--Bookstore:Prometheus:DataDirectory={dataDirectory}/prometheus", .. args], ct);
        var app = await builder.BuildAsync(ct);
        try
        {
            using var startup = CancellationTokenSource.CreateLinkedTokenSource(ct);
            startup.CancelAfter(StartTimeout);
            await app.StartAsync(startup.Token);
            foreach (var resource in new[] { "api", "worker", "prometheus" })
            {
                await app.ResourceNotifications.WaitForResourceHealthyAsync(resource, startup.Token);
            }

            using var api = app.CreateHttpClient("api");
            (await api.GetAsync(new Uri("/books/1", UriKind.Relative), ct)).EnsureSuccessStatusCode();
            JsonElement metrics = default;
            Assert.True(await LinuxProcesses.WaitUntilAsync(
                async () => (metrics = await api.GetFromJsonAsync<JsonElement>("/redis/metrics", ct)).GetProperty("server").ValueKind == JsonValueKind.Object,
                TimeSpan.FromSeconds(60),
                ct), "The server monitor stored no snapshot.");
            return (app, metrics);
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }
    }
}
