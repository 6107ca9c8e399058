using System.Diagnostics;
using Bookstore.AppHost.Profiles;
using Bookstore.AppHost.Redis;
using StackExchange.Redis;

namespace Bookstore.Tests.Support;

/// <summary>
/// The replicated topology as the AppHost runs it, on real processes: a primary, its replicas and three Sentinels
/// (quorum 2, our timings), every node with the production users (the default user off; bookstore-replication and
/// bookstore-sentinel least-privilege). Services connect through the Sentinels with <see cref="ConnectionString"/>.
/// </summary>
public sealed class ReplicatedRedis : IAsyncDisposable
{
    private readonly List<RedisServer> _nodes = [];
    private readonly List<RedisServer> _sentinels = [];

    private ReplicatedRedis(RedisUserPasswords users) => Users = users;

    public RedisUserPasswords Users { get; }

    public IReadOnlyList<RedisServer> Nodes => _nodes;

    public IReadOnlyList<RedisServer> Sentinels => _sentinels;

    /// <summary>The services' connection string: through the Sentinels, as bookstore-app.</summary>
    public string ConnectionString => ConnectionStringAs(RedisUsers.App, Users.App);

    public string ConnectionStringAs(string user, string password) =>
        ReplicatedRedisConfiguration.ConnectionString(_sentinels.Select(s => s.Port), user, password);

    /// <summary>An admin connection string to one node directly (no Sentinel).</summary>
    public string AdminConnectionStringTo(RedisServer node) => node.ConnectionStringAs(RedisUsers.Admin, Users.Admin) + ",allowAdmin=true";

    public static async Task<ReplicatedRedis> StartAsync(int replicas = 1, BookstoreProfile? profile = null, SentinelTimings? timings = null)
    {
        var redis = new ReplicatedRedis(new RedisUserPasswords(NewPassword(), NewPassword(), NewPassword())
        {
            Replication = NewPassword(),
            Sentinel = NewPassword(),
        });
        try
        {
            var primary = await RedisServer.StartReplicatedNodeAsync(redis.Users, primaryPort: null, profile);
            redis._nodes.Add(primary);
            for (var i = 0; i < replicas; i++)
            {
                redis._nodes.Add(await RedisServer.StartReplicatedNodeAsync(redis.Users, primary.Port, profile));
            }

            for (var i = 0; i < ReplicatedRedisConfiguration.SentinelCount; i++)
            {
                redis._sentinels.Add(await RedisServer.StartSentinelAsync(redis.Users, primary.Port, timings));
            }

            await redis.WaitUntilSettledAsync(primary, TimeSpan.FromSeconds(30));
            return redis;
        }
        catch
        {
            await redis.DisposeAsync();
            throw;
        }
    }

    /// <summary>The port of the primary the Sentinels name now (asked as bookstore-admin on the first Sentinel that answers).</summary>
    public async Task<int?> PrimaryPortAsync()
    {
        foreach (var sentinel in _sentinels.Where(s => !s.HasExited))
        {
            try
            {
                await using var connection = await ConnectionMultiplexer.ConnectAsync(
                    $"127.0.0.1:{sentinel.Port},user={RedisUsers.Admin},password={Users.Admin},connectTimeout=1000,abortConnect=false,allowAdmin=true",
                    o => o.CommandMap = CommandMap.Sentinel);
                var server = connection.GetServer("127.0.0.1", sentinel.Port);
                var address = await server.SentinelGetMasterAddressByNameAsync(ReplicatedRedisConfiguration.ServiceName);
                if (address is System.Net.IPEndPoint ip)
                {
                    return ip.Port;
                }
            }
            catch (RedisException)
            {
                // Ask the next Sentinel.
            }
        }

        return null;
    }

    /// <summary>The node serving as primary now, by the Sentinels.</summary>
    public async Task<RedisServer> PrimaryAsync() =>
        await PrimaryPortAsync() is { } port ? _nodes.Single(n => n.Port == port) : throw new InvalidOperationException("No Sentinel names a primary.");

