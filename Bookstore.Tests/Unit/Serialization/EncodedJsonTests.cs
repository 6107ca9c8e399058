using System.Text;
using System.Text.Json;
using Bookstore.Catalog.Contracts;
using Bookstore.Caching.Configuration;
using Bookstore.Caching.Serialization;
using Bookstore.Caching.Distributed;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;
using ZiggyCreatures.Caching.Fusion;
using ZiggyCreatures.Caching.Fusion.Serialization;
using Bookstore.Tests.Support;

namespace Bookstore.Tests.Unit.Serialization;

/// <summary>Values written as the JSON they came as (<see cref="EncodedJson"/>), and cutting them out of an array.</summary>
[Trait("Category", "Unit")]
public sealed class EncodedJsonTests
{
    private static readonly CacheSerializer Serializer = CreateSerializer();

    [Fact]
    public void SplitsAnArrayOfObjectsIntoTheirBytesAndIdsWhereverTheIdIs()
    {
        var json = """[ {"title":"A","id":7,"nested":{"id":99,"list":[1,{"id":98}]}} , {"id":8,"authors":["x","y"]} ]"""u8.ToArray();

        var elements = EncodedJsonArray.SplitById(json);

        Assert.Equal([7, 8], elements.Select(e => e.Id));
        Assert.Equal("""{"title":"A","id":7,"nested":{"id":99,"list":[1,{"id":98}]}}""", Encoding.UTF8.GetString(elements[0].Json.Utf8.Span));
        Assert.Equal("""{"id":8,"authors":["x","y"]}""", Encoding.UTF8.GetString(elements[1].Json.Utf8.Span));
        Assert.Empty(EncodedJsonArray.SplitById("[]"u8.ToArray()));
    }

    [Theory]
    [InlineData("""{"id":1}""")]
    [InlineData("""[{"id":1},2]""")]
    [InlineData("""[{"id":1},{"title":"no id"}]""")]
    [InlineData("""[{"id":"1"}]""")]
    [InlineData("""[{"id":1.5}]""")]
    [InlineData("""[{"id":1},{"id":2""")]
    [InlineData("""[{"id":1}] [""")]
    [InlineData("""[{"id":1,}]""")]
    [InlineData("")]
    public void RefusesWhatIsNotAWellFormedArrayOfObjectsWithIntegerIds(string json)
    {
        Assert.ThrowsAny<JsonException>(() => EncodedJsonArray.SplitById(Encoding.UTF8.GetBytes(json)));
    }

    [Fact]
    public async Task AnEntryWrittenFromTheApisJsonDecodesToTheBookAnEntryWrittenFromTheObjectDoes()
    {
        var book = new Book(2, "Harry Potter and the Sorcerer's Stone", ["J.K. Rowling", "Mary GrandPré"], 4.44, 4_602_479, "9780439554930", 1997, "eng");

        // As ASP.NET Core writes it: web defaults, nulls written, non-ASCII as it is.
        var apiJson = JsonSerializer.SerializeToUtf8Bytes(new[] { book }, new JsonSerializerOptions(JsonSerializerDefaults.Web)
        {
            Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
            TypeInfoResolver = new System.Text.Json.Serialization.Metadata.DefaultJsonTypeInfoResolver(),
        });
        var element = Assert.Single(EncodedJsonArray.SplitById(apiJson));
        var level2 = new MemoryDistributedCache(Options.Create(new MemoryDistributedCacheOptions()));
        using (var writer = CacheOver(level2))
        {
            await writer.SetAsync("from-json", element.Json, token: TestContext.Current.CancellationToken);
            await writer.SetAsync("from-object", book, token: TestContext.Current.CancellationToken);
        }

        using var reader = CacheOver(level2);
        var decoded = await reader.GetOrDefaultAsync<Book>("from-json", token: TestContext.Current.CancellationToken);
        var expected = await reader.GetOrDefaultAsync<Book>("from-object", token: TestContext.Current.CancellationToken);
        Assert.NotNull(decoded);
        Assert.Equal(expected! with { Authors = [] }, decoded with { Authors = [] });
        Assert.Equal(expected.Authors, decoded.Authors);
    }

    [Fact]
    public async Task JsonFromElsewhereIsCheckedOnWriteAndMalformedJsonIsRefused()
    {
        var good = new EncodedJson("""{"id":1,"title":"Dune","authors":[],"averageRating":4.2,"ratingsCount":3}"""u8.ToArray());
        var bad = new EncodedJson("""{"id":1,"title":"Dune" "authors":[]}"""u8.ToArray());
        var level2 = new MemoryDistributedCache(Options.Create(new MemoryDistributedCacheOptions()));
        using var cache = CacheOver(level2);

        await cache.SetAsync("good", good, token: TestContext.Current.CancellationToken);
        using var reader = CacheOver(level2);
        Assert.Equal("Dune", (await reader.GetOrDefaultAsync<Book>("good", token: TestContext.Current.CancellationToken))?.Title);
        await Assert.ThrowsAsync<FusionCacheSerializationException>(() => cache.SetAsync("bad", bad, token: TestContext.Current.CancellationToken).AsTask());
        Assert.Null(await level2.GetAsync("bad", TestContext.Current.CancellationToken));
    }

    /// <summary>A FusionCache (fresh L1) over <paramref name="level2"/> with the Bookstore serializer, as AddBookstoreCache sets it up.</summary>
    private static FusionCache CacheOver(IDistributedCache level2)
    {
        var cache = new FusionCache(new FusionCacheOptions { DefaultEntryOptions = { Duration = TimeSpan.FromHours(1) } });
        cache.SetupDistributedCache(level2, new SerializerAdapter(Serializer));
        return cache;
    }

    private static CacheSerializer CreateSerializer()
    {
        var options = new CacheOptions().WithCatalogTypes();
        options.JsonTypeInfoResolvers.Add(PrimitiveJsonContext.Default);
        options.JsonTypeInfoResolvers.Add(new FusionCacheTypesJsonResolver());
        return new CacheSerializer(options);
    }

    /// <summary><see cref="CacheSerializer"/> as FusionCache's serializer; an undecodable entry throws, as in the app.</summary>
    private sealed class SerializerAdapter(CacheSerializer serializer) : IFusionCacheSerializer
    {
        public byte[] Serialize<T>(T? obj) => serializer.Serialize(obj);

        public T? Deserialize<T>(byte[] data) =>
            serializer.TryDeserialize<T>(data, out var value) == DecodeStatus.Ok ? value : throw new InvalidDataException("undecodable");

        public ValueTask<byte[]> SerializeAsync<T>(T? obj, CancellationToken token = default) => ValueTask.FromResult(Serialize(obj));

        public ValueTask<T?> DeserializeAsync<T>(byte[] data, CancellationToken token = default) => ValueTask.FromResult(Deserialize<T>(data));
    }
}
