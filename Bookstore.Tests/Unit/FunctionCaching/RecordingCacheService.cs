using System.Collections.Concurrent;
using Bookstore.Caching.Redis;
using Bookstore.Caching.Typed;

namespace Bookstore.Tests.Unit.FunctionCaching;

/// <summary>
/// An in-memory <see cref="ICacheService"/> with GetOrSet semantics (the stored value, or the factory called once and
/// its result stored; a failed factory stores nothing) that records every GetOrSet call, so tests can see the ids and
/// tags the decorator produces without the real L1/L2 engine.
/// </summary>
internal sealed class RecordingCacheService : ICacheService
{
    private readonly ConcurrentDictionary<(CacheType Type, string Id), Lazy<Task<object?>>> _entries = new();
    private readonly ConcurrentDictionary<(CacheType Type, string Id), IReadOnlyList<string>> _tags = new();
    private readonly ConcurrentQueue<GetOrSetCall> _calls = new();

    public IReadOnlyList<GetOrSetCall> Calls => [.. _calls];

    public GetOrSetCall LastCall => _calls.Last();

    public async ValueTask<CachedValue<T>> GetOrSetEntryAsync<T>(
        CacheType type,
        string id,
        Func<CancellationToken, Task<T>> factory,
        IEnumerable<string>? tags = null,
        CancellationToken cancellationToken = default)
    {
        var ran = false;
        var value = await GetOrSetAsync(type, id, ct => { ran = true; return factory(ct); }, tags, cancellationToken);
        return new CachedValue<T>(value, ran ? CacheSource.Factory : CacheSource.L1);
    }

    /// <summary>Records the policy too; the tags read from the value are stored with the entry, as the real cache does.</summary>
    public async ValueTask<CachedValue<T>> GetOrSetEntryAsync<T>(
        CacheType type,
        string id,
        Func<CancellationToken, Task<T>> factory,
        IEnumerable<string>? tags,
        Func<T, IEnumerable<string>>? tagsOf,
        CacheEntryPolicy? policy,
        CancellationToken cancellationToken = default)
    {
        Policies[(type, id)] = policy;
        var entry = await GetOrSetEntryAsync(type, id, factory, tags, cancellationToken);
        if (tagsOf is not null && entry.Source == CacheSource.Factory)
        {
            _tags[(type, id)] = [.. _tags.GetValueOrDefault((type, id)) ?? [], .. tagsOf(entry.Value)];
        }

        return entry;
    }

    public ConcurrentDictionary<(CacheType Type, string Id), CacheEntryPolicy?> Policies { get; } = new();

    public IReadOnlyList<string> TagsOf(CacheType type, string id) => _tags.GetValueOrDefault((type, id)) ?? [];

    public async ValueTask<T> GetOrSetAsync<T>(
        CacheType type,
        string id,
        Func<CancellationToken, Task<T>> factory,
        IEnumerable<string>? tags = null,
        CancellationToken cancellationToken = default)
    {
        var tagList = tags?.ToArray() ?? [];
        _calls.Enqueue(new GetOrSetCall(type, id, tagList, cancellationToken));

        var key = (type, id);
        var entry = _entries.GetOrAdd(key, _ => new Lazy<Task<object?>>(async () => await factory(cancellationToken)));
        try
        {
            var value = (T)(await entry.Value)!;
            _tags.TryAdd(key, tagList);
            return value;
        }
        catch
        {
            _entries.TryRemove(KeyValuePair.Create(key, entry));
            throw;
        }
    }

    public async ValueTask<CacheLookup<T>> GetAsync<T>(CacheType type, string id, CancellationToken cancellationToken = default) =>
        _entries.TryGetValue((type, id), out var entry) && entry.Value.IsCompletedSuccessfully
            ? new CacheLookup<T>(true, (T?)await entry.Value)
            : CacheLookup<T>.Miss;

    public ValueTask SetAsync<T>(CacheType type, T value, string id, IEnumerable<string>? tags = null, CancellationToken cancellationToken = default)
    {
        _entries[(type, id)] = new Lazy<Task<object?>>(Task.FromResult<object?>(value));
        _tags[(type, id)] = tags?.ToArray() ?? [];
        return ValueTask.CompletedTask;
    }

    public async ValueTask<int> SetManyAsync<T>(CacheType type, IReadOnlyList<CacheWrite<T>> items, CancellationToken cancellationToken = default)
    {
        foreach (var item in items)
        {
            await SetAsync(type, item.Value, item.Id, item.Tags, cancellationToken);
        }

        return items.Count;
    }

    public ValueTask ClearTypeAsync(CacheType type, CancellationToken cancellationToken = default)
    {
        foreach (var key in _entries.Keys.Where(k => k.Type == type))
        {
            _entries.TryRemove(key, out _);
            _tags.TryRemove(key, out _);
        }

        return ValueTask.CompletedTask;
    }

    public ValueTask InvalidateUserAsync(long userId, CancellationToken cancellationToken = default) =>
        RemoveByTagAsync(CacheTags.User(userId), cancellationToken);

    public ValueTask InvalidateBookAsync(long bookId, CancellationToken cancellationToken = default) =>
        RemoveByTagAsync(CacheTags.Book(bookId), cancellationToken);

    public ValueTask RemoveAsync(CacheType type, string id, CancellationToken cancellationToken = default)
    {
        _entries.TryRemove((type, id), out _);
        _tags.TryRemove((type, id), out _);
        return ValueTask.CompletedTask;
    }

    public ValueTask RemoveByTagAsync(string tag, CancellationToken cancellationToken = default)
    {
        foreach (var (key, tags) in _tags)
        {
            if (tags.Contains(tag))
            {
                _entries.TryRemove(key, out _);
                _tags.TryRemove(key, out _);
            }
        }

        return ValueTask.CompletedTask;
    }

    internal sealed record GetOrSetCall(CacheType Type, string Id, IReadOnlyList<string> Tags, CancellationToken CancellationToken);
}
