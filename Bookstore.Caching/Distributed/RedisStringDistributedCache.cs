using Bookstore.Caching.Connection;
using Microsoft.Extensions.Caching.Distributed;
using StackExchange.Redis;

namespace Bookstore.Caching.Distributed;

/// <summary>
/// FusionCache's L2 on the process's one multiplexer: one Redis string per key, written with its expiry in the same
/// <c>SET key value PX ms</c>. Microsoft's <c>RedisCache</c> stores a hash (<c>absexp</c>, <c>sldexp</c>, <c>data</c>)
/// plus an <c>EXPIRE</c>, two commands per write and a three-field read, to support sliding expiration, which
/// FusionCache never asks for. Inside <see cref="CollectWrites"/> (a bulk write), a SET is queued on a batch instead of
/// sent and awaited alone: the bulk writer sends the batch and counts each SET's reply itself.
/// </summary>
/// <remarks>
/// Every call waits at most <see cref="RedisConnectionManager.CacheTimeout"/>; a timeout is reported to the connection
/// manager, and while Redis is known not to answer, calls fail at once without sending anything. FusionCache treats
/// either as an L2 error: a miss served from the source, fail-safe where the type allows it, its circuit breaker open.
/// </remarks>
internal sealed class RedisStringDistributedCache(
    IConnectionMultiplexer connection, RedisConnectionManager manager, ReplicaReadRouting routing, TimeProvider time) : IDistributedCache
{
    private static readonly AsyncLocal<PendingWrites?> Pending = new();

    private IDatabase Db => connection.GetDatabase();

    /// <summary>
    /// Until the result is disposed, writes made on this flow (the caller's own calls into FusionCache) are queued on one
    /// batch and complete at once; <see cref="PendingWrites.Send"/> sends them. FusionCache builds and serializes every
    /// entry as it always does; only the moment the SET goes out changes.
    /// </summary>
    public PendingWrites CollectWrites()
    {
        var pending = new PendingWrites(Db.CreateBatch());
        Pending.Value = pending;
        return pending;
    }

    public byte[]? Get(string key) => Db.StringGet(key);

    public async Task<byte[]?> GetAsync(string key, CancellationToken token = default)
    {
        manager.ThrowIfStalled();
        return await WithinCacheTimeoutAsync(Db.StringGetAsync(key, routing.FlagsFor(key)), token).ConfigureAwait(false);
    }

    public void Set(string key, byte[] value, DistributedCacheEntryOptions options) => Db.StringSet(key, value, ExpiryOf(options, time));

    public Task SetAsync(string key, byte[] value, DistributedCacheEntryOptions options, CancellationToken token = default)
    {
        routing.NoteChanged(key);
        if (Pending.Value is { } pending && pending.TryAdd(key, value, ExpiryOf(options, time)))
        {
            return Task.CompletedTask;
        }

        manager.ThrowIfStalled();

        // A read's write after its source call: only if no invalidation bumped the key's stamp meanwhile.
        if (InvalidationStamps.FenceFor(key) is { } fence)
        {
            return WithinCacheTimeoutAsync(InvalidationStamps.SetAsync(Db, fence, value, TtlOf(options, time)), token);
        }

        return WithinCacheTimeoutAsync(Db.StringSetAsync(key, value, ExpiryOf(options, time)), token);
    }

    /// <summary>Nothing to refresh: entries have an absolute expiry only.</summary>
    public void Refresh(string key)
    {
    }

    public Task RefreshAsync(string key, CancellationToken token = default) => Task.CompletedTask;

    public void Remove(string key) => Db.KeyDelete(key);

    public Task RemoveAsync(string key, CancellationToken token = default)
    {
        routing.NoteChanged(key);
        manager.ThrowIfStalled();
        return WithinCacheTimeoutAsync(Db.KeyDeleteAsync(key), token);
    }

    private async Task<T> WithinCacheTimeoutAsync<T>(Task<T> command, CancellationToken token)
    {
        await WithinCacheTimeoutAsync((Task)command, token).ConfigureAwait(false);
        return await command.ConfigureAwait(false);
    }

    private Task WithinCacheTimeoutAsync(Task command, CancellationToken token) => manager.WithinCacheTimeoutAsync(command, time, token);

    /// <summary>
    /// The time to live of an entry: FusionCache sets an absolute expiration (its duration, or its fail-safe maximum).
    /// At least one millisecond, since a zero or negative PX is an error in Redis.
    /// </summary>
    internal static Expiration ExpiryOf(DistributedCacheEntryOptions options, TimeProvider time) =>
        TtlOf(options, time) is { } ttl ? ttl : Expiration.Default;

    /// <summary>The entry's time to live, at least one millisecond; null for none.</summary>
    internal static TimeSpan? TtlOf(DistributedCacheEntryOptions options, TimeProvider time)
    {
        if (options.SlidingExpiration is not null)
        {
            throw new NotSupportedException("The Bookstore L2 stores entries with an absolute expiry only; sliding expiration is not supported.");
        }

        TimeSpan? ttl = options.AbsoluteExpiration is { } at ? at - time.GetUtcNow() : options.AbsoluteExpirationRelativeToNow;
        return ttl is { } t ? (t < TimeSpan.FromMilliseconds(1) ? TimeSpan.FromMilliseconds(1) : t) : null;
    }

    /// <summary>The SETs of one bulk batch, queued in the order FusionCache wrote them.</summary>
    internal sealed class PendingWrites(IBatch batch) : IDisposable
    {
        private readonly List<Task<bool>> _sets = [];
        private readonly Lock _gate = new();
        private bool _sent;

        /// <summary>How many SETs are queued so far.</summary>
        public int Count => _sets.Count;

        /// <summary>The reply of the SET queued <paramref name="index"/>-th.</summary>
        public Task<bool> this[int index] => _sets[index];

        /// <summary>Queues a SET; false once the batch was sent (a write that arrives late goes out on its own).</summary>
        internal bool TryAdd(string key, byte[] value, Expiration expiry)
        {
            lock (_gate)
            {
                if (_sent)
                {
                    return false;
                }

                _sets.Add(batch.StringSetAsync(key, value, expiry));
                return true;
            }
        }

        /// <summary>
        /// Stops collecting and sends the queued SETs in one write. With no connection to take them, every queued SET's
        /// task fails with that error (the multiplexer fails the batch's commands), which is how the caller counts them.
        /// </summary>
        public void Send()
        {
            Dispose();
            lock (_gate)
            {
                _sent = true;
            }

            try
            {
                batch.Execute();
            }
            catch (RedisConnectionException)
            {
                // Reported through the SET tasks, each failed with this exception.
            }
        }

        public void Dispose()
        {
            if (ReferenceEquals(Pending.Value, this))
            {
                Pending.Value = null;
            }
        }
    }
}
