using Microsoft.Extensions.Hosting;

namespace Bookstore.Tests.Integration;

[Trait("Category", "Integration")]
public sealed class BookstoreCachingStartupTests
{
    [Fact]
    public void BadAliasValueFailsAtStartNamingTheVariable()
    {
        var previous = Environment.GetEnvironmentVariable("REDIS_PORT");
        Environment.SetEnvironmentVariable("REDIS_PORT", "abc");
        try
        {
            var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
            var error = Assert.Throws<InvalidOperationException>(() => builder.AddBookstoreRedis());
            Assert.Contains("REDIS_PORT='abc'", error.Message, StringComparison.Ordinal);
        }
        finally
        {
            Environment.SetEnvironmentVariable("REDIS_PORT", previous);
        }
    }

    [Fact]
    public void OutOfRangeSettingFailsAtStartNamingTheSetting()
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration["Bookstore:Redis:OperationTimeoutMs"] = "5";
        var error = Assert.Throws<InvalidOperationException>(() => builder.AddBookstoreRedis());
        Assert.Contains("OperationTimeoutMs", error.Message, StringComparison.Ordinal);
    }
}
