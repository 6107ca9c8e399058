using Bookstore.Caching.Backplane;
using Bookstore.Tests.Support;
using Microsoft.Extensions.Hosting;
using StackExchange.Redis;

namespace Bookstore.Tests.Integration;

/// <summary>
/// A process with the typed cache has subscribed to every invalidation channel (each typed cache's backplane channel
/// and the bulk-write L1 drop channel) once its host has started, before it serves anything: an invalidation sent
/// by another process the moment after reaches its L1.
/// </summary>
[Trait("Category", "Integration")]
public sealed class BackplaneSubscriptionStartupTests
{
    [Fact]
    public async Task EveryInvalidationChannelIsSubscribedWhenTheHostHasStarted()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var redis = await RedisServer.StartAsync();
        using var host = await CachingHost.StartWithCacheAsync(redis);

        // Asked at once, with no cache call made: the caches were created, and their SUBSCRIBEs confirmed, by the start.
        await using var observer = await ConnectionMultiplexer.ConnectAsync(redis.ConnectionString);
        var channels = (RedisResult[])(await observer.GetDatabase().ExecuteAsync("PUBSUB", "CHANNELS", BookstoreCachingExtensions.BackplaneChannelPrefix + ":*"))!;
        var names = channels.Select(c => (string)c!).Order(StringComparer.Ordinal).ToArray();
        var subscriptions = host.Get<BackplaneSubscriptions>();
        Assert.True(names.Length == subscriptions.Expected,
            $"{subscriptions.Expected} invalidation channels subscribed at start; Redis has {names.Length}: {string.Join(", ", names)}");
        Assert.Contains(L1DropChannel.Name, names);
        Assert.Equal(subscriptions.Expected, subscriptions.Count);
    }
}
