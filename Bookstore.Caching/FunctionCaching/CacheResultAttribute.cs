using Bookstore.Caching.Typed;

namespace Bookstore.Caching.FunctionCaching;

/// <summary>
/// Caches the awaited result of an interface method through <see cref="ICacheService.GetOrSetAsync{T}"/> when the
/// interface is registered with <c>AddCachedResults&lt;TService, TImplementation&gt;()</c>. The C# form of the seed's
/// <c>@cache_result(ttl=1800, strategy=LRU, key_prefix="books")</c>: TTL and strategy are the <see cref="CacheType"/>'s
/// policy, so they are not repeated here.
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
}
