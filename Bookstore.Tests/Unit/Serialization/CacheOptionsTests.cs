using Bookstore.Caching.Configuration;
using System.ComponentModel.DataAnnotations;
using System.Text.Json;
using System.Text.Json.Serialization;
using Bookstore.Catalog.Contracts;
using Bookstore.Caching.Keys;
using Bookstore.Caching.Serialization;
using Microsoft.Extensions.Configuration;

namespace Bookstore.Tests.Unit.Serialization;

[Trait("Category", "Unit")]
public sealed class CacheOptionsTests
{
    [Fact]
    public void DefaultsAreTheDocumentedOnes()
    {
        var options = new CacheOptions();

        Assert.Equal(1024, options.CompressionThresholdBytes);
        Assert.True(options.EnableCompression);
        Assert.Equal(CompressionCodec.Zstd, options.CompressionCodec);
        Assert.Equal(8 * 1024 * 1024, options.MaxPayloadBytes);
        Assert.Equal(16 * 1024 * 1024, options.MaxUncompressedBytes);
        Assert.Equal(CacheKeyBuilder.SchemaVersion, options.SchemaVersion);
        Assert.Empty(options.JsonTypeInfoResolvers);
    }

    [Fact]
    public void TheDefaultSerializerKnowsNoBookstoreTypeAndSaysHowToRegisterOne()
    {
        var error = Assert.Throws<InvalidOperationException>(() => new CacheSerializer().Serialize(SampleCatalog.Book));

        Assert.Contains(typeof(Book).FullName!, error.Message, StringComparison.Ordinal);
        Assert.Contains(nameof(CacheOptions.JsonTypeInfoResolvers), error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void RegisteringTheCatalogContextMakesTheCatalogTypesCacheable()
    {
        var options = new CacheOptions();
        options.JsonTypeInfoResolvers.Add(CatalogJsonContext.Default);
        var serializer = new CacheSerializer(options);

        Assert.Equal(DecodeStatus.Ok, serializer.TryDeserialize<Book>(serializer.Serialize(SampleCatalog.Book), out var book));
        Assert.Equivalent(SampleCatalog.Book, book, strict: true);
    }

    [Fact]
    public void TheCatalogContextIsGeneratedWithTheSettingsTheSerializerApplies()
    {
        // CacheSerializer applies these to every context (the golden payloads pin its side); a context generated with
        // other settings would lose its fast paths.
        var generated = CatalogJsonContext.Default.Options;

        Assert.Same(JsonNamingPolicy.CamelCase, generated.PropertyNamingPolicy);
        Assert.Equal(JsonIgnoreCondition.WhenWritingNull, generated.DefaultIgnoreCondition);
        Assert.True(generated.RespectNullableAnnotations);
        Assert.True(generated.RespectRequiredConstructorParameters);
        Assert.Null(generated.Encoder);
    }

    [Fact]
    public void BindsFromTheBookstoreCacheSection()
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Bookstore:Cache:CompressionThresholdBytes"] = "2048",
                ["Bookstore:Cache:EnableCompression"] = "false",
                ["Bookstore:Cache:CompressionCodec"] = "Brotli",
                ["Bookstore:Cache:MaxPayloadBytes"] = "1048576",
                ["Bookstore:Cache:MaxUncompressedBytes"] = "4194304",
                ["Bookstore:Cache:SchemaVersion"] = "3",
            })
            .Build();

        var options = configuration.GetSection(CacheOptions.SectionName).Get<CacheOptions>();

        Assert.NotNull(options);
        Assert.Equal(2048, options.CompressionThresholdBytes);
        Assert.False(options.EnableCompression);
        Assert.Equal(CompressionCodec.Brotli, options.CompressionCodec);
        Assert.Equal(1048576, options.MaxPayloadBytes);
        Assert.Equal(4194304, options.MaxUncompressedBytes);
        Assert.Equal(3, options.SchemaVersion);
        Assert.Empty(options.JsonTypeInfoResolvers);
    }

    [Theory]
    [InlineData(nameof(CacheOptions.CompressionThresholdBytes), -1)]
    [InlineData(nameof(CacheOptions.MaxPayloadBytes), 9)]
    [InlineData(nameof(CacheOptions.MaxUncompressedBytes), 0)]
    [InlineData(nameof(CacheOptions.SchemaVersion), 65536)]
    [InlineData(nameof(CacheOptions.CompressionCodec), 9)]
    public void AnOutOfRangeOptionIsRejectedNamingIt(string property, int value)
    {
        var options = new CacheOptions();
        var setter = typeof(CacheOptions).GetProperty(property)!;
        setter.SetValue(options, setter.PropertyType.IsEnum ? Enum.ToObject(setter.PropertyType, value) : value);

        var error = Assert.Throws<ValidationException>(() => new CacheSerializer(options));

        Assert.Contains(property, error.Message, StringComparison.Ordinal);
    }
}