    /// <summary>Waits until the Sentinels name a primary other than <paramref name="old"/>; returns it.</summary>
    public async Task<RedisServer> WaitForNewPrimaryAsync(RedisServer old, TimeSpan within)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < within)
        {
            if (await PrimaryPortAsync() is { } port && port != old.Port)
            {
                return _nodes.Single(n => n.Port == port);
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"The Sentinels did not promote a replica within {within.TotalSeconds} s.");
    }

    /// <summary>The role a node reports (INFO replication, as bookstore-admin): master or slave.</summary>
    public async Task<string> RoleOfAsync(RedisServer node)
    {
        await using var connection = await ConnectionMultiplexer.ConnectAsync(AdminConnectionStringTo(node) + ",connectTimeout=2000");
        var info = await connection.GetServer("127.0.0.1", node.Port).InfoRawAsync("replication") ?? string.Empty;
        return info.Split('\n').Select(l => l.Trim()).First(l => l.StartsWith("role:", StringComparison.Ordinal))["role:".Length..];
    }

    /// <summary>INFO commandstats calls of <paramref name="command"/> (lower case) on a node.</summary>
    public async Task<long> CallsAsync(RedisServer node, string command)
    {
        await using var connection = await ConnectionMultiplexer.ConnectAsync(AdminConnectionStringTo(node));
        var info = await connection.GetServer("127.0.0.1", node.Port).InfoRawAsync("commandstats") ?? string.Empty;
        var line = info.Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.StartsWith($"cmdstat_{command}:calls=", StringComparison.Ordinal));
        return line is null ? 0 : long.Parse(line.Split(',')[0].Split('=')[1], System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>Starts a node again that had stopped, as a replica of the current primary (what the AppHost renders too).</summary>
    public async Task RestartAsReplicaAsync(RedisServer node)
    {
        var primary = await PrimaryPortAsync() ?? throw new InvalidOperationException("No Sentinel names a primary.");
        await node.RenderNodeConfigAsync(primary == node.Port ? null : primary);
        await node.StartAgainAsync();
    }

    /// <summary>Every node other than the primary is its online replica (after a restart, say).</summary>
    public async Task WaitUntilReplicasOnlineAsync(TimeSpan within) => await WaitUntilSettledAsync(await PrimaryAsync(), within);

    /// <summary>The primary's replicas are linked and every Sentinel knows the other two and the replicas.</summary>
    private async Task WaitUntilSettledAsync(RedisServer primary, TimeSpan within)
    {
        var clock = Stopwatch.StartNew();
        await using var admin = await ConnectionMultiplexer.ConnectAsync(AdminConnectionStringTo(primary));
        while (true)
        {
            var info = await admin.GetServer("127.0.0.1", primary.Port).InfoRawAsync("replication") ?? string.Empty;
            var online = info.Split('\n').Count(l => l.StartsWith("slave", StringComparison.Ordinal) && l.Contains("state=online", StringComparison.Ordinal));
            var sentinelsReady = true;
            foreach (var sentinel in _sentinels)
            {
                await using var connection = await ConnectionMultiplexer.ConnectAsync(
                    $"127.0.0.1:{sentinel.Port},user={RedisUsers.Admin},password={Users.Admin},allowAdmin=true", o => o.CommandMap = CommandMap.Sentinel);
                var server = connection.GetServer("127.0.0.1", sentinel.Port);
                var peers = await server.SentinelSentinelsAsync(ReplicatedRedisConfiguration.ServiceName);
                var known = await server.SentinelReplicasAsync(ReplicatedRedisConfiguration.ServiceName);
                sentinelsReady &= peers.Length == _sentinels.Count - 1 && known.Length == _nodes.Count - 1;
            }

            if (online == _nodes.Count - 1 && sentinelsReady)
            {
                return;
            }

            if (clock.Elapsed > within)
            {
                throw new TimeoutException($"The replicated topology did not settle within {within.TotalSeconds} s (online replicas: {online}).");
            }

            await Task.Delay(200);
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var server in _sentinels.Concat(_nodes))
        {
            await server.DisposeAsync();
        }
    }

    private static string NewPassword() => Convert.ToHexString(Guid.NewGuid().ToByteArray()).ToLowerInvariant();
}
