using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Bookstore.AppHost.Profiles;
using Bookstore.AppHost.Redis;
using Bookstore.Caching.Redis;
using Bookstore.Caching.Typed;
using Bookstore.Tests.Infrastructure;
using Bookstore.Tests.Support;
using Microsoft.Extensions.Hosting;
using StackExchange.Redis;

namespace Bookstore.Tests.Security;

/// <summary>
/// The TLS option: a real redis-server speaking TLS only, with certificates the test makes; the Bookstore caching stack
/// over it; clients that speak plain text, do not trust the CA or expect another name are refused.
/// </summary>
[Trait("Category", "Security")]
public sealed class RedisTlsTests
{
    [Fact(Timeout = 60_000)]
    public async Task RedisServiceAndCacheServiceWorkOverTlsTrustingTheGivenCa()
    {
        var ct = TestContext.Current.CancellationToken;
        using var certificates = TestCertificates.Create();
        await using var server = await StartTlsServerAsync(certificates);

        using (var writer = await CachingHost.StartWithCacheAsync(server, TlsClient(certificates.CaCertificateFile)))
        {
            var redis = writer.Get<IRedisService>();
            Assert.True(await redis.SetAsync("tls:probe", "over tls", TimeSpan.FromMinutes(5), ct));
            Assert.Equal("over tls", (await redis.GetAsync<string>("tls:probe", ct)).Value);
            Assert.Equal(1, (await redis.IncrementAsync("tls:counter", cancellationToken: ct)).Value);
            await writer.Get<ICacheService>().SetAsync(CacheType.Reference, new[] { "eng", "fre" }, "languages", cancellationToken: ct);
        }

        // A second service has nothing in its L1: what it reads came over TLS from Redis.
        using var reader = await CachingHost.StartWithCacheAsync(server, TlsClient(certificates.CaCertificateFile));
        var languages = await reader.Get<ICacheService>().GetAsync<string[]>(CacheType.Reference, "languages", ct);
        Assert.Equal(["eng", "fre"], Assert.IsType<string[]>(languages.Value));
        Assert.Equal("over tls", (await reader.Get<IRedisService>().GetAsync<string>("tls:probe", ct)).Value);
    }

    [Fact(Timeout = 60_000)]
    public async Task PlainTextClientToTheTlsPortIsRefused()
    {
        var ct = TestContext.Current.CancellationToken;
        using var certificates = TestCertificates.Create();
        await using var server = await StartTlsServerAsync(certificates);

        var error = await Assert.ThrowsAsync<RedisConnectionException>(() => ConnectAsync(server.ConnectionString));
        Assert.Contains("Error connecting", error.Message, StringComparison.Ordinal);

        using var host = await CachingHost.StartAsync(server);
        Assert.False(await host.Get<IRedisService>().SetAsync("tls:plain", "must not land", TimeSpan.FromMinutes(5), ct));
        await AssertKeyAbsentAsync(server, certificates, "bookstore:tls:plain");
    }

