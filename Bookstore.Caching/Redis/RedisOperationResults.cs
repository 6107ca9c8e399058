namespace Bookstore.Caching.Redis;

/// <summary>The answer to a read: <see cref="Found"/> is false for a miss, for an undecodable value and when Redis failed.</summary>
public readonly record struct CacheLookup<T>(bool Found, T? Value)
{
    public static CacheLookup<T> Miss => default;

    public bool TryGetValue(out T? value)
    {
        value = Value;
        return Found;
    }
}

/// <summary>What a read that tells a miss from a failure found (<see cref="CacheRead{T}"/>).</summary>
public enum CacheReadStatus
{
    /// <summary>The entry is there: <see cref="CacheRead{T}.Value"/> holds it.</summary>
    Found,

    /// <summary>Redis answered and has no such entry (or one that could not be decoded, which is deleted).</summary>
    Missing,

    /// <summary>Redis did not answer (refused, unreachable, not answering within the timeout): nothing is known about the entry.</summary>
    Unavailable,
}

/// <summary>
/// The answer to a read whose miss means something to the caller (a session: a miss signs the reader out), so that a
/// failed read is never taken for a miss, as a <see cref="CacheLookup{T}"/> would take it.
/// </summary>
public readonly record struct CacheRead<T>(CacheReadStatus Status, T? Value)
{
    public static CacheRead<T> Missing => new(CacheReadStatus.Missing, default);

    public static CacheRead<T> Unavailable => new(CacheReadStatus.Unavailable, default);

    public bool Found => Status == CacheReadStatus.Found;
}

/// <summary>
/// The answer to a counter operation. A failure is explicit: <see cref="Succeeded"/> is false and
/// <see cref="Value"/> throws, so no caller can mistake an outage for a count of 0.
/// </summary>
public readonly record struct CounterResult
{
    private readonly long _value;

    private CounterResult(bool succeeded, long value, string? error)
    {
        Succeeded = succeeded;
        _value = value;
        Error = error;
    }

    public bool Succeeded { get; }

    /// <summary>Why the operation failed (an error type such as <c>connection</c> or <c>timeout</c>); null on success.</summary>
    public string? Error { get; }

    public long Value => Succeeded
        ? _value
        : throw new InvalidOperationException($"The Redis counter operation failed ({Error}); there is no value. Check Succeeded first.");

    public static CounterResult Success(long value) => new(true, value, null);

    public static CounterResult Failure(string error) => new(false, 0, error);

    public bool TryGetValue(out long value)
    {
        value = _value;
        return Succeeded;
    }
}

/// <summary>A member of a sorted set and its score.</summary>
public readonly record struct ScoredMember(string Member, double Score);
