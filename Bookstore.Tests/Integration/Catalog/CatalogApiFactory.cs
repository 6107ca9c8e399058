extern alias api;

using Bookstore.Api.Catalog;
using Bookstore.Tests.Support;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Bookstore.Tests.Integration.Catalog;

/// <summary>
/// The real API in-process on a test redis-server and a SQLite file; two factories on the same both act as two replicas.
/// <paramref name="configure"/> adds a test's own settings or services after the defaults.
/// </summary>
internal sealed class CatalogApiFactory(RedisServer redis, string sqlitePath, Action<IWebHostBuilder>? configure = null) : WebApplicationFactory<api::Program>
{
    public ICatalogStore Store => Services.GetRequiredService<ICatalogStore>();

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        // UseSetting, not ConfigureAppConfiguration: Program reads the connection strings while it builds.
        builder.UseSetting("ConnectionStrings:cache", redis.ConnectionString);
        builder.UseSetting("ConnectionStrings:catalog", $"Data Source={sqlitePath}");
        builder.UseSetting("Bookstore:Redis:OperationTimeoutMs", "1000");
        builder.UseSetting("Bookstore:Redis:ConnectTimeoutMs", "2000");
        builder.UseSetting("Logging:LogLevel:Default", "Warning");
        configure?.Invoke(builder);
    }
}