    [Fact(Timeout = 60_000)]
    public async Task ClientThatDoesNotTrustTheCaIsRefused()
    {
        var ct = TestContext.Current.CancellationToken;
        using var certificates = TestCertificates.Create();
        using var otherCa = TestCertificates.Create("Some Other CA");
        await using var server = await StartTlsServerAsync(certificates);

        // The machine's store does not hold the test CA, and trusting another CA does not help.
        var untrusted = await Assert.ThrowsAsync<RedisConnectionException>(() => ConnectAsync(server.ConnectionString + ",ssl=true"));
        Assert.Contains("UntrustedRoot", untrusted.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<RedisConnectionException>(() => ConnectAsync(server.ConnectionString + ",ssl=true", otherCa.CaCertificateFile));

        KeyValuePair<string, string?>[][] untrustingServices = [[new("Bookstore:Redis:Tls:Enabled", "true")], TlsClient(otherCa.CaCertificateFile)];
        foreach (var settings in untrustingServices)
        {
            using var host = await CachingHost.StartAsync(server, settings);
            Assert.False(await host.Get<IRedisService>().SetAsync("tls:untrusted", "must not land", TimeSpan.FromMinutes(5), ct));
        }

        await AssertKeyAbsentAsync(server, certificates, "bookstore:tls:untrusted");
    }

    [Fact(Timeout = 60_000)]
    public async Task TrustingTheCaDoesNotWaiveTheServerNameCheck()
    {
        var ct = TestContext.Current.CancellationToken;
        using var certificates = TestCertificates.Create();
        await using var server = await StartTlsServerAsync(certificates);

        using var host = await CachingHost.StartAsync(
            server, [.. TlsClient(certificates.CaCertificateFile), new("Bookstore:Redis:Tls:SslHost", "redis.example.internal")]);
        Assert.False(await host.Get<IRedisService>().SetAsync("tls:wrong-name", "must not land", TimeSpan.FromMinutes(5), ct));

        using var byName = await CachingHost.StartAsync(
            server, [.. TlsClient(certificates.CaCertificateFile), new("Bookstore:Redis:Tls:SslHost", "localhost")]);
        Assert.True(await byName.Get<IRedisService>().SetAsync("tls:right-name", "lands", TimeSpan.FromMinutes(5), ct));
    }

    [Fact]
    public async Task TlsOptionMakesTheLocalRedisTlsOnlyAndGivesTheServicesTheCa()
    {
        var ct = TestContext.Current.CancellationToken;
        using var certificates = TestCertificates.Create();
        using var data = new TemporaryDirectory("bookstore-model-");
        await using var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.Bookstore_AppHost>(
            ["--Bookstore:Redis:Mode=local", $"--Bookstore:Redis:DataDirectory={data.Path}", "--Bookstore:Redis:Port=16391",
             "--Bookstore:Redis:Tls:Enabled=true",
             $"--Bookstore:Redis:Tls:CertificateFile={certificates.ServerCertificateFile}",
             $"--Bookstore:Redis:Tls:KeyFile={certificates.ServerKeyFile}",
             $"--Bookstore:Redis:Tls:CaCertificateFile={certificates.CaCertificateFile}"],
            ct);

        var cache = Assert.IsType<LocalRedisResource>(Assert.Single(builder.Resources, r => r.Name == "cache"));
        Assert.EndsWith(",ssl=true", cache.ConnectionStringExpression.ValueExpression, StringComparison.Ordinal);
        var tls = Assert.Single(cache.Annotations.OfType<RedisTlsAnnotation>()).Settings;

        var rendered = BookstoreRedisExtensions.RenderRuntimeConfig(
            Path.Combine(AppHostModelTests.RepositoryRoot(), "redis", "redis.conf"), data.Path, 16391, BookstoreProfile.Production, tls);
        var lines = rendered.Split('\n', StringSplitOptions.TrimEntries);

        // The last "port" wins in a redis config: the plain-text listener is closed and 16391 speaks TLS.
        Assert.Equal("port \"0\"", lines.Last(l => l.StartsWith("port ", StringComparison.Ordinal)));
        Assert.Contains("tls-port \"16391\"", lines);
        Assert.Contains($"tls-cert-file \"{certificates.ServerCertificateFile}\"", lines);
        Assert.Contains($"tls-key-file \"{certificates.ServerKeyFile}\"", lines);
        Assert.Contains($"tls-ca-cert-file \"{certificates.CaCertificateFile}\"", lines);
        Assert.Contains("tls-auth-clients \"no\"", lines);

        foreach (var name in new[] { "api", "worker" })
        {
            var environment = await builder.EnvironmentAsync(Assert.Single(builder.Resources, r => r.Name == name), RedisTlsSettings.ServiceCaCertificateVariable);
            Assert.Equal(certificates.CaCertificateFile, environment[RedisTlsSettings.ServiceCaCertificateVariable]);
        }
    }

    [Fact]
    public async Task WithoutTheTlsOptionNothingChanges()
    {
        var ct = TestContext.Current.CancellationToken;
        using var data = new TemporaryDirectory("bookstore-model-");
        await using var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.Bookstore_AppHost>(
            ["--Bookstore:Redis:Mode=local", $"--Bookstore:Redis:DataDirectory={data.Path}"], ct);

        var cache = Assert.IsType<LocalRedisResource>(Assert.Single(builder.Resources, r => r.Name == "cache"));
        Assert.DoesNotContain("ssl", cache.ConnectionStringExpression.ValueExpression, StringComparison.Ordinal);
        Assert.Empty(cache.Annotations.OfType<RedisTlsAnnotation>());
        var environment = await builder.EnvironmentAsync(Assert.Single(builder.Resources, r => r.Name == "api"), RedisTlsSettings.ServiceCaCertificateVariable);
        Assert.Null(environment[RedisTlsSettings.ServiceCaCertificateVariable]);
    }

    [Theory]
    [InlineData("local", "KeyFile")]
    [InlineData("container", "container")]
    public async Task TlsOptionThatCannotBeHonouredFailsAtStartNamingWhy(string mode, string named)
    {
        var ct = TestContext.Current.CancellationToken;
        using var certificates = TestCertificates.Create();
        var error = await Assert.ThrowsAnyAsync<Exception>(() => DistributedApplicationTestingBuilder.CreateAsync<Projects.Bookstore_AppHost>(
            [$"--Bookstore:Redis:Mode={mode}", "--Bookstore:Redis:Tls:Enabled=true",
             $"--Bookstore:Redis:Tls:CertificateFile={certificates.ServerCertificateFile}",
             .. mode == "container" ? [$"--Bookstore:Redis:Tls:KeyFile={certificates.ServerKeyFile}"] : Array.Empty<string>()],
            ct));
        var message = Flatten(error);
        Assert.Contains("Bookstore:Redis:Tls", message, StringComparison.Ordinal);
        Assert.Contains(named, message, StringComparison.Ordinal);
    }

    /// <summary>redis-server with exactly the TLS settings the AppHost renders, as command-line options.</summary>
    private static Task<RedisServer> StartTlsServerAsync(TestCertificates certificates)
    {
        var tls = new RedisTlsSettings(certificates.ServerCertificateFile, certificates.ServerKeyFile, certificates.CaCertificateFile, SslHost: null);
        return RedisServer.StartAsync(port => [.. tls.ServerSettings(port).SelectMany(s => new[] { "--" + s.Key, s.Value })]);
    }

    private static KeyValuePair<string, string?>[] TlsClient(string caCertificateFile) =>
    [
        new("Bookstore:Redis:Tls:Enabled", "true"),
        new("Bookstore:Redis:Tls:CaCertificateFile", caCertificateFile),
    ];

    private static async Task<ConnectionMultiplexer> ConnectAsync(string connectionString, string? trustedCa = null)
    {
        var options = ConfigurationOptions.Parse(connectionString + ",connectTimeout=3000,connectRetry=1");
        if (trustedCa is not null)
        {
            options.TrustIssuer(trustedCa);
        }

        return await ConnectionMultiplexer.ConnectAsync(options);
    }

    private static async Task AssertKeyAbsentAsync(RedisServer server, TestCertificates certificates, string key)
    {
        await using var admin = await ConnectAsync(server.ConnectionString + ",ssl=true", certificates.CaCertificateFile);
        Assert.False(await admin.GetDatabase().KeyExistsAsync(key));
    }

    private static string Flatten(Exception error) =>
        error.InnerException is null ? error.Message : error.Message + " | " + Flatten(error.InnerException);
}
