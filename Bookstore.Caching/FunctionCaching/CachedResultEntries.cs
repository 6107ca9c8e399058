using Bookstore.Caching.Typed;

namespace Bookstore.Caching.FunctionCaching;

/// <summary>The cache entry a <see cref="CacheResultAttribute"/> call reads and writes: its cache type, id and tags.</summary>
public sealed record CachedResultEntry(CacheType Type, string Id, IReadOnlyList<string> Tags);

/// <summary>
/// Names the entry of a <see cref="CacheResultAttribute"/> call of <typeparamref name="TService"/> without making the
/// call, so a result computed elsewhere (a bulk read for the cache warmer) can be written exactly where the decorated
/// call will read it: same key plan, same tags. Registered by <c>AddCachedResults</c>.
/// </summary>
public sealed class CachedResultEntries<TService>
    where TService : class
{
    private readonly CachedResultPlans _plans;

    internal CachedResultEntries(CachedResultPlans plans) => _plans = plans;

    /// <summary>
    /// The entry of <c>methodName(arguments)</c>, with the tags of the arguments. A method whose tags are also read from
    /// its result (<c>[return: CacheTag(..., Member = ...)]</c>) needs <see cref="DescribeResult"/>.
    /// </summary>
    /// <param name="methodName">A <see cref="CacheResultAttribute"/> method of the interface, not overloaded (use <c>nameof</c>).</param>
    /// <param name="arguments">Every argument in declaration order, as the call passes them (a <see cref="CancellationToken"/> too).</param>
    /// <exception cref="ArgumentException">No such cached method, or arguments that do not fit its parameters.</exception>
    public CachedResultEntry Describe(string methodName, params object?[] arguments) => Describe(methodName, arguments, withResult: false, null);

    /// <summary>The entry of <c>methodName(arguments)</c> holding <paramref name="result"/>: the tags of the arguments and of the result.</summary>
    /// <param name="methodName">A <see cref="CacheResultAttribute"/> method of the interface, not overloaded (use <c>nameof</c>).</param>
    /// <param name="result">What the call returned (or would return); a null result has no tags of its own.</param>
    /// <param name="arguments">Every argument in declaration order, as the call passes them (a <see cref="CancellationToken"/> too).</param>
    /// <exception cref="ArgumentException">No such cached method, or arguments that do not fit its parameters.</exception>
    public CachedResultEntry DescribeResult(string methodName, object? result, params object?[] arguments) =>
        Describe(methodName, arguments, withResult: true, result);

    private CachedResultEntry Describe(string methodName, object?[] arguments, bool withResult, object? result)
    {
        ArgumentNullException.ThrowIfNull(arguments);
        var service = ResultKeyPlan.TypeName(typeof(TService));
        if (_plans.Find(methodName) is not var (method, plan))
        {
            throw new ArgumentException($"{service} has no method '{methodName}', or more than one: name one [CacheResult] method.", nameof(methodName));
        }

        var parameters = method.GetParameters();
        if (arguments.Length != parameters.Length)
        {
            throw new ArgumentException(
                $"{service}.{methodName} takes {parameters.Length} arguments and {arguments.Length} were given: pass every one, in order.", nameof(arguments));
        }

        for (var i = 0; i < parameters.Length; i++)
        {
            var type = parameters[i].ParameterType;
            var fits = arguments[i] is null
                ? !type.IsValueType || Nullable.GetUnderlyingType(type) is not null
                : type.IsInstanceOfType(arguments[i]);
            if (!fits)
            {
                throw new ArgumentException(
                    $"Argument {i} of {service}.{methodName} must be a {ResultKeyPlan.TypeName(type)}: the key is built from the value the call would pass.", nameof(arguments));
            }
        }

        return (withResult ? plan.Describe(arguments, result) : plan.Describe(arguments))
            ?? throw new ArgumentException($"{service}.{methodName} has no [CacheResult]: its results are not cached.", nameof(methodName));
    }
}
