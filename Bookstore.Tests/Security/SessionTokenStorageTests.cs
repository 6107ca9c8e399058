using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Bookstore.Api.Security;
using Bookstore.Caching.Typed;
using Bookstore.Tests.Integration.Catalog;
using Bookstore.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using StackExchange.Redis;

namespace Bookstore.Tests.Security;

/// <summary>
/// Session tokens are never stored: Redis holds a session under the SHA-256 of its token, so nothing an operator or an
/// attacker can read from Redis (every key and value, <c>SLOWLOG GET</c>, the AOF) is a token, and the stored id is
/// refused as one. Sessions still expire and still end with the user; a sign-in Redis cannot store is a 503, never a
/// token that no request could use, and a token Redis cannot look up is a 503 too, never the 401 that signs a reader out.
/// </summary>
[Trait("Category", "Security")]
public sealed class SessionTokenStorageTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task NeitherKeysValuesTheSlowLogNorTheAofHoldATokenAndTheStoredIdIsNoToken()
    {
        // Every command in the slow log, every write in the AOF.
        await using var redis = await RedisServer.StartAsync("--appendonly", "yes", "--appendfsync", "always", "--slowlog-log-slower-than", "0", "--slowlog-max-len", "100000");
        using var data = new TemporaryDirectory("bookstore-sessions-");
        await using var api = new CatalogApiFactory(redis, Path.Combine(data.Path, "catalog.db"));
        var token = await api.SignInAsync(1, Ct);
        await AssertCartAsync(api, token, 1, HttpStatusCode.OK);
        using var reader = api.CreateReaderClient(token);
        using (var session = await reader.GetAsync(new Uri("/sessions/" + token, UriKind.Relative), Ct))
        {
            Assert.Equal(HttpStatusCode.OK, session.StatusCode);
        }

        await using var admin = await ConnectionMultiplexer.ConnectAsync(redis.ConnectionString + ",allowAdmin=true");
        var texts = new List<(string Where, string Text)>();
        var server = admin.GetServer(admin.GetEndPoints()[0]);
        await foreach (var key in server.KeysAsync(pattern: "*", pageSize: 1000))
        {
            texts.Add(($"key {key}", key.ToString()));
            foreach (var value in await ValuesAsync(admin.GetDatabase(), key))
            {
                texts.Add(($"value of {key}", Encoding.Latin1.GetString(value)));
                if (StoredEntries.TryRead(value, out var entry))
                {
                    texts.Add(($"decoded value of {key}", entry.GetRawText()));
                }
            }
        }

        var slowLog = await admin.GetDatabase().ExecuteAsync("SLOWLOG", "GET", "100000");
        texts.Add(("SLOWLOG GET", string.Join('\n', Flatten(slowLog))));
        var aofFolder = Path.Combine(redis.DataDirectory, "appendonlydir");
        foreach (var file in Directory.GetFiles(aofFolder))
        {
            texts.Add(($"AOF file {Path.GetFileName(file)}", Encoding.Latin1.GetString(await File.ReadAllBytesAsync(file, Ct))));
        }

        // The search looks where the session is: its hashed id shows in a key, the slow log and the AOF.
        var sessionId = ReaderSessions.CacheIdOf(token);
        Assert.Contains(texts, t => t.Where.StartsWith("key ", StringComparison.Ordinal) && t.Text.EndsWith("sessions:" + sessionId, StringComparison.Ordinal));
        Assert.Contains(sessionId, texts.Single(t => t.Where == "SLOWLOG GET").Text, StringComparison.Ordinal);
        Assert.Contains(texts, t => t.Where.StartsWith("AOF file", StringComparison.Ordinal) && t.Text.Contains(sessionId, StringComparison.Ordinal));
        TestContext.Current.SendDiagnosticMessage($"Searched {texts.Count} texts ({texts.Sum(t => t.Text.Length)} characters) for the token.");
        var found = texts.Where(t => t.Text.Contains(token, StringComparison.OrdinalIgnoreCase)).Select(t => t.Where).ToList();
        Assert.True(found.Count == 0, "The token was found in: " + string.Join(", ", found));

        // What Redis holds does not sign anyone in; the token still does.
        await AssertCartAsync(api, sessionId, 1, HttpStatusCode.Unauthorized);
        await AssertCartAsync(api, token, 1, HttpStatusCode.OK);
    }

    [Fact]
    public async Task ASessionExpiresWithItsTypesTtlAndEndsWhenItsUserIsInvalidated()
    {
        await using var redis = await RedisServer.StartAsync();
        using var data = new TemporaryDirectory("bookstore-sessions-");
        await using var api = new CatalogApiFactory(redis, Path.Combine(data.Path, "catalog.db"));
        var token = await api.SignInAsync(2, Ct);
        var other = await api.SignInAsync(3, Ct);
        var db = api.Services.GetRequiredService<IConnectionMultiplexer>().GetDatabase();

        var ttl = await db.KeyTimeToLiveAsync("bookstore:v1:sessions:" + ReaderSessions.CacheIdOf(token));
        Assert.InRange(ttl!.Value, TimeSpan.FromMinutes(29), TimeSpan.FromMinutes(30));

        await api.Services.GetRequiredService<ICacheService>().InvalidateUserAsync(2, Ct);

        await AssertCartAsync(api, token, 2, HttpStatusCode.Unauthorized);
        await AssertCartAsync(api, other, 3, HttpStatusCode.OK);
    }

    [Fact]
    public async Task ASignInRedisCannotStoreIs503WithRetryAfterAndNoToken()
    {
        await using var redis = await RedisServer.StartAsync();
        using var data = new TemporaryDirectory("bookstore-sessions-");
        await using var api = new CatalogApiFactory(redis, Path.Combine(data.Path, "catalog.db"));
        using var http = api.CreateClient();
        await api.SignInAsync(1, Ct);

        await redis.KillAsync();
        using (var refused = await http.PostAsJsonAsync(new Uri("/sessions", UriKind.Relative), new { userId = 1, password = api.ReaderPassword }, Ct))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
            Assert.Equal("application/problem+json", refused.Content.Headers.ContentType?.MediaType);
            Assert.InRange(int.Parse(Assert.Single(refused.Headers.GetValues("Retry-After")), System.Globalization.CultureInfo.InvariantCulture), 1, 60);
            var problem = await refused.Content.ReadFromJsonAsync<JsonElement>(Ct);
            Assert.Equal(503, problem.GetProperty("status").GetInt32());
            Assert.False(problem.TryGetProperty("token", out _));
            Assert.DoesNotMatch("[0-9a-f]{64}", problem.GetRawText());
        }

        // A wrong password is still a 401 (the password is checked before anything is stored).
        using (var wrong = await http.PostAsJsonAsync(new Uri("/sessions", UriKind.Relative), new { userId = 1, password = "not-" + api.ReaderPassword }, Ct))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        }

        // Once Redis is back, sign-ins work again and their tokens are good.
        await redis.StartAgainAsync();
        HttpStatusCode status = default;
        string? token = null;
        Assert.True(await LinuxProcesses.WaitUntilAsync(
            async () =>
            {
                using var again = await http.PostAsJsonAsync(new Uri("/sessions", UriKind.Relative), new { userId = 1, password = api.ReaderPassword }, Ct);
                status = again.StatusCode;
                token = status == HttpStatusCode.Created ? (await again.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("token").GetString() : null;
                return token is not null;
            },
            TimeSpan.FromSeconds(30),
            Ct), $"No sign-in succeeded after Redis came back (last answer {(int)status}).");
        await AssertCartAsync(api, token!, 1, HttpStatusCode.OK);
    }

    [Fact]
    public async Task ATokenRedisCannotLookUpIs503WithRetryAfterAndTheSessionLivesOn()
    {
        await using var redis = await RedisServer.StartAsync();
        using var data = new TemporaryDirectory("bookstore-sessions-");
        await using var api = new CatalogApiFactory(redis, Path.Combine(data.Path, "catalog.db"));
        var token = await api.SignInAsync(1, Ct);
        await AssertCartAsync(api, token, 1, HttpStatusCode.OK);

        // A hung Redis (SIGSTOP): the lookup times out. The reader is not signed out: 503, no challenge, Retry-After.
        await redis.SignalAsync("STOP");
        try
        {
            using var reader = api.CreateReaderClient(token);
            using var cart = await reader.GetAsync(new Uri("/users/1/cart", UriKind.Relative), Ct);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, cart.StatusCode);
            Assert.Empty(cart.Headers.WwwAuthenticate);
            Assert.InRange(int.Parse(Assert.Single(cart.Headers.GetValues("Retry-After")), System.Globalization.CultureInfo.InvariantCulture), 1, 60);
            Assert.Equal("application/problem+json", cart.Content.Headers.ContentType?.MediaType);
            var problem = await cart.Content.ReadFromJsonAsync<JsonElement>(Ct);
            Assert.Equal(503, problem.GetProperty("status").GetInt32());
        }
        finally
        {
            await redis.SignalAsync("CONT");
        }

        // Redis answers again: the same token opens the cart; a token that names no session is still a 401.
        Assert.True(await LinuxProcesses.WaitUntilAsync(
            async () =>
            {
                using var reader = api.CreateReaderClient(token);
                using var cart = await reader.GetAsync(new Uri("/users/1/cart", UriKind.Relative), Ct);
                Assert.NotEqual(HttpStatusCode.Unauthorized, cart.StatusCode);
                return cart.StatusCode == HttpStatusCode.OK;
            },
            TimeSpan.FromSeconds(15),
            Ct), "The session did not open the cart again once Redis answered.");
        await AssertCartAsync(api, new string('a', ReaderSessions.TokenLength), 1, HttpStatusCode.Unauthorized);
    }

    /// <summary>The reader's own cart with <paramref name="token"/> as the bearer token: what a session is good for.</summary>
    private static async Task AssertCartAsync(CatalogApiFactory api, string token, int userId, HttpStatusCode expected)
    {
        using var reader = api.CreateReaderClient(token);
        using var cart = await reader.GetAsync(new Uri($"/users/{userId}/cart", UriKind.Relative), Ct);
        Assert.Equal(expected, cart.StatusCode);
    }

    private static async Task<IEnumerable<byte[]>> ValuesAsync(IDatabase db, RedisKey key) => await db.KeyTypeAsync(key) switch
    {
        RedisType.String => [(byte[])(await db.StringGetAsync(key))!],
        RedisType.Hash => (await db.HashGetAllAsync(key)).SelectMany(e => new[] { (byte[])e.Name!, (byte[])e.Value! }),
        RedisType.Set => (await db.SetMembersAsync(key)).Select(v => (byte[])v!),
        RedisType.SortedSet => (await db.SortedSetRangeByRankAsync(key)).Select(v => (byte[])v!),
        RedisType.List => (await db.ListRangeAsync(key)).Select(v => (byte[])v!),
        _ => [],
    };

    private static IEnumerable<string> Flatten(RedisResult result) =>
        result.Resp2Type == ResultType.Array ? ((RedisResult[])result!).SelectMany(Flatten) : [result.ToString()];
}
