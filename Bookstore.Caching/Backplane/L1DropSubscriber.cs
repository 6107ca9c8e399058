using Bookstore.Caching.Connection;
using Bookstore.Caching.Distributed;
using Bookstore.Caching.Typed;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace Bookstore.Caching.Backplane;

/// <summary>
/// Listens on <see cref="L1DropChannel"/> and drops this process's L1 copies of the keys another process wrote in bulk,
/// so its next read finds the new value in Redis. Every process with the typed cache runs it.
/// </summary>
public sealed partial class L1DropSubscriber(
    RedisConnectionManager connection,
    L1DropChannel channel,
    CacheL1Store memory,
    ReplicaReadRouting routing,
    BackplaneSubscriptions subscriptions,
    ILogger<L1DropSubscriber> logger) : BackgroundService
{
    /// <summary>The longest wait between two SUBSCRIBEs that Redis did not answer in time.</summary>
    private static readonly TimeSpan MaxRetryDelay = TimeSpan.FromSeconds(30);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // In the background, after the first connect (bounded by the connect timeout): the host's start does not wait for
        // Redis, and a SUBSCRIBE is not sent before the subscription connection is up.
        var multiplexer = await connection.WhenConnectedAsync(stoppingToken).ConfigureAwait(false);
        var subscriber = multiplexer.GetSubscriber();
        Action<RedisChannel, RedisValue> handler = (_, message) => Drop((string?)message);
        for (var attempt = 1; !stoppingToken.IsCancellationRequested; attempt++)
        {
            try
            {
                await subscriber.SubscribeAsync(L1DropChannel.Channel, handler).ConfigureAwait(false);
                subscriptions.NoteSubscribed(L1DropChannel.Name);
                return;
            }
            catch (RedisConnectionException ex)
            {
                // The multiplexer keeps the subscription and makes it again once Redis is reachable.
                LogSubscribeDeferred(ex);
                return;
            }
            catch (TimeoutException ex)
            {
                // Connected, but no answer in time (a busy or hung server): the SUBSCRIBE may never have reached Redis,
                // and no reconnect would make it again. An exception here stopped the whole host (the BackgroundService
                // default), so it is taken back (the handler registered once) and sent again, waiting longer each time.
                var delay = TimeSpan.FromSeconds(Math.Min(MaxRetryDelay.TotalSeconds, Math.Pow(2, attempt - 1)));
                LogSubscribeTimedOut(attempt, delay.TotalSeconds, ex);
                try
                {
                    await subscriber.UnsubscribeAsync(L1DropChannel.Channel, handler).ConfigureAwait(false);
                }
                catch (Exception unsubscribe) when (unsubscribe is RedisException or TimeoutException)
                {
                    // The handler is removed locally before the UNSUBSCRIBE is sent; a server that missed it drops the
                    // channel with the connection, or delivers to a handler that is no longer there.
                }

                await Task.Delay(delay, stoppingToken).ConfigureAwait(false);
            }
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await connection.Connection.GetSubscriber().UnsubscribeAsync(L1DropChannel.Channel).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is RedisException or ObjectDisposedException)
        {
            // Shutting down with Redis away, or after the multiplexer was closed: the subscription ends with it.
            LogUnsubscribeSkipped(ex.GetType().Name);
        }
    }

    /// <summary>Drops the copies named in one message (none when the message is this process's own).</summary>
    internal void Drop(string? message)
    {
        foreach (var key in channel.KeysOf(message))
        {
            routing.NoteChanged(key);
            memory.Memory.Remove(key);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Bulk-write notifications not subscribed yet (Redis unreachable); the multiplexer subscribes on reconnect")]
    private partial void LogSubscribeDeferred(Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Bulk-write notifications: SUBSCRIBE attempt {Attempt} got no answer in time; sent again in {DelaySeconds} s")]
    private partial void LogSubscribeTimedOut(int attempt, double delaySeconds, Exception exception);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Bulk-write notifications not unsubscribed at shutdown ({Reason}); the connection's end ends them")]
    private partial void LogUnsubscribeSkipped(string reason);
}
