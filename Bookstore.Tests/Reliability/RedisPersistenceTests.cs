using System.Globalization;
using Aspire.Hosting;
using Bookstore.AppHost.Profiles;
using Bookstore.Caching.Keys;
using Bookstore.Caching.Redis;
using Bookstore.Caching.Typed;
using Bookstore.Tests.Infrastructure;
using Bookstore.Tests.Support;
using StackExchange.Redis;

namespace Bookstore.Tests.Reliability;

/// <summary>
/// What survives a SIGKILL of redis-server and a restart on the same data folder: Persistent entries with the shipped
/// <c>redis/redis.conf</c> (AOF, <c>appendfsync everysec</c>), and every acknowledged write with <c>appendfsync always</c>.
/// </summary>
[Trait("Category", "Reliability")]
public sealed class RedisPersistenceTests
{
    private const int Writers = 4;
    private const int Trials = 5;

    private static string ShippedConfig => Path.Combine(AppHostModelTests.RepositoryRoot(), "redis", "redis.conf");

    [Fact(Timeout = 120_000)]
    public async Task PersistentEntriesSurviveAKillWithTheShippedEverysecSettingsOnceTheAofIsWritten()
    {
        var ct = TestContext.Current.CancellationToken;

        // The shipped file last, so its persistence settings replace the fixture's "no persistence" defaults.
        await using var server = await RedisServer.StartAsync("--include", ShippedConfig);
        using (var admin = await ConnectionMultiplexer.ConnectAsync(server.ConnectionString + ",allowAdmin=true"))
        {
            var persistence = await PersistenceInfoAsync(admin);
            Assert.Equal("1", persistence["aof_enabled"]);
            Assert.Equal("everysec", (await admin.GetServer(admin.GetEndPoints()[0]).ConfigGetAsync("appendfsync")).Single().Value);
        }

        using (var host = await CachingHost.StartWithCacheAsync(server))
        {
            var cache = host.Get<ICacheService>();
            var redis = host.Get<IRedisService>();
            await cache.SetAsync(CacheType.Reference, new[] { "eng", "fre", "spa" }, "languages", cancellationToken: ct);
            await cache.SetAsync(CacheType.Reference, new[] { "fiction", "poetry" }, "genres", cancellationToken: ct);
            Assert.True(await redis.SetAsync("reference:catalog-version", 42L, timeToLive: null, ct));

            // everysec acknowledges before the fsync: wait until the server says the writes reached the AOF file.
            using var admin = await ConnectionMultiplexer.ConnectAsync(server.ConnectionString + ",allowAdmin=true");
            Assert.True(
                await LinuxProcesses.WaitUntilAsync(() => AofIsOnDiskAsync(admin, server.DataDirectory), TimeSpan.FromSeconds(30), ct),
                "The AOF never caught up with the writes: " + string.Join(", ", await PersistenceInfoAsync(admin)));
        }

        await server.KillAsync();
        await server.StartAgainAsync();

        // A new host has an empty L1, so what it reads comes from the restarted Redis.
        using var restarted = await CachingHost.StartWithCacheAsync(server);
        var languages = await restarted.Get<ICacheService>().GetAsync<string[]>(CacheType.Reference, "languages", ct);
        var genres = await restarted.Get<ICacheService>().GetAsync<string[]>(CacheType.Reference, "genres", ct);
        var version = await restarted.Get<IRedisService>().GetAsync<long>("reference:catalog-version", ct);
        Assert.Equal(["eng", "fre", "spa"], Assert.IsType<string[]>(languages.Value));
        Assert.Equal(["fiction", "poetry"], Assert.IsType<string[]>(genres.Value));
        Assert.True(version.Found);
        Assert.Equal(42L, version.Value);
    }

