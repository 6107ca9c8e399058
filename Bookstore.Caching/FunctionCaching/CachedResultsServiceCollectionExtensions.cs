using Bookstore.Caching.FunctionCaching;
using Bookstore.Caching.Typed;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers interfaces whose <see cref="CacheResultAttribute"/> methods are served through <see cref="ICacheService"/>.</summary>
public static class CachedResultsServiceCollectionExtensions
{
    // The implementation is registered under this key so the container creates and disposes it, while plain
    // resolution of TImplementation or TService never hands out the undecorated instance by accident.
    private const string ImplementationKey = "Bookstore.Caching.FunctionCaching.Implementation";

    /// <summary>
    /// Registers <typeparamref name="TService"/> as a decorator of <typeparamref name="TImplementation"/>: calls to
    /// <see cref="CacheResultAttribute"/> methods go through <see cref="ICacheService.GetOrSetAsync{T}"/> with a key built
    /// from the method and its arguments, every other method passes straight through. Needs an
    /// <see cref="ICacheService"/> registration.
    /// </summary>
    /// <remarks>
    /// <para>
    /// Design: a <see cref="System.Reflection.DispatchProxy"/>, not a source generator. All reflection happens here, once:
    /// each method's attributes, return type, key plan, tags and a call compiled with System.Linq.Expressions are stored
    /// in a frozen dictionary keyed by MethodInfo, so a call only looks up its plan and writes the key (no
    /// MethodInfo.Invoke, no attribute reads). That is the whole feature in a few small classes in this library, where a
    /// generator would need its own netstandard2.0 analyzer project, Roslyn packages and generator tests to give the same
    /// calls, and the checks a generator would make at compile time are made here, on the first line of start-up.
    /// The price: DispatchProxy emits code at run time, so this decorator does not work under Native AOT.
    /// </para>
    /// <para>
    /// Rejected here with an <see cref="InvalidOperationException"/> naming interface, method and reason: a service type
    /// that is not an interface, a cached method that does not return Task&lt;T&gt; or ValueTask&lt;T&gt;, is generic, has
    /// ref/out/in parameters or an argument type without a canonical key form, and invalid prefixes or tags.
    /// </para>
    /// </remarks>
    public static IServiceCollection AddCachedResults<TService, TImplementation>(
        this IServiceCollection services, ServiceLifetime lifetime = ServiceLifetime.Scoped)
        where TService : class
        where TImplementation : class, TService
    {
        ArgumentNullException.ThrowIfNull(services);

        var plans = CachedResultPlans.For(typeof(TService));
        services.Add(new ServiceDescriptor(typeof(TImplementation), ImplementationKey, typeof(TImplementation), lifetime));
        services.Add(new ServiceDescriptor(
            typeof(TService),
            provider => CachedResultProxy.Create<TService>(
                provider.GetRequiredKeyedService<TImplementation>(ImplementationKey),
                provider.GetRequiredService<ICacheService>(),
                plans),
            lifetime));
        services.TryAddSingleton(new CachedResultEntries<TService>(plans));
        foreach (var type in plans.PersistentEntryTypes)
        {
            services.AddSingleton(new PersistentEntriesOf(type));
        }

        return services;
    }
}
