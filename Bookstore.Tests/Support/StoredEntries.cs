using System.Text.Json;
using System.Text.Json.Serialization;
using Bookstore.Caching.Configuration;
using Bookstore.Caching.Serialization;

namespace Bookstore.Tests.Support;

/// <summary>
/// Reads an L2 entry as Redis holds it (our envelope around FusionCache's wrapper around the value) as plain JSON, for
/// tests that look inside one without naming FusionCache's types.
/// </summary>
internal static class StoredEntries
{
    private static readonly CacheSerializer Serializer = CreateSerializer();

    public static bool TryRead(byte[] payload, out JsonElement entry) =>
        Serializer.TryDeserialize(payload, out entry) == DecodeStatus.Ok;

    public static JsonElement Read(byte[] payload) =>
        TryRead(payload, out var entry) ? entry : throw new InvalidDataException($"The stored entry ({payload.Length} bytes) does not decode.");

    private static CacheSerializer CreateSerializer()
    {
        var options = new CacheOptions();
        options.JsonTypeInfoResolvers.Add(StoredEntryJsonContext.Default);
        return new CacheSerializer(options);
    }
}

[JsonSerializable(typeof(JsonElement))]
internal sealed partial class StoredEntryJsonContext : JsonSerializerContext;
