using Bookstore.AppHost.Redis;
using Bookstore.Tests.Support;
using StackExchange.Redis;

namespace Bookstore.Tests.Integration;

/// <summary>The Redis side of the cache resource's dashboard commands, as bookstore-admin on the shipped configuration.</summary>
[Trait("Category", "Integration")]
public sealed class RedisAdminCommandsTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task SlowLogShowsTheTwentyMostRecentSlowCommands()
    {
        await using var server = await RedisServer.StartWithUsersAsync();
        await using var admin = await RedisAdminCommands.ConnectAsync(server.ConnectionString);
        var db = admin.GetDatabase();
        var serverApi = admin.GetServer(admin.GetEndPoints()[0]);

        var empty = await RedisAdminCommands.SlowLogAsync(serverApi);
        Assert.True(empty.Success);
        Assert.Contains("empty", empty.Message, StringComparison.Ordinal);

        // Every command is "slow" at a 0 µs threshold.
        await db.ExecuteAsync("CONFIG", "SET", "slowlog-log-slower-than", "0");
        for (var i = 0; i < 30; i++)
        {
            await db.StringSetAsync($"bookstore:v1:probe:{i}", i);
        }

        var outcome = await RedisAdminCommands.SlowLogAsync(serverApi);
        Assert.True(outcome.Success);
        Assert.Equal("20 slow-log entries.", outcome.Message);
        var rows = outcome.Report!.Split('\n').Where(l => l.StartsWith("| ", StringComparison.Ordinal) && !l.StartsWith("| id", StringComparison.Ordinal)).ToList();
        Assert.Equal(20, rows.Count);
        Assert.Contains(rows, r => r.Contains("SET bookstore:v1:probe:29 29", StringComparison.Ordinal));
    }

    [Fact]
    public async Task MemoryReportAgreesWithInfoAndMemoryStats()
    {
        await using var server = await RedisServer.StartWithUsersAsync();
        await using var admin = await RedisAdminCommands.ConnectAsync(server.ConnectionString);
        var serverApi = admin.GetServer(admin.GetEndPoints()[0]);

        var outcome = await RedisAdminCommands.MemoryReportAsync(serverApi);

        Assert.True(outcome.Success);
        var info = (await serverApi.InfoAsync("memory")).SelectMany(g => g).ToDictionary(p => p.Key, p => p.Value);
        Assert.Contains($"| maxmemory_human | {info["maxmemory_human"]} |", outcome.Report, StringComparison.Ordinal);
        Assert.Contains("of maxmemory 512.00M", outcome.Message, StringComparison.Ordinal);
        Assert.Contains("| peak.allocated |", outcome.Report, StringComparison.Ordinal);
        Assert.Contains("| dataset.bytes |", outcome.Report, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RewriteAofStartsABackgroundRewriteAndExplainsWhenAofIsOff()
    {
        await using var server = await RedisServer.StartWithUsersAsync();
        await using var admin = await RedisAdminCommands.ConnectAsync(server.ConnectionString);
        var serverApi = admin.GetServer(admin.GetEndPoints()[0]);
        await admin.GetDatabase().StringSetAsync("bookstore:v1:reference:languages", "en");

        var outcome = await RedisAdminCommands.RewriteAofAsync(serverApi);
        Assert.True(outcome.Success, outcome.Message);
        Assert.True(
            await LinuxProcesses.WaitUntilAsync(
                async () => Persistence(await serverApi.InfoAsync("persistence")) is { } p && p["aof_rewrite_in_progress"] == "0" && p["aof_last_bgrewrite_status"] == "ok" && p["aof_rewrite_scheduled"] == "0",
                TimeSpan.FromSeconds(30),
                Ct),
            "The AOF rewrite did not finish with status ok.");

        await admin.GetDatabase().ExecuteAsync("CONFIG", "SET", "appendonly", "no");
        var off = await RedisAdminCommands.RewriteAofAsync(serverApi);
        Assert.False(off.Success);
        Assert.Contains("appendonly no", off.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CommandsRunAsAnyOtherUserAreExplainedAsRefused()
    {
        await using var server = await RedisServer.StartWithUsersAsync();
        await using var monitor = await RedisAdminCommands.ConnectAsync(server.ConnectionStringAs(RedisUsers.Monitor, server.Users!.Monitor));

        var error = await Assert.ThrowsAsync<RedisServerException>(() => RedisAdminCommands.MemoryReportAsync(monitor.GetServer(monitor.GetEndPoints()[0])));

        Assert.Contains("refused the admin user", RedisAdminCommands.Explain(error), StringComparison.Ordinal);
        var wrongPassword = await Assert.ThrowsAnyAsync<RedisException>(() => RedisAdminCommands.ConnectAsync(server.ConnectionStringAs(RedisUsers.Admin, "wrong")));
        Assert.Contains("Redis", RedisAdminCommands.Explain(wrongPassword), StringComparison.Ordinal);
    }

    private static Dictionary<string, string> Persistence(IGrouping<string, KeyValuePair<string, string>>[] info) =>
        info.SelectMany(g => g).ToDictionary(p => p.Key, p => p.Value);
}
