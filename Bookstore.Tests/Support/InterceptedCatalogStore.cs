using System.Reflection;
using System.Runtime.ExceptionServices;
using Bookstore.Api.Catalog;

namespace Bookstore.Tests.Support;

/// <summary>
/// The API's real <see cref="ICatalogStore"/> with a test's hooks around every call: <c>before</c> sees the method, <c>after</c>
/// sees its result and returns what the caller gets (the result itself, or a task that waits on it).
/// </summary>
public class InterceptedCatalogStore : DispatchProxy
{
    private ICatalogStore _inner = null!;
    private Action<MethodInfo>? _before;
    private Func<MethodInfo, object?[], object?, object?>? _after;

    public static ICatalogStore Wrap(ICatalogStore inner, Action<MethodInfo>? before = null, Func<MethodInfo, object?[], object?, object?>? after = null)
    {
        var proxy = Create<ICatalogStore, InterceptedCatalogStore>();
        var intercepted = (InterceptedCatalogStore)(object)proxy;
        intercepted._inner = inner;
        intercepted._before = before;
        intercepted._after = after;
        return proxy;
    }

    protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
    {
        var method = targetMethod!;
        _before?.Invoke(method);
        object? result;
        try
        {
            result = method.Invoke(_inner, args);
        }
        catch (TargetInvocationException ex) when (ex.InnerException is not null)
        {
            ExceptionDispatchInfo.Throw(ex.InnerException);
            throw;
        }

        return _after is null ? result : _after(method, args ?? [], result);
    }
}
