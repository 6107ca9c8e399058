using System.Net;
using Bookstore.AppHost.Local;
using Bookstore.Tests.Integration.Catalog;
using Bookstore.Tests.Support;
using Microsoft.AspNetCore.Hosting;

namespace Bookstore.Tests.Security;

/// <summary>
/// Outside Development, /health, /alive and /metrics answer only on the management port (docs/operations.md):
/// the API in the Production environment on real Kestrel sockets, a public port and a management port.
/// </summary>
[Trait("Category", "Security")]
public sealed class ManagementPortTests(RedisFixture redisServer) : IClassFixture<RedisFixture>
{
    private static readonly string[] ManagementPaths = ["/health", "/alive", "/metrics"];

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task HealthAliveAndMetricsAnswerOnlyOnTheManagementPortInProduction()
    {
        var redis = await redisServer.FlushedAsync();
        using var data = new TemporaryDirectory("bookstore-management-");
        var (publicPort, managementPort) = (LoopbackPort.FindFree(), LoopbackPort.FindFree());
        await using var api = new CatalogApiFactory(redis, Path.Combine(data.Path, "catalog.db"), builder => builder
            .UseEnvironment("Production")
            .UseSetting("Bookstore:Management:Port", managementPort.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        api.UseKestrel(kestrel =>
        {
            kestrel.Listen(IPAddress.Loopback, publicPort);
            kestrel.Listen(IPAddress.Loopback, managementPort);
        });
        api.StartServer();
        using var publicHttp = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{publicPort}") };
        using var managementHttp = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{managementPort}") };

        using (var book = await publicHttp.GetAsync(new Uri("/books/1", UriKind.Relative), Ct))
        {
            Assert.Equal(HttpStatusCode.OK, book.StatusCode);
        }

        foreach (var path in ManagementPaths)
        {
            // Not there on the public port, whatever the spelling and whatever Host the client claims.
            foreach (var spelling in new[] { path, path.ToUpperInvariant(), path + "/" })
            {
                using var response = await publicHttp.GetAsync(new Uri(spelling, UriKind.Relative), Ct);
                Assert.True(response.StatusCode == HttpStatusCode.NotFound, $"{spelling} on the public port: {(int)response.StatusCode}");
            }

            using var spoofed = new HttpRequestMessage(HttpMethod.Get, path);
            spoofed.Headers.Host = $"127.0.0.1:{managementPort}";
            using (var response = await publicHttp.SendAsync(spoofed, Ct))
            {
                Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
            }

            using var served = await managementHttp.GetAsync(new Uri(path, UriKind.Relative), Ct);
            Assert.True(served.StatusCode == HttpStatusCode.OK, $"{path} on the management port: {(int)served.StatusCode}");
        }

        var metrics = await managementHttp.GetStringAsync(new Uri("/metrics", UriKind.Relative), Ct);
        Assert.Contains("bookstore_cache_requests_total{", metrics, StringComparison.Ordinal);
    }

    [Fact]
    public async Task OutsideDevelopmentAServiceWithoutAManagementPortDoesNotStartAndSaysWhatToSet()
    {
        var redis = await redisServer.FlushedAsync();
        using var data = new TemporaryDirectory("bookstore-management-");
        await using var api = new CatalogApiFactory(redis, Path.Combine(data.Path, "catalog.db"), builder => builder.UseEnvironment("Production"));

        var error = Assert.ThrowsAny<Exception>(() => api.CreateClient());

        Assert.Contains("Bookstore:Management:Port", Flatten(error), StringComparison.Ordinal);
    }

    private static string Flatten(Exception error) =>
        error.InnerException is null ? error.Message : error.Message + " | " + Flatten(error.InnerException);
}
