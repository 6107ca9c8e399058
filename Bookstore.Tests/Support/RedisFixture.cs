using StackExchange.Redis;

namespace Bookstore.Tests.Support;

/// <summary>
/// One redis-server for a whole test class (<c>IClassFixture&lt;RedisFixture&gt;</c>); each test takes it through
/// <see cref="FlushedAsync"/>, which empties it first. Tests that kill, restart or reconfigure Redis start their own
/// <see cref="RedisServer"/>.
/// </summary>
public sealed class RedisFixture : IRedisFixture
{
    private RedisServer? _server;
    private ConnectionMultiplexer? _admin;

    public async ValueTask InitializeAsync()
    {
        _server = await RedisServer.StartAsync();
        _admin = await ConnectionMultiplexer.ConnectAsync(_server.ConnectionString + ",allowAdmin=true");
    }

    /// <summary>The class's server with no key left by an earlier test (FLUSHALL).</summary>
    public async Task<RedisServer> FlushedAsync()
    {
        var admin = _admin ?? throw new InvalidOperationException("The Redis fixture has not been started.");
        await admin.GetServer(admin.GetEndPoints()[0]).FlushAllDatabasesAsync();
        return _server!;
    }

    async Task<ITestRedis> IRedisFixture.FlushedAsync() => await FlushedAsync();

    public async ValueTask DisposeAsync()
    {
        if (_admin is not null)
        {
            await _admin.DisposeAsync();
        }

        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }
}
