using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Bookstore.AppHost.Redis;
using Bookstore.Catalog.Contracts;
using Bookstore.Caching.Typed;
using Bookstore.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace Bookstore.Tests.Integration.Catalog;

/// <summary>POST /admin/cache/{type}/flush on two API replicas sharing one Redis, called as the dashboard command calls it.</summary>
[Trait("Category", "Integration")]
public sealed class CacheAdminApiTests(RedisFixture redisServer) : IClassFixture<RedisFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly Book Dune = new(5, "Dune", ["Frank Herbert"], 4.25, 1_000_000);

    [Fact]
    public async Task FlushDropsTheTypeInEveryReplicaAndLeavesOtherTypes()
    {
        var redis = await redisServer.FlushedAsync();
        using var data = new TemporaryDirectory("bookstore-flush-");
        await using var first = new CatalogApiFactory(redis, Path.Combine(data.Path, "catalog.db"));
        await using var second = new CatalogApiFactory(redis, Path.Combine(data.Path, "catalog.db"));
        var a = first.Services.GetRequiredService<CacheService>();
        var b = second.Services.GetRequiredService<CacheService>();
        await a.SetAsync(CacheType.Books, Dune, "5", cancellationToken: Ct);
        await a.SetAsync(CacheType.Users, new[] { "kept" }, "9", cancellationToken: Ct);
        Assert.True((await b.GetAsync<Book>(CacheType.Books, "5", Ct)).Found);

        using var http = first.CreateClient();
        var outcome = await new CacheFlushClient(http, first.AdminKey).FlushAsync("books", confirm: false, Ct);
        Assert.True(outcome.Success, outcome.Message);

        Assert.True(
            await LinuxProcesses.WaitUntilAsync(async () => !(await b.GetAsync<Book>(CacheType.Books, "5", Ct)).Found, TimeSpan.FromSeconds(10), Ct),
            "The other replica still served the flushed type from its memory cache.");
        Assert.False((await a.GetAsync<Book>(CacheType.Books, "5", Ct)).Found);
        Assert.True((await b.GetAsync<string[]>(CacheType.Users, "9", Ct)).Found);
    }

    [Fact]
    public async Task PersistentTypeIsRefusedWithConflictUnlessConfirmedAndUnknownTypeIsNotFound()
    {
        var redis = await redisServer.FlushedAsync();
        using var data = new TemporaryDirectory("bookstore-flush-");
        await using var api = new CatalogApiFactory(redis, Path.Combine(data.Path, "catalog.db"));
        using var http = api.CreateClient();
        // The admin key the dashboard command sends (contract: X-Api-Key, checked under /admin/ once authorization is on).
        http.DefaultRequestHeaders.Add(CacheFlushClient.ApiKeyHeader, api.AdminKey);
        var client = new CacheFlushClient(http, api.AdminKey);

        var types = await client.TypesAsync(Ct);
        Assert.Equal(Enum.GetNames<CacheType>(), types.Select(t => t.Name));
        Assert.Equal([nameof(CacheType.Reference)], types.Where(t => t.Persistent).Select(t => t.Name));

        using var refused = await http.PostAsync(new Uri("/admin/cache/REFERENCE/flush", UriKind.Relative), null, Ct);
        Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
        Assert.Contains("confirm=true", (await refused.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.False((await client.FlushAsync("Reference", confirm: false, Ct)).Success);
        Assert.True((await client.FlushAsync("Reference", confirm: true, Ct)).Success);

        foreach (var bad in new[] { "nope", "0", "Books,Users" })
        {
            using var response = await http.PostAsync(new Uri($"/admin/cache/{Uri.EscapeDataString(bad)}/flush", UriKind.Relative), null, Ct);
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        }
    }
}
