using System.Text;
using System.Text.Json;
using Bookstore.Catalog.Contracts;
using Bookstore.Caching.Configuration;
using Bookstore.Caching.Serialization;
using Bookstore.Caching.Typed;
using Bookstore.Tests.Support;
using ZiggyCreatures.Caching.Fusion.Internals;
using ZiggyCreatures.Caching.Fusion.Internals.Distributed;

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
    public void AnEntryWrittenFromTheApisJsonDecodesToTheBookAnEntryWrittenFromTheObjectDoes()
    {
        var book = new Book(2, "Harry Potter and the Sorcerer's Stone", ["J.K. Rowling", "Mary GrandPré"], 4.44, 4_602_479, "9780439554930", 1997, "eng");

        // As ASP.NET Core writes it: web defaults, nulls written, non-ASCII as it is.
        var apiJson = JsonSerializer.SerializeToUtf8Bytes(new[] { book }, new JsonSerializerOptions(JsonSerializerDefaults.Web)
        {
            Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
            TypeInfoResolver = new System.Text.Json.Serialization.Metadata.DefaultJsonTypeInfoResolver(),
        });
        var element = Assert.Single(EncodedJsonArray.SplitById(apiJson));
        var fromJson = Serializer.Serialize(Entry(element.Json));
        var fromObject = Serializer.Serialize(Entry(book));

        Assert.Equal(DecodeStatus.Ok, Serializer.TryDeserialize<FusionCacheDistributedEntry<Book>>(fromJson, out var decoded));
        Assert.Equal(DecodeStatus.Ok, Serializer.TryDeserialize<FusionCacheDistributedEntry<Book>>(fromObject, out var expected));
        Assert.Equal(expected!.Value with { Authors = [] }, decoded!.Value with { Authors = [] });
        Assert.Equal(expected.Value.Authors, decoded.Value.Authors);
        Assert.Equal((expected.Timestamp, expected.LogicalExpirationTimestamp), (decoded.Timestamp, decoded.LogicalExpirationTimestamp));
    }

    [Fact]
    public void JsonFromElsewhereIsCheckedOnWriteAndMalformedJsonIsRefused()
    {
        var good = new EncodedJson("""{"id":1,"title":"Dune","authors":[],"averageRating":4.2,"ratingsCount":3}"""u8.ToArray());
        var bad = new EncodedJson("""{"id":1,"title":"Dune" "authors":[]}"""u8.ToArray());

        Assert.Equal(DecodeStatus.Ok, Serializer.TryDeserialize<FusionCacheDistributedEntry<Book>>(Serializer.Serialize(Entry(good)), out var decoded));
        Assert.Equal("Dune", decoded!.Value.Title);
        Assert.ThrowsAny<JsonException>(() => Serializer.Serialize(Entry(bad)));
    }

    private static FusionCacheDistributedEntry<T> Entry<T>(T value) =>
        new(value, 638_000_000_000_000_000, 638_000_036_000_000_000, null, new FusionCacheEntryMetadata(false, null, null, null, 1, 1));

    private static CacheSerializer CreateSerializer()
    {
        var options = new CacheOptions().WithCatalogTypes();
        options.JsonTypeInfoResolvers.Add(PrimitiveJsonContext.Default);
        options.JsonTypeInfoResolvers.Add(new FusionCacheEntryJsonResolver());
        return new CacheSerializer(options);
    }
}