    [Fact(Timeout = 120_000)]
    public async Task WithAppendfsyncAlwaysNoAcknowledgedWriteIsLostToAKillAtARandomMoment()
    {
        var ct = TestContext.Current.CancellationToken;
        var random = new Random(20261126);
        for (var trial = 1; trial <= Trials; trial++)
        {
            var killAfter = random.Next(200, 1_500);
            await using var server = await RedisServer.StartAsync("--include", ShippedConfig, "--appendfsync", "always");
            var acknowledged = new long[Writers];
            using (var host = await CachingHost.StartAsync(server))
            {
                var redis = host.Get<IRedisService>();
                var total = 0;
                var killMoment = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

                // Each writer awaits its own write before the next, so at most one is in flight when the kill lands.
                async Task WriteUntilFailureAsync(int writer)
                {
                    for (long next = 1; !ct.IsCancellationRequested; next++)
                    {
                        var written = writer % 2 == 0
                            ? (await redis.IncrementAsync(WriterKey(writer), cancellationToken: ct)) is { Succeeded: true } counter && counter.Value == next
                            : await redis.SetAsync(WriterKey(writer), next, timeToLive: null, ct);
                        if (!written)
                        {
                            return;
                        }

                        acknowledged[writer] = next;
                        if (Interlocked.Increment(ref total) == killAfter)
                        {
                            killMoment.TrySetResult();
                        }
                    }
                }

                var writers = Enumerable.Range(0, Writers).Select(WriteUntilFailureAsync).ToArray();
                await killMoment.Task.WaitAsync(TimeSpan.FromSeconds(60), ct);
                await server.KillAsync();
                await Task.WhenAll(writers).WaitAsync(TimeSpan.FromSeconds(30), ct);
            }

            await server.StartAgainAsync();
            using var reader = await ConnectionMultiplexer.ConnectAsync(server.ConnectionString);
            var db = reader.GetDatabase();
            for (var writer = 0; writer < Writers; writer++)
            {
                var stored = (long)await db.StringGetAsync(CacheKeyBuilder.Prefix + WriterKey(writer));
                TestContext.Current.SendDiagnosticMessage(
                    $"trial {trial}: kill after {killAfter} writes; writer {writer} acknowledged {acknowledged[writer]}, found {stored}");

                // At most the one write in flight at the kill may have landed without its acknowledgement.
                Assert.InRange(stored, acknowledged[writer], acknowledged[writer] + 1);
                Assert.True(acknowledged[writer] > 0, $"writer {writer} never wrote in trial {trial}");
            }
        }
    }

    [Fact]
    public void EveryProfileRunsRedisWithTheAofOnAndItsFsyncPolicy()
    {
        Assert.Contains("appendonly yes", File.ReadAllLines(ShippedConfig));
        foreach (var profile in BookstoreProfile.All)
        {
            var rendered = BookstoreRedisExtensions.RenderRuntimeConfig(ShippedConfig, "/data", 6379, profile).Split('\n', StringSplitOptions.TrimEntries);
            Assert.Contains($"appendfsync {profile.AppendFsync}", rendered);
            Assert.Contains($"--appendfsync {profile.AppendFsync}", string.Join(' ', BookstoreRedisExtensions.ContainerServerCommand(profile)), StringComparison.Ordinal);
        }
    }

    private static string WriterKey(int writer) => string.Create(CultureInfo.InvariantCulture, $"durability:writer-{writer}");

    private static async Task<Dictionary<string, string>> PersistenceInfoAsync(IConnectionMultiplexer admin)
    {
        var groups = await admin.GetServer(admin.GetEndPoints()[0]).InfoAsync("persistence");
        return groups.SelectMany(g => g).ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal);
    }

    /// <summary>
    /// True when redis-server has handed every acknowledged write to the kernel: its AOF buffer is empty, no background
    /// fsync is pending, the last write succeeded, and the AOF files on disk are as long as the server says the AOF is.
    /// A SIGKILL of the process cannot lose what the kernel holds (only a host crash can lose data not yet fsynced, which
    /// with <c>everysec</c> is at most about one second of writes). Redis 7.0 has no command to wait for the fsync itself
    /// (<c>WAITAOF</c> arrived in 7.2).
    /// </summary>
    private static async Task<bool> AofIsOnDiskAsync(IConnectionMultiplexer admin, string dataDirectory)
    {
        var info = await PersistenceInfoAsync(admin);
        var aofDirectory = Path.Combine(dataDirectory, "appendonlydir");

        // aof_current_size counts the base file (its size when the server started or last rewrote) plus the increments.
        var incrementsOnDisk = Directory.Exists(aofDirectory)
            ? Directory.EnumerateFiles(aofDirectory, "*.incr.aof").Sum(f => new FileInfo(f).Length)
            : 0;
        var incrementsWritten = long.Parse(info["aof_current_size"], CultureInfo.InvariantCulture)
                                - long.Parse(info["aof_base_size"], CultureInfo.InvariantCulture);
        return info["aof_buffer_length"] == "0"
               && info["aof_pending_bio_fsync"] == "0"
               && info["aof_last_write_status"] == "ok"
               && incrementsWritten > 0
               && incrementsOnDisk >= incrementsWritten;
    }
}
