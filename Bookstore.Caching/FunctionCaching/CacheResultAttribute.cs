using Bookstore.Caching.Typed;

namespace Bookstore.Caching.FunctionCaching;

/// <summary>
/// Caches the awaited result of an interface method through <see cref="ICacheService.GetOrSetAsync{T}"/> when the
/// interface is registered with <c>AddCachedResults&lt;TService, TImplementation&gt;()</c>. The C# form of the seed's
/// <c>@cache_result(ttl=900, strategy=LRU, key_prefix="recommendations")</c>: TTL and strategy are the
/// <see cref="CacheType"/>'s policy unless <see cref="TtlSeconds"/> or <see cref="Strategy"/> replace them for this method.
/// </summary>
/// <remarks>
/// The method must return <see cref="Task{TResult}"/> or <see cref="ValueTask{TResult}"/> and take only keyable
/// arguments (see <c>docs/function-caching.md</c>); anything else is rejected when the decorator is registered.
/// </remarks>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false, Inherited = false)]
public sealed class CacheResultAttribute(CacheType type) : Attribute
{
    /// <summary>The cache type whose policy (TTL, strategy, levels) the results follow.</summary>
    public CacheType Type { get; } = type;

    /// <summary>
    /// The readable first part of the key id: lower-case ASCII letters, digits, '-' and '_', at most
    /// 64 characters. Defaults to the method name in kebab case (<c>GetBookDetailsAsync</c> → <c>get-book-details-async</c>).
    /// It only labels the key: two methods never share entries, whatever their prefixes.
    /// </summary>
    public string? KeyPrefix { get; set; }

    /// <summary>
    /// How long this method's results live, in seconds, instead of the type's duration (the seed's <c>ttl=</c>); 0, the
    /// default, keeps the type's. Must be positive when set, and is not allowed with <see cref="CacheStrategy.Persistent"/>.
    /// </summary>
    public int TtlSeconds { get; set; }

    /// <summary>
    /// This method's strategy instead of the type's (the seed's <c>strategy=</c>); when not set, the type's. Reads
    /// <see cref="CacheStrategy.Lru"/> when not set: <see cref="HasStrategy"/> tells the two apart.
    /// </summary>
    public CacheStrategy Strategy
    {
        get => _strategy.GetValueOrDefault();
        set => _strategy = value;
    }

    /// <summary>Whether <see cref="Strategy"/> was set.</summary>
    public bool HasStrategy => _strategy.HasValue;

    private CacheStrategy? _strategy;
}
