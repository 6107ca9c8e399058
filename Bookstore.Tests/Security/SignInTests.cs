using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Bookstore.Api.Catalog;
using Bookstore.Tests.Integration.Catalog;
using Bookstore.Tests.Support;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Options;

namespace Bookstore.Tests.Security;

/// <summary>
/// <c>POST /sessions</c> signs a reader in with their password only (ASP.NET Core Identity's hasher): the right one
/// by user id or e-mail address gets a session; a wrong one, an unknown user and a user without a password all get the
/// same 401 after the same work (one hash verification each). The demo readers' password comes from configuration, and
/// a catalog database made before passwords existed gets the column at start.
/// </summary>
[Trait("Category", "Security")]
public sealed class SignInTests(RedisFixture redisServer) : IClassFixture<RedisFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task TheRightPasswordSignsInByIdOrEmailAndEverythingElseIsTheSame401AfterOneHashVerification()
    {
        var redis = await redisServer.FlushedAsync();
        using var data = new TemporaryDirectory("bookstore-signin-");
        var verifications = new CountingHasher();
        await using var api = new CatalogApiFactory(redis, Path.Combine(data.Path, "catalog.db"), builder =>
            builder.ConfigureTestServices(services => services.AddSingleton<IPasswordHasher<ReaderCredentials>>(verifications)));
        using var http = api.CreateClient();

        // A user with no password: a reader who never got one.
        var withoutPassword = await AddUserAsync(api, "no-password@example.org");

        using (var byId = await SignInAsync(http, new { userId = 2, password = api.ReaderPassword }))
        {
            Assert.Equal(HttpStatusCode.Created, byId.StatusCode);
            Assert.Equal(2, (await byId.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("userId").GetInt32());
        }

        using (var byEmail = await SignInAsync(http, new { email = "BEN@example.org", password = api.ReaderPassword }))
        {
            Assert.Equal(HttpStatusCode.Created, byEmail.StatusCode);
            Assert.Equal(2, (await byEmail.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("userId").GetInt32());
        }

        var refusals = new Dictionary<string, object>
        {
            ["a wrong password"] = new { userId = 2, password = api.ReaderPassword + "x" },
            ["another reader's e-mail"] = new { email = "ada@example.org", password = "not-" + api.ReaderPassword },
            ["an unknown user id"] = new { userId = 4242, password = api.ReaderPassword },
            ["an unknown e-mail address"] = new { email = "nobody@example.org", password = api.ReaderPassword },
            ["a user without a password"] = new { userId = withoutPassword, password = api.ReaderPassword },
        };
        var before = verifications.Count;
        var bodies = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (name, body) in refusals)
        {
            using var response = await SignInAsync(http, body);
            Assert.True(response.StatusCode == HttpStatusCode.Unauthorized, $"{name}: {(int)response.StatusCode}");
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            var problem = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
            Assert.Equal(401, problem.GetProperty("status").GetInt32());
            Assert.False(problem.TryGetProperty("token", out _));
            bodies.Add(problem.GetProperty("title").GetString() + "|" + problem.GetProperty("detail").GetString());
        }

        // The same answer for each, and the same work: one hash verification per attempt, found user or not.
        Assert.Single(bodies);
        Assert.Equal(refusals.Count, verifications.Count - before);
    }

    [Fact]
    public async Task AnOldFormatHashIsReplacedByTheCurrentOneOnTheNextSignIn()
    {
        var redis = await redisServer.FlushedAsync();
        using var data = new TemporaryDirectory("bookstore-signin-");
        await using var api = new CatalogApiFactory(redis, Path.Combine(data.Path, "catalog.db"));
        using var http = api.CreateClient();
        var identityV2 = new PasswordHasher<ReaderCredentials>(Options.Create(new PasswordHasherOptions { CompatibilityMode = PasswordHasherCompatibilityMode.IdentityV2 }));
        var reader = new ReaderCredentials(3, null);
        Assert.True(await api.Store.SetPasswordHashAsync(3, identityV2.HashPassword(reader, "an-older-password"), Ct));
        Assert.Equal(0x00, FormatOf((await api.Store.FindCredentialsAsync(3, Ct))!));

        using var response = await SignInAsync(http, new { userId = 3, password = "an-older-password" });

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var rehashed = (await api.Store.FindCredentialsAsync(3, Ct))!;
        Assert.Equal(0x01, FormatOf(rehashed));
        Assert.Equal(PasswordVerificationResult.Success, new PasswordHasher<ReaderCredentials>().VerifyHashedPassword(rehashed, rehashed.PasswordHash!, "an-older-password"));
    }

    [Fact]
    public async Task ADatabaseOfThePreviousVersionGetsThePasswordColumnAndItsDemoReadersSignInWithTheConfiguredPassword()
    {
        var redis = await redisServer.FlushedAsync();
        using var data = new TemporaryDirectory("bookstore-signin-");
        var path = Path.Combine(data.Path, "catalog.db");
        await using (var first = new CatalogApiFactory(redis, path))
        {
            using (first.CreateClient())
            {
                // Creates and seeds the catalog.
            }
        }

        // What the previous version left: the same tables, no PasswordHash column.
        await using (var sqlite = new SqliteConnection($"Data Source={path};Pooling=False"))
        {
            await sqlite.OpenAsync(Ct);
            await using var drop = sqlite.CreateCommand();
            drop.CommandText = "ALTER TABLE \"Users\" DROP COLUMN \"PasswordHash\"";
            await drop.ExecuteNonQueryAsync(Ct);
            Assert.DoesNotContain("PasswordHash", await ColumnsOfUsersAsync(sqlite));
        }

        await using var upgraded = new CatalogApiFactory(redis, path, builder => builder
            .UseSetting($"Logging:LogLevel:{typeof(CatalogInitializer).FullName}", "Information")
            .ConfigureLogging(logging => logging.AddFakeLogging()));
        using var http = upgraded.CreateClient();
        var token = await upgraded.SignInAsync(1, Ct);
        using (var reader = upgraded.CreateReaderClient(token))
        using (var cart = await reader.GetAsync(new Uri("/users/1/cart", UriKind.Relative), Ct))
        {
            Assert.Equal(HttpStatusCode.OK, cart.StatusCode);
        }

        Assert.Contains(upgraded.Services.GetFakeLogCollector().GetSnapshot(), r => r.Message.Contains("added the column Users.PasswordHash", StringComparison.Ordinal));

        // The password the first API gave them is not theirs any more: the configured one decides.
        using var old = await SignInAsync(http, new { userId = 1, password = "whatever-the-first-one-was" });
        Assert.Equal(HttpStatusCode.Unauthorized, old.StatusCode);
    }

    [Fact]
    public async Task WithoutADemoPasswordTheDemoReadersCannotSignInAndTheStartLogSaysHowToGiveOne()
    {
        var redis = await redisServer.FlushedAsync();
        using var data = new TemporaryDirectory("bookstore-signin-");
        await using var api = new CatalogApiFactory(redis, Path.Combine(data.Path, "catalog.db"), builder =>
        {
            builder.UseSetting("Bookstore:Catalog:DemoReaderPassword", null);
            builder.ConfigureLogging(logging => logging.AddFakeLogging());
        });
        using var http = api.CreateClient();

        foreach (var password in new[] { api.ReaderPassword, string.Empty.PadLeft(12, 'a') })
        {
            using var response = await SignInAsync(http, new { userId = 1, password });
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        }

        Assert.Null((await api.Store.FindCredentialsAsync(1, Ct))!.PasswordHash);
        var warning = Assert.Single(api.Services.GetFakeLogCollector().GetSnapshot(), r => r.Level == LogLevel.Warning && r.Category == typeof(DemoReaderPasswords).FullName);
        Assert.Contains("5 demo readers have no password", warning.Message, StringComparison.Ordinal);
        Assert.Contains("Bookstore__Catalog__DemoReaderPassword", warning.Message, StringComparison.Ordinal);
        Assert.Contains("demo-reader-password", warning.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ADemoPasswordShorterThanTwelveCharactersStopsTheApiAtStart()
    {
        var redis = await redisServer.FlushedAsync();
        using var data = new TemporaryDirectory("bookstore-signin-");
        await using var api = new CatalogApiFactory(redis, Path.Combine(data.Path, "catalog.db"), builder =>
            builder.UseSetting("Bookstore:Catalog:DemoReaderPassword", "short"));

        var error = Assert.ThrowsAny<Exception>(() => api.CreateClient().Dispose());
        Assert.Contains("Bookstore:Catalog:DemoReaderPassword must be at least 12 characters", error.ToString(), StringComparison.Ordinal);
    }

    private static Task<HttpResponseMessage> SignInAsync(HttpClient http, object body) =>
        http.PostAsJsonAsync(new Uri("/sessions", UriKind.Relative), body, Ct);

    private static async Task<int> AddUserAsync(CatalogApiFactory api, string email)
    {
        var contexts = api.Services.GetRequiredService<Microsoft.EntityFrameworkCore.IDbContextFactory<CatalogDbContext>>();
        await using var db = await contexts.CreateDbContextAsync(Ct);
        var user = new UserEntity { DisplayName = "No Password", Email = email, CreatedAt = DateTimeOffset.UtcNow };
        db.Users.Add(user);
        await db.SaveChangesAsync(Ct);
        return user.Id;
    }

    /// <summary>The format marker of an Identity hash: 0x00 for Identity v2 (PBKDF2-SHA1, 1,000 rounds), 0x01 for v3.</summary>
    private static byte FormatOf(ReaderCredentials reader) => Convert.FromBase64String(reader.PasswordHash!)[0];

    private static async Task<List<string>> ColumnsOfUsersAsync(SqliteConnection sqlite)
    {
        await using var command = sqlite.CreateCommand();
        command.CommandText = "SELECT name FROM pragma_table_info('Users')";
        var columns = new List<string>();
        await using var rows = await command.ExecuteReaderAsync(Ct);
        while (await rows.ReadAsync(Ct))
        {
            columns.Add(rows.GetString(0));
        }

        return columns;
    }

    /// <summary>Identity's hasher, counting the verifications it makes.</summary>
    private sealed class CountingHasher : IPasswordHasher<ReaderCredentials>
    {
        private readonly PasswordHasher<ReaderCredentials> _inner = new();
        private int _count;

        public int Count => Volatile.Read(ref _count);

        public string HashPassword(ReaderCredentials user, string password) => _inner.HashPassword(user, password);

        public PasswordVerificationResult VerifyHashedPassword(ReaderCredentials user, string hashedPassword, string providedPassword)
        {
            Interlocked.Increment(ref _count);
            return _inner.VerifyHashedPassword(user, hashedPassword, providedPassword);
        }
    }
}
