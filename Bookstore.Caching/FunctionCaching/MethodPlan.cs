using Bookstore.Caching.Typed;

namespace Bookstore.Caching.FunctionCaching;

/// <summary>What the proxy does for one interface method, decided once when the decorator is registered.</summary>
internal abstract class MethodPlan
{
    public abstract object? Invoke(object target, ICacheService cache, object?[] args);

    /// <summary>The entry a call with these arguments reads and writes; null for a method whose result is not cached.</summary>
    public virtual CachedResultEntry? Describe(object?[] args) => null;

    /// <summary>The cache type when this method's entries are Persistent by its own <see cref="CacheResultAttribute.Strategy"/>.</summary>
    public virtual CacheType? PersistentEntriesOf => null;

    /// <summary><see cref="Describe(object?[])"/> of the entry holding <paramref name="result"/>: with the tags read from it too.</summary>
    public virtual CachedResultEntry? Describe(object?[] args, object? result) => null;
}

/// <summary>A method without <see cref="CacheResultAttribute"/>: a compiled call to the implementation, nothing else.</summary>
internal sealed class PassThroughMethodPlan(Func<object, object?[], object?> invoke) : MethodPlan
{
    public override object? Invoke(object target, ICacheService cache, object?[] args) => invoke(target, args);
}

/// <summary>
/// A <see cref="CacheResultAttribute"/> method: key and tags from the arguments (and the result), then the cache's
/// GetOrSet, with the method's own strategy and TTL when it has them.
/// </summary>
internal sealed class CachedMethodPlan<T>(
    CacheType type,
    ResultKeyPlan key,
    ResultTagPlan tags,
    CacheEntryPolicy? policy,
    int cancellationTokenIndex,
    Func<object, object?[], Task<T>> invoke,
    bool returnsValueTask) : MethodPlan
{
    private readonly Func<T, IEnumerable<string>>? _tagsOf = tags.HasResultTags ? value => tags.CollectFromResult(value) : null;

    public override CacheType? PersistentEntriesOf => policy?.Strategy == CacheStrategy.Persistent ? type : null;

    public override CachedResultEntry? Describe(object?[] args) => new(type, key.Build(args), [.. tags.Collect(args) ?? []]);

    public override CachedResultEntry? Describe(object?[] args, object? result) => result is null or T
        ? new(type, key.Build(args), [.. tags.Collect(args) ?? [], .. tags.CollectFromResult(result)])
        : throw new ArgumentException($"The result must be a {ResultKeyPlan.TypeName(typeof(T))}, what the method returns; it is a {ResultKeyPlan.TypeName(result.GetType())}.", nameof(result));

    public override object? Invoke(object target, ICacheService cache, object?[] args)
    {
        var id = key.Build(args);
        var cancellationToken = cancellationTokenIndex < 0 ? CancellationToken.None : (CancellationToken)args[cancellationTokenIndex]!;
        Func<CancellationToken, Task<T>> factory = factoryToken => invoke(target, WithToken(args, factoryToken));
        var entry = policy is null && _tagsOf is null
            ? cache.GetOrSetEntryAsync(type, id, factory, tags.Collect(args), cancellationToken)
            : cache.GetOrSetEntryAsync(type, id, factory, tags.Collect(args), _tagsOf, policy, cancellationToken);
        var result = entry.IsCompletedSuccessfully ? new ValueTask<T>(Reported(entry.Result)) : AwaitReported(entry);
        return returnsValueTask ? result : result.AsTask();
    }

    private static async ValueTask<T> AwaitReported(ValueTask<CachedValue<T>> entry) => Reported(await entry.ConfigureAwait(false));

    private static T Reported(CachedValue<T> entry)
    {
        CachedResultSource.Report(entry.Source);
        return entry.Value;
    }

    // The implementation gets the cache's factory token: that is the one that follows the cache's own timeouts and the
    // callers still waiting, while the caller's token went to GetOrSetAsync. A copy, because the factory may run later.
    private object?[] WithToken(object?[] args, CancellationToken factoryToken)
    {
        if (cancellationTokenIndex < 0)
        {
            return args;
        }

        var copy = (object?[])args.Clone();
        copy[cancellationTokenIndex] = factoryToken;
        return copy;
    }
}
