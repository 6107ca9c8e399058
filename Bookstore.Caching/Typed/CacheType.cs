namespace Bookstore.Caching.Typed;

/// <summary>What a cached value is. Each type has one policy (TTL, strategy, L1 use...) in <see cref="CachePolicyTable"/>.</summary>
public enum CacheType
{
    /// <summary>One book by id.</summary>
    Books,

    /// <summary>Browse and search result pages.</summary>
    BookLists,

    /// <summary>One user's profile.</summary>
    Users,

    /// <summary>One user's cart.</summary>
    Cart,

    /// <summary>Reading sessions (a hash of the session token → user).</summary>
    Sessions,

    /// <summary>Aggregates such as top books and view counts.</summary>
    Analytics,

    /// <summary>Recommendations computed for one user.</summary>
    Recommendations,

    /// <summary>Catalog reference data that is rebuilt rarely and must never be evicted (e.g. the language list).</summary>
    Reference,
}
