using System.Net.Sockets;
using System.Text;
using Aspire.Hosting;
using Bookstore.AppHost.Profiles;
using Bookstore.AppHost.Redis;
using Bookstore.Caching.Distributed;
using Bookstore.Catalog.Contracts;
using Bookstore.Caching.Monitoring;
using Bookstore.Caching.Redis;
using Bookstore.Caching.Typed;
using Bookstore.Tests.Support;
using StackExchange.Redis;

namespace Bookstore.Tests.Security;

/// <summary>
/// The Redis users the AppHost ships (redis/users.acl rendered by its own code, loaded by a real redis-server
/// through the rendered runtime configuration): what each user may and may not do.
/// </summary>
[Trait("Category", "Security")]
public sealed class RedisAclTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static TheoryData<string[]> CommandsRefusedToTheApp => new()
    {
        new[] { "FLUSHALL" },
        new[] { "FLUSHDB" },
        new[] { "CONFIG", "GET", "maxmemory" },
        new[] { "SHUTDOWN", "NOSAVE" },
        new[] { "KEYS", "*" },
        new[] { "SET", "outside:the-prefix", "x" },
        new[] { "GET", "outside:kept" },
        new[] { "INFO" },
        new[] { "CLIENT", "LIST" },
        new[] { "PUBLISH", "elsewhere", "x" },
    };

    [Theory]
    [MemberData(nameof(CommandsRefusedToTheApp))]
    public async Task AppUserIsRefusedWithNopermAndTheDataIsIntact(string[] command)
    {
        await using var server = await RedisServer.StartWithUsersAsync();
        await using var admin = await ConnectAsync(server.ConnectionString);
        var adminDb = admin.GetDatabase();
        await adminDb.StringSetAsync("bookstore:v1:books:1", "dune");
        await adminDb.StringSetAsync("outside:kept", "kept");

        // A plain client (no command map) with admin mode on, so the request reaches the server and the server refuses.
        await using var app = await ConnectAsync(server.ConnectionStringAs(RedisUsers.App, server.Users!.App));
        var error = await Assert.ThrowsAsync<RedisServerException>(() => app.GetDatabase().ExecuteAsync(command[0], command[1..].Cast<object>().ToArray()));
        Assert.StartsWith("NOPERM", error.Message, StringComparison.Ordinal);

        Assert.Equal(2L, (long)await admin.GetServer(admin.GetEndPoints()[0]).ExecuteAsync("DBSIZE"));
        Assert.Equal("dune", (string?)await adminDb.StringGetAsync("bookstore:v1:books:1"));
        Assert.Equal("kept", (string?)await adminDb.StringGetAsync("outside:kept"));
        Assert.False(await adminDb.KeyExistsAsync("outside:the-prefix"));
    }

    [Fact]
    public async Task AppUserMayNotRunDebugEvenWhereTheServerWouldAllowIt()
    {
        await using var server = await RedisServer.StartWithUsersAsync();
        await using var admin = await ConnectAsync(server.ConnectionString);
        await using var app = await ConnectAsync(server.ConnectionStringAs(RedisUsers.App, server.Users!.App));

        // redis.conf leaves DEBUG disabled for everyone (enable-debug-command no), a gate the server checks before ACL;
        // ACL DRYRUN shows the ACL refuses it to the app user as well, in case that setting is ever changed.
        var live = await Assert.ThrowsAsync<RedisServerException>(() => app.GetDatabase().ExecuteAsync("DEBUG", "SLEEP", "0"));
        Assert.Contains("DEBUG", live.Message, StringComparison.Ordinal);
        var dryRun = (string?)await admin.GetDatabase().ExecuteAsync("ACL", "DRYRUN", RedisUsers.App, "DEBUG", "SLEEP", "0");
        Assert.Contains("no permissions to run the 'debug' command", dryRun, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UnauthenticatedAndWrongPasswordClientsAreRefused()
    {
        await using var server = await RedisServer.StartWithUsersAsync();

        using var tcp = new TcpClient();
        await tcp.ConnectAsync("127.0.0.1", server.Port, Ct);
        var stream = tcp.GetStream();
        Assert.StartsWith("-NOAUTH", await SendAsync(stream, "PING"), StringComparison.Ordinal);
        Assert.StartsWith("-NOAUTH", await SendAsync(stream, "GET", "bookstore:v1:books:1"), StringComparison.Ordinal);
        Assert.StartsWith("-WRONGPASS", await SendAsync(stream, "AUTH", "not-the-password"), StringComparison.Ordinal);
        Assert.StartsWith("-WRONGPASS", await SendAsync(stream, "AUTH", "default", server.Users!.Admin), StringComparison.Ordinal);
        Assert.StartsWith("-WRONGPASS", await SendAsync(stream, "AUTH", RedisUsers.App, server.Users.Monitor), StringComparison.Ordinal);
        Assert.StartsWith("-NOAUTH", await SendAsync(stream, "PING"), StringComparison.Ordinal);
        Assert.Equal("+OK", await SendAsync(stream, "AUTH", RedisUsers.App, server.Users.App));
        Assert.Equal("+PONG", await SendAsync(stream, "PING"));
    }

    [Fact]
    public async Task MonitorUserReadsServerStatisticsButNoKey()
    {
        await using var server = await RedisServer.StartWithUsersAsync();
        await using var monitor = await ConnectAsync(server.ConnectionStringAs(RedisUsers.Monitor, server.Users!.Monitor));
        var db = monitor.GetDatabase();

        Assert.Contains("redis_version", (string?)await db.ExecuteAsync("INFO"), StringComparison.Ordinal);
        Assert.Equal(ResultType.Array, (await db.ExecuteAsync("SLOWLOG", "GET", "5")).Resp2Type);
        Assert.Equal(0L, (long)await db.ExecuteAsync("SLOWLOG", "LEN"));
        Assert.Equal(ResultType.Array, (await db.ExecuteAsync("LATENCY", "LATEST")).Resp2Type);
        Assert.Equal("PONG", (string?)await db.ExecuteAsync("PING"));

        foreach (var refused in new[] { new object[] { "GET", "bookstore:v1:books:1" }, ["SET", "bookstore:v1:books:1", "x"], ["SLOWLOG", "RESET"], ["CONFIG", "GET", "maxmemory"], ["SUBSCRIBE", "bookstore:backplane"] })
        {
            var error = await Assert.ThrowsAsync<RedisServerException>(() => db.ExecuteAsync((string)refused[0], refused[1..]));
            Assert.StartsWith("NOPERM", error.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task WholeCacheStackRunsAsTheAppAndMonitorUsersWithoutOneRefusal()
    {
        await using var server = await RedisServer.StartWithUsersAsync();
        await using var admin = await ConnectAsync(server.ConnectionString);
        await admin.GetDatabase().ExecuteAsync("ACL", "LOG", "RESET");
        KeyValuePair<string, string?>[] users =
        [
            new("ConnectionStrings:cache", server.ConnectionStringAs(RedisUsers.App, server.Users!.App)),
            new("ConnectionStrings:cache-monitor", server.ConnectionStringAs(RedisUsers.Monitor, server.Users.Monitor)),
        ];

        await RunWholeCacheStackAsync(server, users);

        var refusals = (RedisResult[])(await admin.GetDatabase().ExecuteAsync("ACL", "LOG"))!;
        Assert.True(refusals.Length == 0, "Redis refused the stack: " + string.Join(" | ", refusals.Select(Describe)));

        // Every key the stack wrote is under the app prefix (SCAN as admin).
        var keys = new List<string>();
        await foreach (var key in admin.GetServer(admin.GetEndPoints()[0]).KeysAsync(pattern: "*", pageSize: 500))
        {
            keys.Add(key.ToString());
        }

        Assert.NotEmpty(keys);
        Assert.All(keys, k => Assert.StartsWith("bookstore:", k, StringComparison.Ordinal));
    }

    /// <summary>
    /// Everything the services do with Redis, on two instances: L2 writes and reads, tags, a Persistent type, the bulk path,
    /// the backplane, clearing types, direct operations and the server monitor (as <c>bookstore-monitor</c>).
    /// </summary>
    internal static async Task RunWholeCacheStackAsync(ITestRedis server, params KeyValuePair<string, string?>[] users)
    {
        using (var first = await CachingHost.StartWithCacheAsync(server, users))
        using (var second = await CachingHost.StartWithCacheAsync(server, users))
        {
            var a = first.Get<CacheService>();
            var b = second.Get<CacheService>();
            var book = new Book(5, "Dune", ["Frank Herbert"], 4.25, 1_000_000);

            // L2 write and read across two instances, tags, and a Persistent type (stored by RedisService).
            await a.SetAsync(CacheType.Books, book, "5", [CacheTags.Book(5)], Ct);
            Assert.Equal("Dune", (await b.GetOrSetAsync<Book>(CacheType.Books, "5", _ => throw new InvalidOperationException("not from L2"), cancellationToken: Ct)).Title);
            await a.SetAsync(CacheType.Reference, new[] { "en", "fr" }, "languages", cancellationToken: Ct);

            // The bulk path (the warmer's): its batches and their notification on the bulk-set channel.
            var many = Enumerable.Range(100, BulkWritePolicy.Default.BatchSize + 10).Select(i => new CacheWrite<Book>($"{i}", book with { Id = i }, [CacheTags.Book(i)])).ToList();
            Assert.Equal(many.Count, await a.SetManyAsync(CacheType.Books, many, Ct));
            Assert.Equal("Dune", (await b.GetOrSetAsync<Book>(CacheType.Books, "300", _ => throw new InvalidOperationException("not from L2"), cancellationToken: Ct)).Title);
            Assert.True((await b.GetAsync<string[]>(CacheType.Reference, "languages", Ct)).Found);

            // The backplane: an invalidation on one instance drops the other's L1.
            await a.InvalidateBookAsync(5, Ct);
            Assert.True(
                await LinuxProcesses.WaitUntilAsync(async () => !(await b.GetAsync<Book>(CacheType.Books, "5", Ct)).Found, TimeSpan.FromSeconds(10), Ct),
                "The other instance kept the book after InvalidateBookAsync: the backplane did not reach it.");
            await a.ClearTypeAsync(CacheType.Books, Ct);
            await a.ClearTypeAsync(CacheType.Reference, Ct);

            // Direct operations and the server monitor (its own connection as bookstore-monitor; lease and snapshot as the app).
            var redis = first.Get<IRedisService>();
            Assert.True(await redis.SetAsync("probe:acl", 42, TimeSpan.FromMinutes(1), Ct));
            Assert.True((await redis.IncrementAsync("visits:page:home", 1, Ct)).Succeeded);
            var snapshot = await first.Get<RedisServerMonitor>().PollAsync(Ct);
            Assert.True(snapshot.UsedMemoryBytes > 0);
            Assert.True(
                await LinuxProcesses.WaitUntilAsync(async () => await second.Get<RedisServerMonitor>().ReadSharedSnapshotAsync(Ct) is not null, TimeSpan.FromSeconds(30), Ct),
                "No instance stored a server snapshot as the poller.");
        }
    }

    [Fact]
    public async Task ProtectedModeIsOnAndTheLocalServerListensOnLoopbackOnly()
    {
        var rendered = BookstoreRedisExtensions.RenderRuntimeConfig("/repo/redis/redis.conf", "/data", 6390, BookstoreProfile.Local);
        Assert.Contains("protected-mode yes\n", rendered.ReplaceLineEndings("\n"), StringComparison.Ordinal);
        Assert.Contains("bind 127.0.0.1 -::1\n", rendered.ReplaceLineEndings("\n"), StringComparison.Ordinal);
        Assert.Contains("aclfile \"/data/users.acl\"", rendered, StringComparison.Ordinal);
        Assert.DoesNotContain("requirepass", rendered, StringComparison.Ordinal);

        await using var server = await RedisServer.StartWithUsersAsync();
        await using var admin = await ConnectAsync(server.ConnectionString);
        var db = admin.GetDatabase();
        Assert.Equal("yes", await ConfigGetAsync(db, "protected-mode"));
        Assert.Equal("127.0.0.1 -::1", await ConfigGetAsync(db, "bind"));
        var acl = ((RedisResult[])(await db.ExecuteAsync("ACL", "LIST"))!).Select(r => r.ToString()).ToList();
        Assert.Contains(acl, line => line.StartsWith("user default off", StringComparison.Ordinal));
        Assert.DoesNotContain(acl, line => line.Contains(server.Users!.App, StringComparison.Ordinal));
        Assert.DoesNotContain(server.Users!.App, await File.ReadAllTextAsync(Path.Combine(server.DataDirectory, RedisUsers.FileName), Ct), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ProductionProfileRemovesTheSeedsDangerousCommandsEvenForTheAdmin()
    {
        var rendered = BookstoreRedisExtensions.RenderRuntimeConfig("/repo/redis/redis.conf", "/data", 6390, BookstoreProfile.Production);
        foreach (var command in RedisUsers.ProductionDisabledCommands)
        {
            Assert.Contains($"rename-command {command} \"\"", rendered, StringComparison.Ordinal);
        }

        Assert.DoesNotContain("rename-command", BookstoreRedisExtensions.RenderRuntimeConfig("/r.conf", "/data", 6390, BookstoreProfile.Local), StringComparison.Ordinal);

        await using var server = await RedisServer.StartWithUsersAsync(BookstoreProfile.Production);
        await using var admin = await ConnectAsync(server.ConnectionString);
        await admin.GetDatabase().StringSetAsync("bookstore:v1:books:1", "dune");
        foreach (var command in new[] { new object[] { "FLUSHALL" }, ["FLUSHDB"], ["CONFIG", "GET", "maxmemory"], ["KEYS", "*"] })
        {
            var error = await Assert.ThrowsAsync<RedisServerException>(() => admin.GetDatabase().ExecuteAsync((string)command[0], command[1..]));
            Assert.Contains("unknown command", error.Message, StringComparison.OrdinalIgnoreCase);
        }

        Assert.Equal("dune", (string?)await admin.GetDatabase().StringGetAsync("bookstore:v1:books:1"));
    }

    private static async Task<ConnectionMultiplexer> ConnectAsync(string connectionString)
    {
        var options = ConfigurationOptions.Parse(connectionString);
        options.AllowAdmin = true;
        options.AbortOnConnectFail = true;
        return await ConnectionMultiplexer.ConnectAsync(options);
    }

    private static async Task<string?> ConfigGetAsync(IDatabase db, string name)
    {
        var pair = (RedisResult[])(await db.ExecuteAsync("CONFIG", "GET", name))!;
        return pair.Length == 2 ? pair[1].ToString() : null;
    }

    internal static string Describe(RedisResult entry)
    {
        var fields = (RedisResult[])entry!;
        return string.Join(' ', Enumerable.Range(0, fields.Length / 2).Select(i => $"{fields[2 * i]}={fields[(2 * i) + 1]}"));
    }

    /// <summary>One RESP command on a raw socket and the first line of the answer.</summary>
    private static async Task<string> SendAsync(NetworkStream stream, params string[] parts)
    {
        var request = new StringBuilder().Append('*').Append(parts.Length).Append("\r\n");
        foreach (var part in parts)
        {
            request.Append('$').Append(Encoding.UTF8.GetByteCount(part)).Append("\r\n").Append(part).Append("\r\n");
        }

        await stream.WriteAsync(Encoding.UTF8.GetBytes(request.ToString()), Ct);
        var line = new StringBuilder();
        var buffer = new byte[1];
        while (await stream.ReadAsync(buffer, Ct) == 1 && buffer[0] != '\n')
        {
            line.Append((char)buffer[0]);
        }

        return line.ToString().TrimEnd('\r');
    }
}
