using System.Collections.Concurrent;
using System.Collections.Frozen;
using System.Linq.Expressions;
using System.Reflection;
using Bookstore.Caching.Typed;

namespace Bookstore.Caching.FunctionCaching;

/// <summary>
/// Every method of one interface analysed once, when the decorator is registered: attributes, return type, key plan,
/// tags and a compiled call. A proxied call then costs a dictionary lookup by <see cref="MethodInfo"/> plus the key
/// text. Anything that cannot be cached correctly is an <see cref="InvalidOperationException"/> here, at start-up.
/// </summary>
internal sealed class CachedResultPlans
{
    private static readonly MethodInfo CreateCachedPlanMethod =
        typeof(CachedResultPlans).GetMethod(nameof(CreateCachedPlan), BindingFlags.NonPublic | BindingFlags.Static)!;

    private readonly FrozenDictionary<MethodInfo, MethodPlan> _plans;

    // A generic method arrives as a new closed MethodInfo per type argument, so its plans are made on first use.
    private readonly ConcurrentDictionary<MethodInfo, MethodPlan> _genericPlans = new();

    private CachedResultPlans(FrozenDictionary<MethodInfo, MethodPlan> plans) => _plans = plans;

    public static CachedResultPlans For(Type service)
    {
        if (!service.IsInterface)
        {
            throw new InvalidOperationException(
                $"AddCachedResults needs an interface as the service type, and {ResultKeyPlan.TypeName(service)} is not one: " +
                "the decorator is a proxy of the interface the callers use. Register the interface and its implementation.");
        }

        var plans = new Dictionary<MethodInfo, MethodPlan>();
        foreach (var declaring in service.GetInterfaces().Prepend(service))
        {
            foreach (var method in declaring.GetMethods(BindingFlags.Public | BindingFlags.Instance))
            {
                var attribute = method.GetCustomAttribute<CacheResultAttribute>(inherit: false);
                if (method.IsGenericMethodDefinition)
                {
                    if (attribute is not null)
                    {
                        throw Rejected(declaring, method, "it is generic, and a type argument has no stable place in a cache key. Use a non-generic method per result type");
                    }

                    continue;
                }

                plans[method] = attribute is null
                    ? new PassThroughMethodPlan(MethodInvokers.PassThrough(method))
                    : Cached(declaring, method, attribute);
            }
        }

        return new CachedResultPlans(plans.ToFrozenDictionary());
    }

    /// <summary>The cache types some of whose entries are Persistent by a method's own strategy.</summary>
    public IEnumerable<CacheType> PersistentEntryTypes => _plans.Values.Select(p => p.PersistentEntriesOf).OfType<CacheType>().Distinct();

    public MethodPlan this[MethodInfo method] =>
        _plans.TryGetValue(method, out var plan)
            ? plan
            : _genericPlans.GetOrAdd(method, static m => new PassThroughMethodPlan(MethodInvokers.PassThrough(m)));

    /// <summary>The plan of the one public method of the interface named <paramref name="name"/>, or null when there is none or several.</summary>
    public (MethodInfo Method, MethodPlan Plan)? Find(string name)
    {
        var matches = _plans.Where(p => p.Key.Name == name).Take(2).ToList();
        return matches.Count == 1 ? (matches[0].Key, matches[0].Value) : null;
    }

    private static MethodPlan Cached(Type service, MethodInfo method, CacheResultAttribute attribute)
    {
        var returnType = method.ReturnType;
        var definition = returnType.IsGenericType ? returnType.GetGenericTypeDefinition() : null;
        if (definition != typeof(Task<>) && definition != typeof(ValueTask<>))
        {
            throw Rejected(
                service,
                method,
                $"it returns {ResultKeyPlan.TypeName(returnType)}, and only Task<T> and ValueTask<T> have a result to cache. Return Task<T> or ValueTask<T>, or remove [CacheResult]");
        }

        var prefix = attribute.KeyPrefix ?? ResultKeyPlan.DefaultPrefix(method.Name);
        if (!ResultKeyPlan.IsValidPrefix(prefix))
        {
            throw Rejected(
                service,
                method,
                $"its KeyPrefix '{prefix}' must be 1 to {ResultKeyPlan.MaxPrefixLength} lower-case ASCII letters, digits, '-' or '_'");
        }

        var arguments = new List<(int, ArgumentWriter)>();
        var tags = new List<ResultTagPlan.TagSource>();
        var cancellationTokenIndex = -1;
        var parameters = method.GetParameters();
        for (var i = 0; i < parameters.Length; i++)
        {
            var parameter = parameters[i];
            var type = parameter.ParameterType;
            if (type.IsByRef)
            {
                throw Rejected(service, method, $"parameter '{parameter.Name}' is passed by reference (ref, out or in), which a cached result cannot reproduce");
            }

            if (type == typeof(CancellationToken))
            {
                if (cancellationTokenIndex >= 0)
                {
                    throw Rejected(service, method, $"parameter '{parameter.Name}' is a second CancellationToken; a cached method takes at most one");
                }

                cancellationTokenIndex = i;
                continue;
            }

            var writer = ArgumentKeyFormat.TryCreateWriter(type) ?? throw Rejected(
                service,
                method,
                $"parameter '{parameter.Name}' of type {ResultKeyPlan.TypeName(type)} cannot be part of a cache key. " +
                $"Keyable types: {ArgumentKeyFormat.KeyableTypes}. Pass those values (such as ids) instead of the object, or remove [CacheResult]");
            arguments.Add((i, writer));

            var tagAttributes = parameter.GetCustomAttributes<CacheTagAttribute>().ToList();
            if (tagAttributes.Count == 0 && ResultTagPlan.ByConvention(i, parameter.Name, type) is { } conventional)
            {
                tags.Add(conventional);
            }

            foreach (var tagAttribute in tagAttributes)
            {
                if (tagAttribute.Member is not null)
                {
                    throw Rejected(service, method, $"parameter '{parameter.Name}' has [CacheTag(\"{tagAttribute.Name}\", Member = \"{tagAttribute.Member}\")], and Member names a property of the result: put it on the return value ([return: CacheTag(...)])");
                }

                tags.Add(ResultTagPlan.TryCreate(i, tagAttribute.Name, type, out var reason) ??
                    throw Rejected(service, method, $"parameter '{parameter.Name}' of type {ResultKeyPlan.TypeName(type)} cannot carry [CacheTag(\"{tagAttribute.Name}\")]: {reason}"));
            }
        }

        var resultType = returnType.GetGenericArguments()[0];
        var tagPlan = new ResultTagPlan(tags, ResultTags(service, method, resultType));
        var policy = EntryPolicy(service, method, attribute, tagPlan);
        var key = new ResultKeyPlan(prefix, ResultKeyPlan.Signature(service, method, resultType), arguments);
        object?[] planArguments = [method, attribute.Type, key, tagPlan, policy, cancellationTokenIndex, definition == typeof(ValueTask<>)];
        return (MethodPlan)CreateCachedPlanMethod.MakeGenericMethod(resultType).Invoke(null, planArguments)!;
    }

