using Microsoft.Extensions.DependencyInjection;

namespace Bookstore.Tests.Unit.FunctionCaching;

/// <summary>A container with the decorated test services, the recording cache and the call log, in one request scope.</summary>
internal sealed class FunctionCachingHost : IDisposable
{
    private readonly ServiceProvider _provider;
    private readonly IServiceScope _scope;

    public FunctionCachingHost()
    {
        var services = new ServiceCollection()
            .AddSingleton<Caching.Typed.ICacheService>(Cache)
            .AddSingleton(Log)
            .AddCachedResults<IBookQueries, BookQueries>()
            .AddCachedResults<IKeyableArguments, KeyableArguments>(ServiceLifetime.Singleton);
        _provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateScopes = true, ValidateOnBuild = true });
        _scope = _provider.CreateScope();
        Books = _scope.ServiceProvider.GetRequiredService<IBookQueries>();
        Arguments = _scope.ServiceProvider.GetRequiredService<IKeyableArguments>();
    }

    public RecordingCacheService Cache { get; } = new();

    public CallLog Log { get; } = new();

    public IBookQueries Books { get; }

    public IKeyableArguments Arguments { get; }

    public string LastId => Cache.LastCall.Id;

    public void Dispose()
    {
        _scope.Dispose();
        _provider.Dispose();
    }
}
