using Bookstore.Caching.Typed;

namespace Bookstore.Caching.FunctionCaching;

/// <summary>
/// Tags a <see cref="CacheResultAttribute"/> method's entry with this argument's value, so invalidating the tag removes
/// the entry. <c>"user"</c> gives <see cref="CacheTags.User"/>, <c>"book"</c> gives <see cref="CacheTags.Book"/>
/// (both need an integer argument); any other name gives <c>{name}:{value}</c>.
/// </summary>
/// <remarks>
/// Without this attribute, a parameter named exactly <c>userId</c> or <c>bookId</c> with an integer type is tagged as
/// <c>"user"</c> or <c>"book"</c> by convention; the attribute, when present, replaces the convention. An array or
/// <see cref="IReadOnlyList{T}"/> argument gives one tag per non-null element; a null argument gives none. A parameter may carry
/// several tags (<c>[CacheTag("user")] [CacheTag("recommendations-user")] int userId</c>), so one kind of a user's entries
/// can be dropped without the others.
/// On the return value with <see cref="Member"/> (<c>[return: CacheTag("book", Member = nameof(Recommendations.BookIds))]</c>),
/// the tags are read from that property of the result when it is computed: a list is then dropped by
/// <c>InvalidateBookAsync</c> of any book in it.
/// </remarks>
[AttributeUsage(AttributeTargets.Parameter | AttributeTargets.ReturnValue, AllowMultiple = true, Inherited = false)]
public sealed class CacheTagAttribute(string name) : Attribute
{
    /// <summary>The tag's name: lower-case ASCII letters, digits, '-' and '_'.</summary>
    public string Name { get; } = name;

    /// <summary>
    /// On the return value only: the public property of the result whose value (or each element of it) gives the tags.
    /// A null result or a null property gives none.
    /// </summary>
    public string? Member { get; set; }
}
