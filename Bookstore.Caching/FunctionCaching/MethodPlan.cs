using Bookstore.Caching.Typed;

namespace Bookstore.Caching.FunctionCaching;

/// <summary>What the proxy does for one interface method, decided once when the decorator is registered.</summary>
internal abstract class MethodPlan
{
    public abstract object? Invoke(object target, ICacheService cache, object?[] args);

    /// <summary>The entry a call with these arguments reads and writes; null for a method whose result is not cached.</summary>
    public virtual CachedResultEntry? Describe(object?[] args) => null;
}

/// <summary>A method without <see cref="CacheResultAttribute"/>: a compiled call to the implementation, nothing else.</summary>
internal sealed class PassThroughMethodPlan(Func<object, object?[], object?> invoke) : MethodPlan
{
    public override object? Invoke(object target, ICacheService cache, object?[] args) => invoke(target, args);
}

/// <summary>A <see cref="CacheResultAttribute"/> method: key and tags from the arguments, then the cache's GetOrSet.</summary>
internal sealed class CachedMethodPlan<T>(
    CacheType type,
    ResultKeyPlan key,
    ResultTagPlan tags,
    int cancellationTokenIndex,
    Func<object, object?[], Task<T>> invoke,
    bool returnsValueTask) : MethodPlan
{
    public override CachedResultEntry? Describe(object?[] args) => new(type, key.Build(args), [.. tags.Collect(args) ?? []]);

    public override object? Invoke(object target, ICacheService cache, object?[] args)
    {
        var id = key.Build(args);
        var cancellationToken = cancellationTokenIndex < 0 ? CancellationToken.None : (CancellationToken)args[cancellationTokenIndex]!;
        var entry = cache.GetOrSetEntryAsync(type, id, factoryToken => invoke(target, WithToken(args, factoryToken)), tags.Collect(args), cancellationToken);
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
