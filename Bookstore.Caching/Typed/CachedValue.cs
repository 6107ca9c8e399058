namespace Bookstore.Caching.Typed;

/// <summary>Where a value came from: the <c>X-Cache</c> answer (<c>hit-l1</c>, <c>hit-l2</c>, <c>miss</c>, <c>stale</c>, <c>bypass</c>).</summary>
public enum CacheSource
{
    L1,
    L2,
    Factory,
    Stale,

    /// <summary>The type's cache is bypassed (<see cref="CachePolicyOverride.Bypass"/>): the value came from its source.</summary>
    Bypass,
}

public readonly record struct CachedValue<T>(T Value, CacheSource Source)
{
    public string Header => Source switch
    {
        CacheSource.L1 => "hit-l1",
        CacheSource.L2 => "hit-l2",
        CacheSource.Stale => "stale",
        CacheSource.Bypass => "bypass",
        _ => "miss",
    };
}
