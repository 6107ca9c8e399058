using Bookstore.AppHost.Redis;
using Bookstore.Tests.Support;
using StackExchange.Redis;

namespace Bookstore.Tests.Security;

/// <summary>
/// The shipped Redis users on a six-node cluster made as the AppHost makes it: the services discover the cluster and run
/// their whole cache stack without one refusal on any node, and may do nothing more with CLUSTER than read it.
/// </summary>
[Trait("Category", "Security")]
public sealed class RedisAclClusterTests(RedisClusterFixture fixture) : IClassFixture<RedisClusterFixture>
{
    public static TheoryData<string[]> ClusterCommandsRefusedToTheApp => new()
    {
        new[] { "CLUSTER", "INFO" },
        new[] { "CLUSTER", "MEET", "127.0.0.1", "1" },
        new[] { "CLUSTER", "FAILOVER" },
        new[] { "CLUSTER", "RESET" },
        new[] { "CLUSTER", "FORGET", "0000000000000000000000000000000000000000" },
        new[] { "CLUSTER", "ADDSLOTS", "1" },
        new[] { "CLUSTER", "SETSLOT", "1", "STABLE" },
    };

    [Fact]
    public async Task WholeCacheStackRunsOnTheClusterWithoutOneRefusalOnAnyNode()
    {
        var cluster = await StartedClusterAsync();
        await using var admin = await RedisCluster.ConnectAdminAsync(cluster.AdminConnectionString);
        var nodes = cluster.Nodes.Select(n => admin.GetServer("127.0.0.1", n.Port)).ToArray();
        await Task.WhenAll(nodes.Select(n => n.ExecuteAsync("ACL", "LOG", "RESET")));

        await RedisAclTests.RunWholeCacheStackAsync(cluster);

        foreach (var node in nodes)
        {
            var refusals = (RedisResult[])(await node.ExecuteAsync("ACL", "LOG"))!;
            Assert.True(refusals.Length == 0, $"{node.EndPoint} refused the stack: " + string.Join(" | ", refusals.Select(RedisAclTests.Describe)));
        }

        // Every key the stack wrote, on every primary, is under the app prefix.
        var keys = new List<string>();
        foreach (var node in nodes.Where(n => !n.IsReplica))
        {
            await foreach (var key in node.KeysAsync(pattern: "*", pageSize: 500))
            {
                keys.Add(key.ToString());
            }
        }

        Assert.NotEmpty(keys);
        Assert.All(keys, k => Assert.StartsWith("bookstore:", k, StringComparison.Ordinal));
    }

    [Fact]
    public async Task AppUserReadsTheClustersNodesAndSlots()
    {
        var cluster = await StartedClusterAsync();
        await using var connection = await RedisCluster.ConnectAdminAsync(cluster.ConnectionString);
        var app = connection.GetDatabase();

        Assert.Contains("myself", (await app.ExecuteAsync("CLUSTER", "NODES")).ToString(out _), StringComparison.Ordinal);
        Assert.Equal(RedisClusterBootstrap.Shards, ((RedisResult[])(await app.ExecuteAsync("CLUSTER", "SLOTS"))!).Length);
    }

    [Theory]
    [MemberData(nameof(ClusterCommandsRefusedToTheApp))]
    public async Task AppUserMayNotChangeTheCluster(string[] command)
    {
        var cluster = await StartedClusterAsync();
        await using var app = await RedisCluster.ConnectAdminAsync(cluster.ConnectionString);
        var primary = app.GetServers().First(s => !s.IsReplica);

        var error = await Assert.ThrowsAsync<RedisServerException>(() => primary.ExecuteAsync(command[0], command[1..].Cast<object>().ToArray()));

        Assert.StartsWith("NOPERM", error.Message, StringComparison.Ordinal);
        await using var admin = await RedisCluster.ConnectAdminAsync(cluster.AdminConnectionString);
        Assert.All(
            await Task.WhenAll(cluster.Nodes.Select(n => RedisClusterBootstrap.IsReadyAsync(admin.GetServer("127.0.0.1", n.Port)))),
            Assert.True);
    }

    /// <summary>The class's cluster, started by the tests: only its users are the AppHost's.</summary>
    private async Task<RedisCluster> StartedClusterAsync()
    {
        await fixture.FlushedAsync();
        Assert.SkipWhen(fixture.Started is null, $"{RedisClusterFixture.ExistingClusterVariable} names a cluster whose users are not the AppHost's.");
        return fixture.Started!;
    }
}
