using Microsoft.Extensions.Caching.Distributed;
using StackExchange.Redis;

namespace Bookstore.Caching.Distributed;

/// <summary>
/// FusionCache's L2 on the process's one multiplexer: one Redis string per key, written with its expiry in the same
/// <c>SET key value PX ms</c>. Microsoft's <c>RedisCache</c> stores a hash (<c>absexp</c>, <c>sldexp</c>, <c>data</c>)
/// plus an <c>EXPIRE</c>, two commands per write and a three-field read, to support sliding expiration, which
/// FusionCache never asks for. The bulk write path (<see cref="CacheService.SetManyAsync{T}"/>) writes the same command,
/// so an entry written either way reads back the same.
/// </summary>
internal sealed class RedisStringDistributedCache(IConnectionMultiplexer connection, TimeProvider time) : IDistributedCache
{
    private IDatabase Db => connection.GetDatabase();

    public byte[]? Get(string key) => Db.StringGet(key);

    public async Task<byte[]?> GetAsync(string key, CancellationToken token = default) =>
        await Db.StringGetAsync(key).WaitAsync(token).ConfigureAwait(false);

    public void Set(string key, byte[] value, DistributedCacheEntryOptions options) => Db.StringSet(key, value, ExpiryOf(options, time));

    public Task SetAsync(string key, byte[] value, DistributedCacheEntryOptions options, CancellationToken token = default) =>
        Db.StringSetAsync(key, value, ExpiryOf(options, time)).WaitAsync(token);

    /// <summary>Nothing to refresh: entries have an absolute expiry only.</summary>
    public void Refresh(string key)
    {
    }

    public Task RefreshAsync(string key, CancellationToken token = default) => Task.CompletedTask;

    public void Remove(string key) => Db.KeyDelete(key);

    public Task RemoveAsync(string key, CancellationToken token = default) => Db.KeyDeleteAsync(key).WaitAsync(token);

    /// <summary>
    /// The time to live of an entry: FusionCache sets an absolute expiration (its duration, or its fail-safe maximum).
    /// At least one millisecond, since a zero or negative PX is an error in Redis.
    /// </summary>
    internal static Expiration ExpiryOf(DistributedCacheEntryOptions options, TimeProvider time)
    {
        if (options.SlidingExpiration is not null)
        {
            throw new NotSupportedException("The Bookstore L2 stores entries with an absolute expiry only; sliding expiration is not supported.");
        }

        TimeSpan? ttl = options.AbsoluteExpiration is { } at ? at - time.GetUtcNow() : options.AbsoluteExpirationRelativeToNow;
        return ttl is { } t ? (t < TimeSpan.FromMilliseconds(1) ? TimeSpan.FromMilliseconds(1) : t) : Expiration.Default;
    }
}
