using Bookstore.Catalog.Contracts;
using Bookstore.Caching.Configuration;
using Bookstore.Caching.Serialization;

namespace Bookstore.Tests.Unit.Serialization;

[Trait("Category", "Unit")]
public sealed class CacheSerializerSwitchTests
{
    [Fact]
    public void TypedValuesAreRefusedWhenSerializationIsDisabled()
    {
        var serializer = new CacheSerializer(new CacheOptions { EnableSerialization = false });

        var error = Assert.Throws<InvalidOperationException>(() => serializer.Serialize(new Book(1, "Dune", ["Frank Herbert"], 4.2, 10)));
        Assert.Contains("REDIS_ENABLE_SERIALIZATION", error.Message, StringComparison.Ordinal);
        Assert.Equal("42"u8.ToArray(), serializer.Serialize(42L));
        Assert.Equal("hi"u8.ToArray(), serializer.Serialize("hi"));
    }
}
