using System.Diagnostics.CodeAnalysis;
using System.Reflection;
using Bookstore.Caching.Typed;

namespace Bookstore.Caching.FunctionCaching;

/// <summary>
/// The runtime half of the decorator: <see cref="DispatchProxy"/> routes every interface call to <see cref="Invoke"/>,
/// which only looks up the method's precomputed plan.
/// </summary>
[SuppressMessage("Performance", "CA1852:Seal internal types", Justification = "DispatchProxy emits a class that derives from this one.")]
internal class CachedResultProxy : DispatchProxy
{
    private object _target = null!;
    private ICacheService _cache = null!;
    private CachedResultPlans _plans = null!;

    public static TService Create<TService>(TService target, ICacheService cache, CachedResultPlans plans)
        where TService : class
    {
        var proxy = DispatchProxy.Create<TService, CachedResultProxy>();
        var self = (CachedResultProxy)(object)proxy;
        self._target = target;
        self._cache = cache;
        self._plans = plans;
        return proxy;
    }

    protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
    {
        ArgumentNullException.ThrowIfNull(targetMethod);
        return _plans[targetMethod].Invoke(_target, _cache, args ?? []);
    }
}
