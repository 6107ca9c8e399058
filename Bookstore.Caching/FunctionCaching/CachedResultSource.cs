using Bookstore.Caching.Typed;

namespace Bookstore.Caching.FunctionCaching;

/// <summary>
/// Where the last <see cref="CacheResultAttribute"/> call made after <see cref="Capture"/> got its value from, for an
/// <c>X-Cache</c> header: <c>using</c> no scope at all costs nothing. The holder flows down the async call (AsyncLocal)
/// and the decorator writes into it, so the caller sees the answer once its await returns.
/// </summary>
public sealed class CachedResultSource
{
    private static readonly AsyncLocal<CachedResultSource?> Current = new();

    private CachedResultSource()
    {
    }

    public CacheSource? Source { get; private set; }

    /// <summary><c>hit-l1</c>, <c>hit-l2</c>, <c>miss</c> or <c>stale</c>; null when no cached call ran.</summary>
    public string? Header => Source is { } source ? new CachedValue<object?>(null, source).Header : null;

    /// <summary>Starts capturing for the calls that follow in this async flow.</summary>
    public static CachedResultSource Capture()
    {
        var holder = new CachedResultSource();
        Current.Value = holder;
        return holder;
    }

    internal static void Report(CacheSource source)
    {
        if (Current.Value is { } holder)
        {
            holder.Source = source;
        }
    }
}
