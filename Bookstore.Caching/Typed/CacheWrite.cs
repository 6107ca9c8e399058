namespace Bookstore.Caching.Typed;

/// <summary>One entry of <see cref="ICacheService.SetManyAsync{T}"/>: what a <c>SetAsync(type, Value, Id, Tags)</c> would write.</summary>
public readonly record struct CacheWrite<T>(string Id, T Value, IReadOnlyList<string>? Tags = null);