    /// <summary>The method's own strategy and TTL (<see cref="CacheResultAttribute.TtlSeconds"/>, <see cref="CacheResultAttribute.Strategy"/>), or null for the type's.</summary>
    private static CacheEntryPolicy? EntryPolicy(Type service, MethodInfo method, CacheResultAttribute attribute, ResultTagPlan tags)
    {
        if (attribute.TtlSeconds < 0)
        {
            throw Rejected(service, method, $"its TtlSeconds {attribute.TtlSeconds} is negative. Give a positive number of seconds, or 0 for the type's TTL");
        }

        if (attribute is { HasStrategy: true, Strategy: CacheStrategy.Persistent })
        {
            if (attribute.TtlSeconds > 0)
            {
                throw Rejected(service, method, $"it sets TtlSeconds = {attribute.TtlSeconds} with Strategy = Persistent, and a persistent entry has no TTL. Remove one of them");
            }

            // A persistent Redis copy has no TTL and is reloaded after a tag drops its L1 copy: a tag could not remove it.
            if (tags.HasTags)
            {
                throw Rejected(service, method, "it sets Strategy = Persistent and its entries carry tags (a userId/bookId parameter or [CacheTag]), and invalidating a tag cannot remove a persistent Redis copy. Use a TTL strategy, or rename the parameter");
            }
        }

        return attribute.TtlSeconds == 0 && !attribute.HasStrategy
            ? null
            : new CacheEntryPolicy(
                attribute.HasStrategy ? attribute.Strategy : null,
                attribute.TtlSeconds > 0 ? TimeSpan.FromSeconds(attribute.TtlSeconds) : null);
    }

    /// <summary>The tags read from the result: <c>[return: CacheTag(name, Member = property)]</c>.</summary>
    private static List<ResultTagPlan.ResultTagSource> ResultTags(Type service, MethodInfo method, Type resultType)
    {
        var sources = new List<ResultTagPlan.ResultTagSource>();
        foreach (var tag in method.ReturnParameter.GetCustomAttributes<CacheTagAttribute>())
        {
            if (tag.Member is null)
            {
                throw Rejected(service, method, $"its return value has [CacheTag(\"{tag.Name}\")] without Member: name the property of {ResultKeyPlan.TypeName(resultType)} that holds the tag values");
            }

            var valueType = Nullable.GetUnderlyingType(resultType) ?? resultType;
            var property = valueType.GetProperty(tag.Member, BindingFlags.Public | BindingFlags.Instance);
            if (property?.GetMethod is null || property.GetIndexParameters().Length > 0)
            {
                throw Rejected(service, method, $"its return value's [CacheTag(\"{tag.Name}\", Member = \"{tag.Member}\")] names no readable public property of {ResultKeyPlan.TypeName(valueType)}");
            }

            var source = ResultTagPlan.TryCreate(-1, tag.Name, property.PropertyType, out var reason) ??
                throw Rejected(service, method, $"property {tag.Member} of type {ResultKeyPlan.TypeName(property.PropertyType)} cannot carry [CacheTag(\"{tag.Name}\")]: {reason}");
            var result = Expression.Parameter(typeof(object), "result");
            var read = Expression.Lambda<Func<object, object?>>(
                Expression.Convert(Expression.Property(Expression.Convert(result, valueType), property), typeof(object)), result).Compile();
            sources.Add(new ResultTagPlan.ResultTagSource(read, source));
        }

        return sources;
    }

    private static CachedMethodPlan<T> CreateCachedPlan<T>(
        MethodInfo method, CacheType type, ResultKeyPlan key, ResultTagPlan tags, CacheEntryPolicy? policy, int cancellationTokenIndex, bool returnsValueTask) =>
        new(type, key, tags, policy, cancellationTokenIndex, MethodInvokers.Cached<T>(method, returnsValueTask), returnsValueTask);

    private static InvalidOperationException Rejected(Type service, MethodInfo method, string reason) =>
        new($"[CacheResult] on {ResultKeyPlan.TypeName(service)}.{method.Name} cannot be honoured: {reason}.");
}
