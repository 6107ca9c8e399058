using System.Collections.Concurrent;
using System.Diagnostics;
using Bookstore.Caching.Connection;
using Bookstore.Caching.Typed;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Bookstore.Caching.Backplane;

/// <summary>
/// The channels this process has subscribed to: each typed cache's backplane channel and <see cref="L1DropChannel"/>.
/// Another process's invalidation reaches this one's L1 only through them.
/// </summary>
public sealed class BackplaneSubscriptions(int expected)
{
    private readonly ConcurrentDictionary<string, bool> _subscribed = new(StringComparer.Ordinal);
    private readonly TaskCompletionSource _all = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>How many channels the process subscribes to once every one is confirmed.</summary>
    public int Expected => expected;

    public int Count => _subscribed.Count;

    /// <summary>Completes once every expected channel's SUBSCRIBE was confirmed.</summary>
    public Task All => _all.Task;

    /// <summary>Redis confirmed the SUBSCRIBE to <paramref name="channel"/>.</summary>
    public void NoteSubscribed(string? channel)
    {
        if (channel is not null && _subscribed.TryAdd(channel, true) && _subscribed.Count >= expected)
        {
            _all.TrySetResult();
        }
    }
}

/// <summary>
/// Creates every typed cache when the host starts, not at the first request, and, when Redis is connected, holds the
/// start until each cache's backplane channel and <see cref="L1DropChannel"/> are subscribed (at most
/// <see cref="Configuration.RedisOptions.ConnectTimeoutMs"/>). FusionCache subscribes a cache's backplane in the
/// background when the cache is created: created at a first request, a new replica could read a book into L1, miss the
/// invalidation another replica sent before the SUBSCRIBE was confirmed, and serve the old copy for its whole L1 time
/// (<c>AppHostReplicatedTopologyTests</c> caught it on its first update, twice in CI). With Redis down at start nothing
/// is waited for: no other process can send an invalidation either, and the subscriptions are made when it connects.
/// </summary>
internal sealed partial class BackplaneSubscriptionStartup(
    IServiceProvider services,
    BackplaneSubscriptions subscriptions,
    RedisConnectionManager connection,
    ILogger<BackplaneSubscriptionStartup> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        _ = services.GetRequiredService<CacheService>();
        if (!connection.Connection.IsConnected)
        {
            LogNotConnected();
            return;
        }

        try
        {
            await subscriptions.All.WaitAsync(connection.ConnectTimeout, cancellationToken).ConfigureAwait(false);
            LogSubscribed(subscriptions.Count, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }
        catch (TimeoutException)
        {
            LogNotAllSubscribed(subscriptions.Count, subscriptions.Expected, connection.ConnectTimeout.TotalMilliseconds);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Information, Message = "Subscribed to the {Count} invalidation channels in {ElapsedMs} ms")]
    private partial void LogSubscribed(int count, double elapsedMs);

    [LoggerMessage(Level = LogLevel.Warning,
        Message = "Only {Count} of the {Expected} invalidation channels were subscribed within {TimeoutMs} ms; starting anyway: until the rest are, another process's invalidations may not reach this one's L1")]
    private partial void LogNotAllSubscribed(int count, int expected, double timeoutMs);

    [LoggerMessage(Level = LogLevel.Information, Message = "Redis is not connected at start: the invalidation channels are subscribed once it is")]
    private partial void LogNotConnected();
}
