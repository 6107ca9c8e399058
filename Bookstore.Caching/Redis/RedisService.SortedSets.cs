using System.Diagnostics;
using StackExchange.Redis;

namespace Bookstore.Caching.Redis;

/// <summary>Sorted sets: ranked counters (views per book) and recency indexes (users by last activity).</summary>
public sealed partial class RedisService
{
    public async Task<CounterResult> IncrementScoreAsync(string key, string member, long by = 1, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(member);
        var redisKey = Namespaced(key);
        var cacheType = CacheTypeOf(redisKey);
        cancellationToken.ThrowIfCancellationRequested();
        var started = Stopwatch.GetTimestamp();
        try
        {
            var score = await Db.SortedSetIncrementAsync(redisKey, member, by)
                .WaitAsync(connection.OperationTimeout, cancellationToken).ConfigureAwait(false);
            metrics.RecordOperation("increment_score", cacheType, Stopwatch.GetElapsedTime(started));
            return CounterResult.Success((long)score);
        }
        catch (Exception ex) when (IsRedisFailure(ex, cancellationToken))
        {
            return CounterResult.Failure(Failed("increment_score", cacheType, started, ex));
        }
    }

    public async Task<bool> IncrementScoresAsync(string key, IReadOnlyCollection<KeyValuePair<string, long>> increments, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(increments);
        var redisKey = Namespaced(key);
        if (increments.Count == 0)
        {
            return true;
        }

        foreach (var (member, _) in increments)
        {
            ArgumentException.ThrowIfNullOrEmpty(member, nameof(increments));
        }

        var cacheType = CacheTypeOf(redisKey);
        cancellationToken.ThrowIfCancellationRequested();
        var started = Stopwatch.GetTimestamp();
        try
        {
            // One batch: the ZINCRBYs leave in one write and their replies come back in one round trip.
            var batch = Db.CreateBatch();
            var pending = new Task<double>[increments.Count];
            var i = 0;
            foreach (var (member, by) in increments)
            {
                pending[i++] = batch.SortedSetIncrementAsync(redisKey, member, by);
            }

            batch.Execute();
            await Task.WhenAll(pending).WaitAsync(connection.OperationTimeout, cancellationToken).ConfigureAwait(false);
            metrics.RecordOperation("increment_scores", cacheType, Stopwatch.GetElapsedTime(started));
            return true;
        }
        catch (Exception ex) when (IsRedisFailure(ex, cancellationToken))
        {
            Failed("increment_scores", cacheType, started, ex);
            return false;
        }
    }

    public async Task<bool> SetScoreAsync(string key, string member, double score, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(member);
        var redisKey = Namespaced(key);
        var cacheType = CacheTypeOf(redisKey);
        cancellationToken.ThrowIfCancellationRequested();
        var started = Stopwatch.GetTimestamp();
        try
        {
            // ZADD answers whether the member is new; an updated score is just as much a success.
            await Db.SortedSetAddAsync(redisKey, member, score)
                .WaitAsync(connection.OperationTimeout, cancellationToken).ConfigureAwait(false);
            metrics.RecordOperation("set_score", cacheType, Stopwatch.GetElapsedTime(started));
            return true;
        }
        catch (Exception ex) when (IsRedisFailure(ex, cancellationToken))
        {
            Failed("set_score", cacheType, started, ex);
            return false;
        }
    }

    public async Task<CacheLookup<IReadOnlyList<ScoredMember>>> GetTopScoresAsync(
        string key, int count, double minScore = double.NegativeInfinity, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        var redisKey = Namespaced(key);
        var cacheType = CacheTypeOf(redisKey);
        cancellationToken.ThrowIfCancellationRequested();
        var started = Stopwatch.GetTimestamp();
        try
        {
            var entries = await Db.SortedSetRangeByScoreWithScoresAsync(
                    redisKey, minScore, double.PositiveInfinity, Exclude.None, Order.Descending, 0, count, connection.ReadFlags)
                .WaitAsync(connection.OperationTimeout, cancellationToken).ConfigureAwait(false);
            metrics.RecordOperation("top_scores", cacheType, Stopwatch.GetElapsedTime(started));
            var members = new ScoredMember[entries.Length];
            for (var i = 0; i < entries.Length; i++)
            {
                members[i] = new ScoredMember(entries[i].Element.ToString(), entries[i].Score);
            }

            return new CacheLookup<IReadOnlyList<ScoredMember>>(true, members);
        }
        catch (Exception ex) when (IsRedisFailure(ex, cancellationToken))
        {
            Failed("top_scores", cacheType, started, ex);
            return CacheLookup<IReadOnlyList<ScoredMember>>.Miss;
        }
    }

    public async Task<CacheLookup<IReadOnlyList<double?>>> GetScoresAsync(
        string key, IReadOnlyList<string> members, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(members);
        if (members.Count == 0)
        {
            return new CacheLookup<IReadOnlyList<double?>>(true, []);
        }

        var redisKey = Namespaced(key);
        var cacheType = CacheTypeOf(redisKey);
        var values = new RedisValue[members.Count];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = members[i];
        }

        cancellationToken.ThrowIfCancellationRequested();
        var started = Stopwatch.GetTimestamp();
        try
        {
            var scores = await Db.SortedSetScoresAsync(redisKey, values, connection.ReadFlags)
                .WaitAsync(connection.OperationTimeout, cancellationToken).ConfigureAwait(false);
            metrics.RecordOperation("scores", cacheType, Stopwatch.GetElapsedTime(started));
            return new CacheLookup<IReadOnlyList<double?>>(true, scores);
        }
        catch (Exception ex) when (IsRedisFailure(ex, cancellationToken))
        {
            Failed("scores", cacheType, started, ex);
            return CacheLookup<IReadOnlyList<double?>>.Miss;
        }
    }
}
