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
