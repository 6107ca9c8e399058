using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Bookstore.Catalog.Contracts;
using Bookstore.Caching.Keys;
using Bookstore.Caching.Serialization;
using Bookstore.Tests.Integration.Catalog;
using Bookstore.Tests.Support;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using StackExchange.Redis;

namespace Bookstore.Tests.Security;

/// <summary>
/// Cached bytes are untrusted input. Values written straight into Redis at keys the API reads (a book, a list page,
/// a user) — garbage, truncated JSON, a type-name gadget, a blob over the size cap — are a miss: the API answers from
/// its store, writes a good entry over the bad one, logs one warning and counts the error; it never fails the request.
/// </summary>
[Trait("Category", "Security")]
public sealed class PoisonedCacheEntryTests
{
    private const string AdminKey = "poison-test-admin-key";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>What each poison is and the <c>error.type</c> the serializer must report for it.</summary>
    public static TheoryData<string, string> Poisons => new()
    {
        { "garbage", "unknown_format" },
        { "truncated-json", "corrupt" },
        { "type-name-gadget", "corrupt" },
        { "ten-megabytes", "too_large" },
    };

    [Fact]
    public async Task APoisonedEntryIsAMissServedFromTheStoreReplacedLoggedOnceAndCounted()
    {
        await using var redis = await RedisServer.StartAsync();
        using var data = new TemporaryDirectory("bookstore-catalog-");
        await using var api = new CatalogApiFactory(redis, Path.Combine(data.Path, "catalog.db"), builder =>
        {
            builder.UseSetting("Bookstore:Security:AdminApiKey", AdminKey);
            builder.ConfigureLogging(logging => logging.AddFakeLogging());
        });
        using var http = api.CreateClient();
        http.DefaultRequestHeaders.Add("X-Api-Key", AdminKey);
        var logs = api.Services.GetRequiredService<FakeLogCollector>();
        using var errors = new CacheErrorListener(api.Services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>());
        await using var admin = await ConnectionMultiplexer.ConnectAsync(redis.ConnectionString);
        var db = admin.GetDatabase();

        // How the L2 stores an entry today (a hash with a data field, or a plain string): poison it the same way.
        using (await http.GetAsync(new Uri("/books/52", UriKind.Relative), Ct))
        {
        }

        var hashLayout = await db.KeyTypeAsync(CacheKeyBuilder.VersionedPrefix + "books:52") == RedisType.Hash;

        var targets = new List<Target>();
        var next = 1;
        foreach (var (poison, errorType) in Poisons.Select(row => row.Data))
        {
            var n = next++;
            targets.Add(new Target($"book {n}", poison, errorType, $"books:{n}", $"/books/{n}", null, PoisonFor<Book>(poison)));
            targets.Add(new Target($"list page of {n}", poison, errorType, $"book-lists:p1.s{n}.popularity.l-any.y-any.a-any", $"/books?pageSize={n}", null, PoisonFor<BookPage>(poison)));
            targets.Add(new Target($"user {n}", poison, errorType, $"users:{n}", $"/users/{n}", await api.SignInAsync(n, Ct), PoisonFor<UserProfile>(poison)));
        }

        var failures = new List<string>();
        foreach (var target in targets)
        {
            var key = CacheKeyBuilder.VersionedPrefix + target.RelativeKey;
            await WriteAsync(db, key, target.Payload, hashLayout);
            var logsBefore = logs.GetSnapshot().Count;
            var errorsBefore = errors.Errors.Count;

            using var poisoned = await SendAsync(http, target);
            var firstBody = await poisoned.Content.ReadAsStringAsync(Ct);
            var newLogs = logs.GetSnapshot().Skip(logsBefore).Where(r => r.Level >= LogLevel.Warning).ToList();
            var newErrors = errors.Errors.Skip(errorsBefore).ToList();
            using var again = await SendAsync(http, target);
            var secondBody = await again.Content.ReadAsStringAsync(Ct);
            var stored = await ReadAsync(db, key, hashLayout);

            var what = $"{target.Name} poisoned with {target.Poison}";
            Check(failures, poisoned.StatusCode == HttpStatusCode.OK, $"{what}: answered {(int)poisoned.StatusCode} {firstBody[..Math.Min(200, firstBody.Length)]}");
            Check(failures, Header(poisoned) == "miss", $"{what}: first read X-Cache {Header(poisoned)}, expected miss (from the store)");
            Check(failures, again.StatusCode == HttpStatusCode.OK && Header(again) == "hit-l1" && secondBody == firstBody, $"{what}: second read {(int)again.StatusCode} {Header(again)}, same body {secondBody == firstBody}");
            Check(failures, stored is not null && DecodesAs(target, stored), $"{what}: Redis still holds {(stored is null ? "nothing" : $"{stored.Length} undecodable bytes")}");
            Check(failures, newLogs.Count == 1 && newLogs[0].Level == LogLevel.Warning,
                $"{what}: {newLogs.Count} warnings or errors logged: {string.Join(" | ", newLogs.Select(r => $"{r.Level} {r.Category}: {r.Message}"))}");
            Check(failures, newErrors.Any(e => e.Operation == "deserialize" && e.ErrorType == target.ErrorType),
                $"{what}: bookstore.cache.errors recorded {string.Join(", ", newErrors.Select(e => $"{e.Operation}/{e.ErrorType}"))}, expected deserialize/{target.ErrorType}");
        }

        Assert.True(failures.Count == 0, string.Join('\n', failures));
        Assert.Equal(
            (await api.Store.GetBookAsync(1, Ct))!.Title,
            (await http.GetFromJsonAsync<Book>(new Uri("/books/1", UriKind.Relative), Json, Ct))!.Title);
    }

