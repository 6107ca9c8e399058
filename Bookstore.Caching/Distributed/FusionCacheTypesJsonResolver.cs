using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using ZiggyCreatures.Caching.Fusion;

namespace Bookstore.Caching.Distributed;

/// <summary>
/// JSON metadata for the types FusionCache itself hands its serializer: the wrapper it stores in L2 around a value
/// (timestamps, expiry, tags, metadata), whatever shape FusionCache gives it in the version we run. Its public
/// properties are read and written as System.Text.Json does for any class; the value inside goes through the resolver
/// chain like any cached value (source-generated metadata, never reflection). Only types declared in FusionCache's own
/// assembly are answered here, so no application type is ever serialized by reflection.
/// </summary>
/// <remarks>
/// Nothing of FusionCache's format is written by hand here: an upgrade that changes the wrapper changes what is stored,
/// both ways, and the upgrade-guard test (a plain FusionCache reading our entries and the reverse) says so.
/// </remarks>
internal sealed class FusionCacheTypesJsonResolver : IJsonTypeInfoResolver
{
    private static readonly System.Reflection.Assembly FusionCacheAssembly = typeof(IFusionCache).Assembly;

    private readonly DefaultJsonTypeInfoResolver _reflection = new()
    {
        Modifiers = { OptionalMembers },
    };

    public JsonTypeInfo? GetTypeInfo(Type type, JsonSerializerOptions options) =>
        type.Assembly == FusionCacheAssembly ? _reflection.GetTypeInfo(type, options) : null;

    /// <summary>
    /// The serializer's options omit nulls and require every constructor parameter on read (right for our DTOs).
    /// FusionCache's entry metadata takes its optional parts (an ETag, a size) as constructor parameters, so its
    /// properties are all written, nulls included, and none is required but the wrapped value itself: a wrapper of a
    /// <c>T</c> without its <c>T</c> is not an entry (it would read as a cached null), so it fails to decode, a miss.
    /// </summary>
    private static void OptionalMembers(JsonTypeInfo info)
    {
        var wrapped = info.Type.IsGenericType ? info.Type.GetGenericArguments() : [];
        foreach (var property in info.Properties)
        {
            property.ShouldSerialize = static (_, _) => true;
            property.IsRequired = wrapped.Length == 1 && property.PropertyType == wrapped[0];
        }
    }
}
