using Bookstore.Caching.Connection;
using StackExchange.Redis;

namespace Bookstore.Caching.Distributed;

/// <summary>
/// Keeps a read that loaded a value before an invalidation from caching it after. Every invalidation of a key bumps
/// the key's stamp in Redis (<c>INCR</c>, before the L2 delete). A read that misses notes the stamp before it calls its
/// source, and its L2 write is one Lua script that writes only if the stamp is still the one noted: atomic in Redis, so
/// either the write comes first and the invalidation's delete removes it, or the stamp has moved and the write is
/// dropped (and the reader's own L1 copy with it). Stamps live <see cref="StampLifetime"/>, longer than any source call.
/// </summary>
/// <remarks>
/// Version stamps rather than a second delete after a delay: a delay is a guess at how long a load may take, a stamp
/// is exact. An invalidation that cannot bump its stamp (Redis away) is kept by <c>CacheService</c> and sent again,
/// stamp first, when the connection is back.
/// </remarks>
public sealed class InvalidationStamps(RedisConnectionManager connection, ReplicaReadRouting routing)
{
    /// <summary>How long a stamp outlives its last bump; a read whose source takes longer is not fenced.</summary>
    public static readonly TimeSpan StampLifetime = TimeSpan.FromMinutes(10);

    // KEYS[1] the entry, KEYS[2] its stamp; ARGV[1] the value, ARGV[2] PX milliseconds (0: none), ARGV[3] the stamp noted
    // before the load ('' when there was none). 1 when written, 0 when the stamp moved.
    private const string SetIfStampUnchanged = """
        local stamp = redis.call('GET', KEYS[2])
        if (stamp or '') ~= ARGV[3] then return 0 end
        if ARGV[2] == '0' then redis.call('SET', KEYS[1], ARGV[1]) else redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) end
        return 1
        """;

    private static readonly AsyncLocal<WriteFence?> Current = new();

    /// <summary>The stamp key of an entry: its key and <c>#inv</c> (no id holds '#'), under the same prefix and ACL pattern.</summary>
    public static string StampKeyOf(string key) => key + "#inv";

    /// <summary>Whether an invalidation can reach Redis now (connected and answering).</summary>
    public bool CanReachRedis => connection.Connection.IsConnected && connection.IsResponsive;

    /// <summary>
    /// Bumps the stamp of <paramref name="key"/>, and with <paramref name="deleteEntry"/> deletes the entry after it in
    /// the same pipeline (a replayed invalidation, which must not wait for FusionCache's L2 circuit breaker to close);
    /// false when Redis did not take it (the caller keeps the invalidation to send again).
    /// </summary>
    public async Task<bool> BumpAsync(string key, CancellationToken cancellationToken, bool deleteEntry = false)
    {
        var stampKey = StampKeyOf(key);
        routing.NoteChanged(key);
        if (!CanReachRedis)
        {
            return false;
        }

        try
        {
            var db = connection.Database;
            var bumped = db.StringIncrementAsync(stampKey);
            var expiry = db.KeyExpireAsync(stampKey, StampLifetime);
            var deleted = deleteEntry ? db.KeyDeleteAsync(key) : Task.FromResult(false);
            await Task.WhenAll(bumped, expiry, deleted).WaitAsync(connection.CacheTimeout, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            if (ex is TimeoutException)
            {
                connection.ReportTimeout();
            }

            return false;
        }
    }

    /// <summary>
    /// Starts a fenced read of <paramref name="key"/> on this flow: the L2 write FusionCache makes for it on this flow
    /// (after the factory) goes through the fence once <see cref="ArmAsync"/> has noted the stamp. Dispose to end it.
    /// </summary>
    internal static WriteFence Begin(string key, string stampKey)
    {
        var fence = new WriteFence(key, stampKey);
        Current.Value = fence;
        return fence;
    }

    /// <summary>Notes the stamp before the source is called; unarmed (an unconditional write) when Redis does not answer.</summary>
    internal async Task ArmAsync(WriteFence fence, CancellationToken cancellationToken)
    {
        if (!connection.IsResponsive)
        {
            return;
        }

        try
        {
            var stamp = await connection.Database.StringGetAsync(fence.StampKey).WaitAsync(connection.CacheTimeout, cancellationToken).ConfigureAwait(false);
            fence.Arm(stamp.IsNull ? string.Empty : stamp.ToString());
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            if (ex is TimeoutException)
            {
                connection.ReportTimeout();
            }
        }
    }

    /// <summary>The armed fence of this flow for <paramref name="key"/>, if any.</summary>
    internal static WriteFence? FenceFor(string key) => Current.Value is { IsArmed: true } fence && fence.Key == key ? fence : null;

    /// <summary>The fenced L2 write: SET only if the stamp is unchanged; marks the fence rejected otherwise.</summary>
    internal static async Task SetAsync(IDatabase db, WriteFence fence, byte[] value, TimeSpan? ttl)
    {
        var px = ttl is { } t ? Math.Max(1, (long)t.TotalMilliseconds) : 0;
        var written = await db.ScriptEvaluateAsync(SetIfStampUnchanged, [fence.Key, fence.StampKey], [value, px, fence.Stamp]).ConfigureAwait(false);
        if ((long)written == 0)
        {
            fence.Rejected = true;
        }
    }

    /// <summary>One read's fence: its key, the stamp noted before the load, and whether its write was dropped.</summary>
    internal sealed class WriteFence(string key, string stampKey) : IDisposable
    {
        public string Key { get; } = key;

        public string StampKey { get; } = stampKey;

        public string Stamp { get; private set; } = string.Empty;

        public bool IsArmed { get; private set; }

        /// <summary>The stamp had moved: the value loaded was not written to Redis, and must not stay in L1 either.</summary>
        public bool Rejected { get; set; }

        public void Arm(string stamp)
        {
            Stamp = stamp;
            IsArmed = true;
        }

        public void Dispose()
        {
            if (Current.Value == this)
            {
                Current.Value = null;
            }
        }
    }
}
