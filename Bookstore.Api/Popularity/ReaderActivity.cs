using System.Globalization;
using Bookstore.Caching.Keys;
using Bookstore.Caching.Redis;
using Microsoft.Extensions.Options;

namespace Bookstore.Api.Popularity;

/// <summary>
/// When each reader was last active, in one Redis sorted set, <c>bookstore:v1:activity:readers</c> (member: user id,
/// score: Unix time in seconds of the last session or successful <c>/users/{id}</c> request). The most recently active
/// are one ZRANGE away; the set is bounded by the number of users and never expires.
/// </summary>
public sealed partial class ReaderActivity(IRedisService redis, TimeProvider time, IOptions<PopularityOptions> options, ILogger<ReaderActivity> logger)
{
    public static readonly string Key = CacheKeyBuilder.ForName("activity", "readers");

    private readonly TimeSpan _window = TimeSpan.FromMinutes(options.Value.ActiveReaderWindowMinutes);

    /// <summary>Records the reader as active now without holding up their request (the ZADD is sent, not awaited).</summary>
    public void Record(int userId) => _ = RecordAsync(userId);

    /// <summary>
    /// Up to <paramref name="count"/> user ids active within <see cref="PopularityOptions.ActiveReaderWindowMinutes"/>,
    /// most recent first; null when Redis failed.
    /// </summary>
    public async Task<IReadOnlyList<int>?> GetMostRecentAsync(int count, CancellationToken cancellationToken)
    {
        var since = (time.GetUtcNow() - _window).ToUnixTimeSeconds();
        var recent = await redis.GetTopScoresAsync(Key, count, since, cancellationToken);
        if (!recent.TryGetValue(out var members))
        {
            return null;
        }

        var ids = new List<int>(members!.Count);
        foreach (var member in members)
        {
            if (int.TryParse(member.Member, NumberStyles.None, CultureInfo.InvariantCulture, out var id))
            {
                ids.Add(id);
            }
        }

        return ids;
    }

    private async Task RecordAsync(int userId)
    {
        var now = time.GetUtcNow().ToUnixTimeSeconds();
        if (!await redis.SetScoreAsync(Key, userId.ToString(CultureInfo.InvariantCulture), now, CancellationToken.None))
        {
            LogActivityNotRecorded(userId);
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "The activity of user {UserId} was not recorded; the Redis error is counted by RedisService")]
    private partial void LogActivityNotRecorded(int userId);
}