    private static void Check(List<string> failures, bool condition, string failure)
    {
        if (!condition)
        {
            failures.Add(failure);
        }
    }

    /// <summary>The bytes of each poison, for an entry whose value is a <typeparamref name="T"/>.</summary>
    private static byte[] PoisonFor<T>(string poison)
    {
        var now = DateTimeOffset.UtcNow;
        var entryTail = $",\"timestamp\":{now.UtcTicks},\"logicalExpirationTimestamp\":{now.AddHours(1).UtcTicks}}}";
        return poison switch
        {
            // Seeded random bytes that are not our envelope (its magic byte is 0xBC).
            "garbage" => [0x00, .. Enumerable.Range(0, 255).Select(i => (byte)new Random(i).Next(256))],

            // A well-formed envelope whose JSON stops half-way through the value.
            "truncated-json" => Envelope("{\"value\":{\"id\":1,\"title\":\"Pride and Prej"),

            // A deserialization gadget as a reflection-based polymorphic reader would honour it; our types are not polymorphic.
            "type-name-gadget" => Envelope(
                "{\"value\":{\"$type\":\"System.Diagnostics.Process, System.Diagnostics.Process\"," +
                "\"StartInfo\":{\"$type\":\"System.Diagnostics.ProcessStartInfo, System.Diagnostics.Process\",\"FileName\":\"/bin/sh\",\"Arguments\":\"-c id\"}}" + entryTail),

            // Over the 8 MB payload cap, declaring a 10 MB body: refused on its length, before any of it is read.
            "ten-megabytes" => Envelope(new string(' ', 10 * 1024 * 1024)),
            _ => throw new ArgumentOutOfRangeException(nameof(poison), poison, null),
        };
    }

    private static byte[] Envelope(string json)
    {
        var body = Encoding.UTF8.GetBytes(json);
        var payload = new byte[CacheEnvelope.HeaderLength + body.Length];
        CacheEnvelope.WriteHeader(payload, CacheEnvelope.SystemTextJsonSerializerId, CompressionCodec.None, CacheKeyBuilder.SchemaVersion, body.Length);
        body.CopyTo(payload.AsSpan(CacheEnvelope.HeaderLength));
        return payload;
    }

    /// <summary>Writes a value the way the L2 lays entries out (contract: a hash's <c>data</c> field, or a plain string).</summary>
    private static async Task WriteAsync(IDatabase db, RedisKey key, byte[] payload, bool hashLayout)
    {
        await db.KeyDeleteAsync(key);
        if (hashLayout)
        {
            await db.HashSetAsync(key, "data", payload);
            await db.KeyExpireAsync(key, TimeSpan.FromMinutes(10));
        }
        else
        {
            await db.StringSetAsync(key, payload, TimeSpan.FromMinutes(10));
        }
    }

    private static async Task<byte[]?> ReadAsync(IDatabase db, RedisKey key, bool hashLayout) =>
        hashLayout ? (byte[]?)await db.HashGetAsync(key, "data") : (byte[]?)await db.StringGetAsync(key);

    private static bool DecodesAs(Target target, byte[] stored)
    {
        if (!StoredEntries.TryRead(stored, out var entry) || !entry.TryGetProperty("value", out var value) || value.ValueKind != JsonValueKind.Object)
        {
            return false;
        }

        return target.RelativeKey.Split(':')[0] == "book-lists"
            ? value.TryGetProperty("items", out var items) && items.GetArrayLength() > 0
            : value.TryGetProperty("id", out var id) && id.GetInt64() > 0;
    }

    private static Task<HttpResponseMessage> SendAsync(HttpClient http, Target target)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, new Uri(target.Url, UriKind.Relative));
        if (target.Session is { } token)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        return http.SendAsync(request, Ct);
    }

    private static string? Header(HttpResponseMessage response) =>
        response.Headers.TryGetValues("X-Cache", out var values) ? string.Join(',', values) : null;

    private sealed record Target(string Name, string Poison, string ErrorType, string RelativeKey, string Url, string? Session, byte[] Payload);
}
