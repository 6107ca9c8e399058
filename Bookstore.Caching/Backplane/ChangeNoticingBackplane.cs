using Bookstore.Caching.Distributed;
using ZiggyCreatures.Caching.Fusion;
using ZiggyCreatures.Caching.Fusion.Backplane;

namespace Bookstore.Caching.Backplane;

/// <summary>
/// FusionCache's Redis backplane, with each incoming message's key given to <see cref="ReplicaReadRouting"/> before
/// FusionCache acts on it: the L2 read FusionCache makes for the message (or the next request's, once the L1 copy is
/// dropped) then goes to the primary, not to a replica that may not have the change yet.
/// </summary>
internal sealed class ChangeNoticingBackplane(IFusionCacheBackplane inner, ReplicaReadRouting routing) : IFusionCacheBackplane
{
    public void Subscribe(BackplaneSubscriptionOptions options) => inner.Subscribe(Wrap(options));

    public ValueTask SubscribeAsync(BackplaneSubscriptionOptions options) => inner.SubscribeAsync(Wrap(options));

    public void Unsubscribe() => inner.Unsubscribe();

    public ValueTask UnsubscribeAsync() => inner.UnsubscribeAsync();

    public ValueTask PublishAsync(BackplaneMessage message, FusionCacheEntryOptions options, CancellationToken token = default) =>
        inner.PublishAsync(message, options, token);

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
