using Bookstore.AppHost.Redis;

namespace Bookstore.Tests.Infrastructure;

[Trait("Category", "Infrastructure")]
public sealed class RedisModeResolverTests
{
    [Fact]
    public void AutoPrefersAContainerWhenARuntimeAnswers()
    {
        var resolver = new RedisModeResolver(() => true, () => "/usr/bin/redis-server");
        Assert.Equal(RedisMode.Container, resolver.Resolve(RedisMode.Auto));
    }

    [Fact]
    public void AutoFallsBackToLocalRedisServer()
    {
        var resolver = new RedisModeResolver(() => false, () => "/usr/bin/redis-server");
        Assert.Equal(RedisMode.Local, resolver.Resolve(RedisMode.Auto));
    }

    [Fact]
    public void AutoWithNeitherFailsNamingBothFixes()
    {
        var resolver = new RedisModeResolver(() => false, () => null);
        var error = Assert.Throws<InvalidOperationException>(() => resolver.Resolve(RedisMode.Auto));
        Assert.Contains("Docker or Podman", error.Message, StringComparison.Ordinal);
        Assert.Contains("redis-server", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(RedisMode.Container)]
    [InlineData(RedisMode.Local)]
    [InlineData(RedisMode.External)]
    public void ExplicitModesAreNotProbed(RedisMode mode)
    {
        var resolver = new RedisModeResolver(() => throw new InvalidOperationException("probed"), () => throw new InvalidOperationException("probed"));
        Assert.Equal(mode, resolver.Resolve(mode));
    }

    [Theory]
    [InlineData(null, RedisMode.Auto)]
    [InlineData("", RedisMode.Auto)]
    [InlineData("LOCAL", RedisMode.Local)]
    [InlineData(" container ", RedisMode.Container)]
    [InlineData("external", RedisMode.External)]
    public void ParsesModesCaseInsensitively(string? value, RedisMode expected) =>
        Assert.Equal(expected, RedisModeResolver.ParseMode(value));

    [Theory]
    [InlineData("cluster")]
    [InlineData("7")]
    public void RejectsUnknownModes(string value)
    {
        var error = Assert.Throws<InvalidOperationException>(() => RedisModeResolver.ParseMode(value));
        Assert.Contains(RedisModeResolver.ConfigurationKey, error.Message, StringComparison.Ordinal);
    }
}
