using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using ZiggyCreatures.Caching.Fusion.Internals;
using ZiggyCreatures.Caching.Fusion.Internals.Distributed;

namespace Bookstore.Caching.Typed;

/// <summary>
/// JSON metadata for FusionCache's L2 wrapper (<c>FusionCacheDistributedEntry&lt;T&gt;</c>) with a hand-written
/// converter: the wrapper's fields by short names, the value through the source-generated metadata of
/// <typeparamref name="T"/>. So the whole L2 entry goes through <c>CacheSerializer</c> (envelope, compression,
/// size caps) without reflection-based serialization and without type names in the payload.
/// </summary>
internal sealed class FusionCacheEntryJsonResolver : IJsonTypeInfoResolver
{
    private static readonly ConcurrentDictionary<Type, Func<JsonSerializerOptions, JsonTypeInfo>> Factories = new();

    public JsonTypeInfo? GetTypeInfo(Type type, JsonSerializerOptions options)
    {
        if (!type.IsGenericType || type.GetGenericTypeDefinition() != typeof(FusionCacheDistributedEntry<>))
        {
            return null;
        }

        // Built once per value type; STJ caches the resulting JsonTypeInfo per options instance.
        var factory = Factories.GetOrAdd(type, static entryType =>
        {
            var method = typeof(FusionCacheEntryJsonResolver)
                .GetMethod(nameof(Create), System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Static)!
                .MakeGenericMethod(entryType.GetGenericArguments()[0]);
            return method.CreateDelegate<Func<JsonSerializerOptions, JsonTypeInfo>>();
        });
        return factory(options);
    }

    private static JsonTypeInfo Create<T>(JsonSerializerOptions options) =>
        JsonMetadataServices.CreateValueInfo<FusionCacheDistributedEntry<T>>(options, new EntryConverter<T>());

    private sealed class EntryConverter<T> : JsonConverter<FusionCacheDistributedEntry<T>>
    {
        // Property names encoded once: a string name is transcoded and checked for escaping on every write.
        private static readonly JsonEncodedText ValueName = JsonEncodedText.Encode("v");
        private static readonly JsonEncodedText TimestampName = JsonEncodedText.Encode("t");
        private static readonly JsonEncodedText ExpirationName = JsonEncodedText.Encode("e");
        private static readonly JsonEncodedText TagsName = JsonEncodedText.Encode("g");
        private static readonly JsonEncodedText MetadataName = JsonEncodedText.Encode("m");
        private static readonly JsonEncodedText StaleName = JsonEncodedText.Encode("s");
        private static readonly JsonEncodedText EagerName = JsonEncodedText.Encode("ee");
        private static readonly JsonEncodedText ETagName = JsonEncodedText.Encode("et");
        private static readonly JsonEncodedText LastModifiedName = JsonEncodedText.Encode("lm");
        private static readonly JsonEncodedText SizeName = JsonEncodedText.Encode("sz");
        private static readonly JsonEncodedText PriorityName = JsonEncodedText.Encode("p");

        /// <summary>The value's metadata for the options last seen (one options instance per process in practice).</summary>
        /// <remarks>A reference, read and replaced whole, so threads never see one options' metadata paired with another's.</remarks>
        private Tuple<JsonSerializerOptions, JsonTypeInfo<T>>? _valueInfo;

        private JsonTypeInfo<T> ValueInfo(JsonSerializerOptions options)
        {
            var cached = _valueInfo;
            if (cached is not null && ReferenceEquals(cached.Item1, options))
            {
                return cached.Item2;
            }

            var info = (JsonTypeInfo<T>)options.GetTypeInfo(typeof(T));
            _valueInfo = Tuple.Create(options, info);
            return info;
        }

        public override FusionCacheDistributedEntry<T> Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        {
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                throw new JsonException("A cache entry must be a JSON object.");
            }

            var hasValue = false;
            T? value = default;
            long timestamp = 0, logicalExpiration = 0;
            string[]? tags = null;
            FusionCacheEntryMetadata? metadata = null;
            while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
            {
                var name = reader.GetString();
                reader.Read();
                switch (name)
                {
                    case "v":
                        value = JsonSerializer.Deserialize(ref reader, ValueInfo(options));
                        hasValue = true;
                        break;
                    case "t": timestamp = reader.GetInt64(); break;
                    case "e": logicalExpiration = reader.GetInt64(); break;
                    case "g": tags = ReadTags(ref reader); break;
                    case "m": metadata = ReadMetadata(ref reader); break;
                    default: reader.Skip(); break;
                }
            }

            return hasValue
                ? new FusionCacheDistributedEntry<T>(value!, timestamp, logicalExpiration, tags!, metadata)
                : throw new JsonException("A cache entry without a value.");
        }

        public override void Write(Utf8JsonWriter writer, FusionCacheDistributedEntry<T> entry, JsonSerializerOptions options)
        {
            writer.WriteStartObject();
            writer.WritePropertyName(ValueName);
            JsonSerializer.Serialize(writer, entry.Value, ValueInfo(options));
            writer.WriteNumber(TimestampName, entry.Timestamp);
            writer.WriteNumber(ExpirationName, entry.LogicalExpirationTimestamp);
            if (entry.Tags is { Length: > 0 } tags)
            {
                writer.WriteStartArray(TagsName);
                foreach (var tag in tags)
                {
                    writer.WriteStringValue(tag);
                }

                writer.WriteEndArray();
            }

            if (entry.Metadata is { } metadata)
            {
                writer.WriteStartObject(MetadataName);
                writer.WriteBoolean(StaleName, metadata.IsStale);
                WriteOptional(writer, EagerName, metadata.EagerExpirationTimestamp);
                if (metadata.ETag is { } etag)
                {
                    writer.WriteString(ETagName, etag);
                }

                WriteOptional(writer, LastModifiedName, metadata.LastModifiedTimestamp);
                WriteOptional(writer, SizeName, metadata.Size);
                if (metadata.Priority is { } priority)
                {
                    writer.WriteNumber(PriorityName, priority);
                }

                writer.WriteEndObject();
            }

            writer.WriteEndObject();
        }

        private static void WriteOptional(Utf8JsonWriter writer, JsonEncodedText name, long? value)
        {
            if (value is { } number)
            {
                writer.WriteNumber(name, number);
            }
        }

        private static string[]? ReadTags(ref Utf8JsonReader reader)
        {
            if (reader.TokenType == JsonTokenType.Null)
            {
                return null;
            }

            var tags = new List<string>();
            while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
            {
                tags.Add(reader.GetString() ?? throw new JsonException("A null tag."));
            }

            return [.. tags];
        }

        private static FusionCacheEntryMetadata? ReadMetadata(ref Utf8JsonReader reader)
        {
            if (reader.TokenType == JsonTokenType.Null)
            {
                return null;
            }

            var isStale = false;
            long? eager = null, lastModified = null, size = null;
            string? etag = null;
            byte? priority = null;
            while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
            {
                var name = reader.GetString();
                reader.Read();
                switch (name)
                {
                    case "s": isStale = reader.GetBoolean(); break;
                    case "ee": eager = reader.GetInt64(); break;
                    case "et": etag = reader.GetString(); break;
                    case "lm": lastModified = reader.GetInt64(); break;
                    case "sz": size = reader.GetInt64(); break;
                    case "p": priority = reader.GetByte(); break;
                    default: reader.Skip(); break;
                }
            }

            return new FusionCacheEntryMetadata(isStale, eager, etag, lastModified, size, priority);
        }
    }
}
