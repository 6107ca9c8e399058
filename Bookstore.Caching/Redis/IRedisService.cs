namespace Bookstore.Caching.Redis;

/// <summary>
/// Direct Redis operations for values that do not need the typed cache: counters, flags, TTL checks.
/// Keys are namespaced under <c>bookstore:</c> (keys already built by <c>CacheKeyBuilder</c> are used as they are).
/// No method throws because Redis failed or timed out; each says below what it returns instead.
/// Every call is timed and counted in <see cref="Metrics.CacheMetrics"/>; failures also count as errors.
/// Cancellation is honoured: a call whose token is already cancelled throws <see cref="OperationCanceledException"/>
/// before it sends anything; one cancelled while it waits throws as well, unless Redis has already answered.
/// </summary>
public interface IRedisService
{
    /// <summary>Reads a value. Failure or an undecodable value: a miss (an undecodable value is also deleted).</summary>
    Task<CacheLookup<T>> GetAsync<T>(string key, CancellationToken cancellationToken = default);

    /// <summary>
    /// Reads a value, telling a miss from a failure: <see cref="CacheReadStatus.Unavailable"/> when Redis failed or timed
    /// out (counted as an error, as by <see cref="GetAsync{T}"/>); an undecodable value is <see cref="CacheReadStatus.Missing"/>
    /// and deleted.
    /// </summary>
    Task<CacheRead<T>> ReadAsync<T>(string key, CancellationToken cancellationToken = default);

    /// <summary>
    /// Writes a value. <paramref name="timeToLive"/>: null for the configured default (<c>REDIS_DEFAULT_TTL</c>),
    /// <see cref="RedisService.NoExpiry"/> for none. Failure: false.
    /// </summary>
    Task<bool> SetAsync<T>(string key, T value, TimeSpan? timeToLive = null, CancellationToken cancellationToken = default);

    /// <summary>Deletes a key. True when it existed; false when it did not or Redis failed (the failure is counted).</summary>
    Task<bool> DeleteAsync(string key, CancellationToken cancellationToken = default);

    /// <summary>
    /// Deletes every key that starts with <paramref name="prefix"/> on every primary (SCAN and UNLINK in batches, never
    /// KEYS); the count deleted. Failure: a result with <c>Succeeded = false</c> (some keys may have been deleted).
    /// </summary>
    Task<CounterResult> DeleteByPrefixAsync(string prefix, CancellationToken cancellationToken = default);

    /// <summary>Whether a key exists. Failure: false.</summary>
    Task<bool> ExistsAsync(string key, CancellationToken cancellationToken = default);

    /// <summary>Adds to an integer counter (creating it at 0). Failure: a result with <c>Succeeded = false</c>, never a silent 0.</summary>
    Task<CounterResult> IncrementAsync(string key, long by = 1, CancellationToken cancellationToken = default);

    /// <summary>Subtracts from an integer counter. Failure: a result with <c>Succeeded = false</c>.</summary>
    Task<CounterResult> DecrementAsync(string key, long by = 1, CancellationToken cancellationToken = default);

    /// <summary>Sets (or with null removes) a key's time to live. False when the key does not exist or Redis failed.</summary>
    Task<bool> ExpireAsync(string key, TimeSpan? timeToLive, CancellationToken cancellationToken = default);

    /// <summary>
    /// A key's remaining time to live: found with a null value for a key without expiry; not found for a missing key
    /// or when Redis failed.
    /// </summary>
    Task<CacheLookup<TimeSpan?>> TimeToLiveAsync(string key, CancellationToken cancellationToken = default);

    /// <summary>Reads many keys in one round trip (MGET). Failure: every entry a miss.</summary>
    Task<IReadOnlyList<CacheLookup<T>>> GetManyAsync<T>(IReadOnlyList<string> keys, CancellationToken cancellationToken = default);

    /// <summary>Writes many values in one pipelined round trip, TTL as in <see cref="SetAsync{T}"/>. Failure: false (some entries may have been written).</summary>
    Task<bool> SetManyAsync<T>(IReadOnlyCollection<KeyValuePair<string, T>> entries, TimeSpan? timeToLive = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// Adds to a member's score in a sorted set (ZINCRBY), creating both at 0: a ranked counter whose top entries are one
    /// <see cref="GetTopScoresAsync"/> away. Failure: a result with <c>Succeeded = false</c>.
    /// </summary>
    Task<CounterResult> IncrementScoreAsync(string key, string member, long by = 1, CancellationToken cancellationToken = default);

    /// <summary>
    /// Adds to many members' scores in one sorted set (one ZINCRBY each, sent as one batch: one round trip), e.g. counts
    /// added up in process and flushed together. Failure: false (some of the increments may have been applied).
    /// </summary>
    Task<bool> IncrementScoresAsync(string key, IReadOnlyCollection<KeyValuePair<string, long>> increments, CancellationToken cancellationToken = default);

    /// <summary>Sets a member's score in a sorted set (ZADD), e.g. the time of a user's last activity. Failure: false.</summary>
    Task<bool> SetScoreAsync(string key, string member, double score, CancellationToken cancellationToken = default);

    /// <summary>
    /// Up to <paramref name="count"/> members with the highest scores, highest first, leaving out those below
    /// <paramref name="minScore"/> (ZRANGE BYSCORE REV LIMIT, one round trip). Failure: not found.
    /// </summary>
    Task<CacheLookup<IReadOnlyList<ScoredMember>>> GetTopScoresAsync(
        string key, int count, double minScore = double.NegativeInfinity, CancellationToken cancellationToken = default);

    /// <summary>The scores of the given members, null for a member not in the set (ZMSCORE, one round trip). Failure: not found.</summary>
    Task<CacheLookup<IReadOnlyList<double?>>> GetScoresAsync(string key, IReadOnlyList<string> members, CancellationToken cancellationToken = default);
}
