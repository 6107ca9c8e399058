using Bookstore.Caching.Connection;
using Bookstore.Caching.Distributed;
using ZiggyCreatures.Caching.Fusion;
using ZiggyCreatures.Caching.Fusion.Backplane;

namespace Bookstore.Caching.Backplane;

/// <summary>
/// FusionCache's Redis backplane, with each incoming message's key given to <see cref="ReplicaReadRouting"/> before
/// FusionCache acts on it: the L2 read FusionCache makes for the message (or the next request's, once the L1 copy is
/// dropped) then goes to the primary, not to a replica that may not have the change yet. A confirmed subscription is
/// noted in <see cref="BackplaneSubscriptions"/>, which the host's start waits for.
/// </summary>
/// <remarks>
/// A message is sent within <see cref="RedisConnectionManager.CacheTimeout"/>, as every L2 call is, and not at all while
/// Redis is not answering (FusionCache keeps it and sends it again when the backplane is back). So an invalidation can
/// wait for its message (the other replicas have it before the write is acknowledged) without waiting out the client's
/// own command timeout against a hung Redis.
/// </remarks>
internal sealed class ChangeNoticingBackplane(
    IFusionCacheBackplane inner, ReplicaReadRouting routing, RedisConnectionManager manager, TimeProvider time, BackplaneSubscriptions subscriptions)
    : IFusionCacheBackplane
{
    public void Subscribe(BackplaneSubscriptionOptions options)
    {
        inner.Subscribe(Wrap(options));
        subscriptions.NoteSubscribed(options.ChannelName);
    }

    public async ValueTask SubscribeAsync(BackplaneSubscriptionOptions options)
    {
        await inner.SubscribeAsync(Wrap(options)).ConfigureAwait(false);
        subscriptions.NoteSubscribed(options.ChannelName);
    }

    public void Unsubscribe() => inner.Unsubscribe();

    public ValueTask UnsubscribeAsync() => inner.UnsubscribeAsync();

    public async ValueTask PublishAsync(BackplaneMessage message, FusionCacheEntryOptions options, CancellationToken token = default)
    {
        manager.ThrowIfStalled();
        await manager.WithinCacheTimeoutAsync(inner.PublishAsync(message, options, token).AsTask(), time, token).ConfigureAwait(false);
    }

    public void Publish(BackplaneMessage message, FusionCacheEntryOptions options, CancellationToken token = default) =>
        inner.Publish(message, options, token);

    private BackplaneSubscriptionOptions Wrap(BackplaneSubscriptionOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var handler = options.IncomingMessageHandler;
        var handlerAsync = options.IncomingMessageHandlerAsync;
        return new BackplaneSubscriptionOptions(
            options.CacheName,
            options.CacheInstanceId,
            options.ChannelName,
            options.ConnectHandler,
            handler is null ? null : message =>
            {
                routing.NoteChanged(message.CacheKey);
                handler(message);
            },
            options.ConnectHandlerAsync,
            handlerAsync is null ? null : message =>
            {
                routing.NoteChanged(message.CacheKey);
                return handlerAsync(message);
            });
    }
}
