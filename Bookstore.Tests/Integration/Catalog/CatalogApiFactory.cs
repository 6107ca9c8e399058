extern alias api;

using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using Bookstore.Api.Catalog;
using Bookstore.Tests.Support;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Bookstore.Tests.Integration.Catalog;

/// <summary>
/// The real API in-process on a test Redis (a redis-server or a cluster) and a SQLite file; two factories on the same both act as two replicas.
/// <paramref name="configure"/> runs after the settings below, so it can change or remove any of them.
/// </summary>
internal sealed class CatalogApiFactory(ITestRedis redis, string sqlitePath, Action<IWebHostBuilder>? configure = null) : WebApplicationFactory<api::Program>
{
    /// <summary>This API's admin key (<c>X-Api-Key</c>), made for the test.</summary>
    public string AdminKey { get; } = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24));

    /// <summary>The seeded demo readers' password (<c>Bookstore:Catalog:DemoReaderPassword</c>), made for the test.</summary>
    public string ReaderPassword { get; } = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12));

    public ICatalogStore Store => Services.GetRequiredService<ICatalogStore>();

    /// <summary>A client that sends the admin key on every request.</summary>
    public HttpClient CreateAdminClient()
    {
        var http = CreateClient();
        http.DefaultRequestHeaders.Add("X-Api-Key", AdminKey);
        return http;
    }

    /// <summary>A client that acts as the reader of <paramref name="token"/> (<c>Authorization: Bearer</c>).</summary>
    public HttpClient CreateReaderClient(string token)
    {
        var http = CreateClient();
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return http;
    }

    /// <summary>Signs the demo reader <paramref name="userId"/> in through <c>POST /sessions</c> and returns the session token.</summary>
    public async Task<string> SignInAsync(int userId, CancellationToken cancellationToken)
    {
        using var http = CreateClient();
        using var response = await http.PostAsJsonAsync(new Uri("/sessions", UriKind.Relative), new { userId, password = ReaderPassword }, cancellationToken);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JsonElement>(cancellationToken)).GetProperty("token").GetString()!;
    }

    /// <summary>The shipped timeouts (<c>RedisOptions</c>: 500 ms for a cache call), for tests of how a timeout is handled.</summary>
    public static void UseShippedTimeouts(IWebHostBuilder builder)
    {
        builder.UseSetting("Bookstore:Redis:OperationTimeoutMs", "1000");
        builder.UseSetting("Bookstore:Redis:CacheTimeoutMs", "500");
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        // UseSetting, not ConfigureAppConfiguration: Program reads the connection strings while it builds.
        foreach (var (name, value) in redis.ServiceSettings)
        {
            builder.UseSetting(name, value);
        }

        builder.UseSetting("ConnectionStrings:catalog", $"Data Source={sqlitePath}");
        // 2 s for a cache call, not the shipped 500 ms: on CI's 2 busy cores (an AppHost lane beside every class) Redis
        // sometimes answers a session write after 500 ms, and a test of something else then got a 503 sign-in. The
        // tests of how a timeout, an outage or a failover is handled (HungRedisTests, CatalogApiOutageTests, the failover tests) set the
        // shipped values back.
        builder.UseSetting("Bookstore:Redis:OperationTimeoutMs", "2000");
        builder.UseSetting("Bookstore:Redis:CacheTimeoutMs", "2000");
        builder.UseSetting("Bookstore:Redis:ConnectTimeoutMs", "2000");
        builder.UseSetting("Bookstore:Security:AdminApiKey", AdminKey);
        builder.UseSetting("Bookstore:Catalog:DemoReaderPassword", ReaderPassword);

        // Tests sign in and read far more often than a reader: the limits are off here and on in RateLimitTests.
        builder.UseSetting("Bookstore:RateLimits:Enabled", "false");
        builder.UseSetting("Logging:LogLevel:Default", "Warning");
        configure?.Invoke(builder);
    }
}
