using Microsoft.Extensions.Caching.Memory;

namespace Bookstore.Caching.Typed;

/// <summary>
/// The memory cache FusionCache uses as L1, size-limited (every entry counts 1). Kept apart from the application's
/// own <see cref="IMemoryCache"/>, whose entries need not carry a size.
/// </summary>
public sealed class CacheL1Store : IDisposable
{
    public CacheL1Store(int maxEntries) => Memory = new MemoryCache(new MemoryCacheOptions { SizeLimit = maxEntries });

    public MemoryCache Memory { get; }

    /// <summary>Entries held now, across every cache type.</summary>
    public int Count => Memory.Count;

    public void Dispose() => Memory.Dispose();
}
