using System.Text.Json.Serialization;

namespace Bookstore.Catalog.Contracts;

/// <summary>
/// Source-generated JSON metadata for the cached catalog types. The API and the worker register it in the cache's
/// <c>CacheOptions.JsonTypeInfoResolvers</c>; its options are the cache serializer's, so the generated fast paths apply.
/// None of these types is polymorphic, so no type name is ever written to or honoured from a payload.
/// </summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    RespectNullableAnnotations = true,
    RespectRequiredConstructorParameters = true)]
[JsonSerializable(typeof(Book))]
[JsonSerializable(typeof(BookSummary))]
[JsonSerializable(typeof(BookPage))]
[JsonSerializable(typeof(UserProfile))]
[JsonSerializable(typeof(Cart))]
[JsonSerializable(typeof(CartItem))]
[JsonSerializable(typeof(Recommendations))]
[JsonSerializable(typeof(ReaderSession))]
public sealed partial class CatalogJsonContext : JsonSerializerContext;
