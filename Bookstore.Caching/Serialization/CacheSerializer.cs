using Bookstore.Caching.Configuration;
using System.Buffers;
using System.Collections.Concurrent;
using System.ComponentModel.DataAnnotations;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Microsoft.Extensions.Options;

namespace Bookstore.Caching.Serialization;

/// <summary>
/// Turns cache values into the bytes stored in Redis and back. Objects are UTF-8 JSON from source-generated
/// metadata, behind the <see cref="CacheEnvelope"/> header and compressed above a threshold; strings, numbers,
/// booleans and byte arrays are stored raw. Stored bytes are untrusted: every decoding problem is a
/// <see cref="DecodeStatus"/> (a miss), never an exception. Thread-safe; one instance per process.
/// </summary>
/// <remarks>
/// <see cref="Serialize{T}(T)"/> and <see cref="Deserialize{T}(byte[])"/> have the shape of FusionCache's
/// <c>IFusionCacheSerializer</c>, so an adapter is a few lines.
/// </remarks>
public sealed class CacheSerializer
{
    // Validation is the serializer's job, not the writer's.
    private static readonly JsonWriterOptions WriterOptions = new() { SkipValidation = true };

    // One JSON writer and buffer per thread, reused: a serialization then allocates only the payload it returns.
    [ThreadStatic]
    private static (PooledBufferWriter Body, Utf8JsonWriter Writer)? t_jsonWriter;

    private readonly JsonSerializerOptions _json;
    private readonly ConcurrentDictionary<Type, JsonTypeInfo> _typeInfos = new();
    private readonly bool _compress;
    private readonly CompressionCodec _codec;
    private readonly int _compressionThreshold;
    private readonly int _maxPayloadBytes;
    private readonly int _maxUncompressedBytes;
    private readonly int _schemaVersion;
    private readonly bool _enableSerialization;

    public CacheSerializer()
        : this(new CacheOptions())
    {
    }

    public CacheSerializer(IOptions<CacheOptions> options)
        : this((options ?? throw new ArgumentNullException(nameof(options))).Value)
    {
    }

    /// <summary>Reads <paramref name="options"/> once; later changes to that instance have no effect.</summary>
    /// <exception cref="ValidationException">An option is out of its range.</exception>
    public CacheSerializer(CacheOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        Validator.ValidateObject(options, new ValidationContext(options), validateAllProperties: true);

        _compress = options.EnableCompression && options.CompressionCodec != CompressionCodec.None;
        _codec = options.CompressionCodec;
        _compressionThreshold = options.CompressionThresholdBytes;
        _maxPayloadBytes = options.MaxPayloadBytes;
        _maxUncompressedBytes = options.MaxUncompressedBytes;
        _schemaVersion = options.SchemaVersion;
        _enableSerialization = options.EnableSerialization;

        // These settings (camelCase, nulls omitted, nullable annotations and required constructor parameters
        // enforced on read) apply to every registered context, so all entries look alike; a context generated with
        // the same JsonSourceGenerationOptions (the catalog's) keeps its fast paths. The resolver chain holds
        // source-generated contexts only: no reflection fallback, and nothing polymorphic, so no type name is ever
        // read from a payload.
        // The default encoder is kept on purpose: with the relaxed one (non-ASCII as UTF-8, not \uXXXX) the options
        // no longer match the generated code's, which loses its fast path: +40 % time, twice the allocations for a
        // book, to save 0.3 % of a page's bytes (SerializerBenchmarks, docs/performance.md).
        _json = new JsonSerializerOptions
        {
            PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
            DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
            RespectNullableAnnotations = true,
            RespectRequiredConstructorParameters = true,
            TypeInfoResolver = JsonTypeInfoResolver.Combine([.. options.JsonTypeInfoResolvers]),
        };
        _json.MakeReadOnly();
    }

    public byte[] Serialize<T>(T value) => Serialize(value, out _);

    /// <summary>Encodes <paramref name="value"/> for storage.</summary>
    /// <exception cref="InvalidOperationException">
    /// <typeparamref name="T"/> has no registered JSON metadata, or the value encodes to more than the readers accept.
    /// </exception>
    /// <exception cref="ArgumentNullException">A null string or byte array: Redis cannot store a raw null.</exception>
    public byte[] Serialize<T>(T value, out SerializedPayload info)
    {
        if (RawValue.IsRaw<T>())
        {
            var raw = RawValue.Write(value);
            EnsureWithin(raw.Length, _maxPayloadBytes, nameof(CacheOptions.MaxPayloadBytes));
            info = new SerializedPayload(raw.Length, raw.Length, CompressionCodec.None, IsRaw: true);
            return raw;
        }

        if (!_enableSerialization)
        {
            throw new InvalidOperationException(
                $"Typed cache values are disabled (Bookstore:Cache:EnableSerialization / REDIS_ENABLE_SERIALIZATION is false); " +
                $"'{typeof(T)}' cannot be stored. Store a string, number, bool or byte[] instead, or enable serialization.");
        }

        var typeInfo = GetTypeInfo<T>();
        var (body, writer) = RentJsonWriter();
        try
        {
            JsonSerializer.Serialize(writer, value, typeInfo);
            writer.Flush();
            var target = new NewArray();
            info = Encode(body.WrittenSpan, ref target);
            return target.Payload!;
        }
        finally
        {
            ReturnJsonWriter(body, writer);
        }
    }

    /// <summary>
    /// Encodes an object <paramref name="value"/> as <see cref="Serialize{T}(T)"/> does, into <paramref name="destination"/>
    /// instead of a new array (a bulk writer frames many payloads into one buffer). Returns the payload's length.
    /// </summary>
    /// <exception cref="InvalidOperationException">As <see cref="Serialize{T}(T, out SerializedPayload)"/>, or <typeparamref name="T"/> is stored raw.</exception>
    internal int SerializeTo<T>(T value, IBufferWriter<byte> destination)
    {
        if (RawValue.IsRaw<T>() || !_enableSerialization)
        {
            var payload = Serialize(value, out var raw);
            destination.Write(payload);
            return raw.Length;
        }

        var typeInfo = GetTypeInfo<T>();
        var (body, writer) = RentJsonWriter();
        try
        {
            JsonSerializer.Serialize(writer, value, typeInfo);
            writer.Flush();
            var target = new BufferWriterTarget(destination);
            var length = Encode(body.WrittenSpan, ref target).Length;
            destination.Advance(length);
            return length;
        }
        finally
        {
            ReturnJsonWriter(body, writer);
        }
    }

    /// <summary>The value, or <see langword="default"/> for any payload that does not decode (see <see cref="TryDeserialize{T}(ReadOnlySpan{byte}, out T)"/>).</summary>
    public T? Deserialize<T>(byte[] payload) =>
        TryDeserialize<T>(payload ?? throw new ArgumentNullException(nameof(payload)), out var value) == DecodeStatus.Ok ? value : default;

    /// <summary>
    /// Decodes a stored payload. Any problem with the bytes is returned as a status other than
    /// <see cref="DecodeStatus.Ok"/>, with <paramref name="value"/> set to <see langword="default"/>.
    /// </summary>
    /// <exception cref="InvalidOperationException">
    /// <typeparamref name="T"/> has no registered JSON metadata: a bug in the application, not in the bytes.
    /// </exception>
    public DecodeStatus TryDeserialize<T>(ReadOnlySpan<byte> payload, out T? value)
    {
        value = default;
        if (payload.Length > _maxPayloadBytes)
        {
            return DecodeStatus.TooLarge;
        }

        if (RawValue.IsRaw<T>())
        {
            return RawValue.Read(payload, out value);
        }

        var typeInfo = GetTypeInfo<T>();
        if (payload.IsEmpty)
        {
            return DecodeStatus.Empty;
        }

        var status = CacheEnvelope.TryReadHeader(payload, out var header);
        if (status != DecodeStatus.Ok)
        {
            return status;
        }

        if (header.SerializerId != CacheEnvelope.SystemTextJsonSerializerId)
        {
            return DecodeStatus.UnknownSerializer;
        }

        if (!Enum.IsDefined(header.Codec))
        {
            return DecodeStatus.UnknownCodec;
        }

        if (header.SchemaVersion != _schemaVersion)
        {
            return DecodeStatus.SchemaMismatch;
        }

        if (header.BodyLength > _maxUncompressedBytes)
        {
            return DecodeStatus.TooLarge;
        }

        var stored = payload[CacheEnvelope.HeaderLength..];
        if (header.Codec == CompressionCodec.None)
        {
            if (stored.Length != header.BodyLength)
            {
                return stored.Length < header.BodyLength ? DecodeStatus.Truncated : DecodeStatus.Corrupt;
            }

            return DeserializeJson(stored, typeInfo, out value);
        }

        // Sized from the declared length, which was capped above: an attacker cannot make this larger.
        var body = ArrayPool<byte>.Shared.Rent(header.BodyLength);
        try
        {
            var json = body.AsSpan(0, header.BodyLength);
            status = PayloadCompression.TryDecompress(header.Codec, stored, json);
            return status == DecodeStatus.Ok ? DeserializeJson(json, typeInfo, out value) : status;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(body);
        }
    }

    /// <summary>Where <see cref="Encode{TTarget}"/> writes a payload: a span of exactly the payload's length.</summary>
    private interface IPayloadTarget
    {
        Span<byte> Allocate(int length);
    }

    private struct NewArray : IPayloadTarget
    {
        public byte[]? Payload;

        public Span<byte> Allocate(int length) => Payload = new byte[length];
    }

    /// <summary>The caller advances the writer by the payload's length afterwards.</summary>
    private readonly struct BufferWriterTarget(IBufferWriter<byte> destination) : IPayloadTarget
    {
        public Span<byte> Allocate(int length) => destination.GetSpan(length)[..length];
    }

    /// <summary>Writes the envelope and the (possibly compressed) body into the span <paramref name="target"/> gives for the payload's length.</summary>
    private SerializedPayload Encode<TTarget>(ReadOnlySpan<byte> json, ref TTarget target)
        where TTarget : struct, IPayloadTarget
    {
        EnsureWithin(json.Length, _maxUncompressedBytes, nameof(CacheOptions.MaxUncompressedBytes));

        byte[]? compressed = null;
        try
        {
            var codec = CompressionCodec.None;
            var stored = json;
            if (_compress && json.Length > _compressionThreshold &&
                PayloadCompression.TryCompress(_codec, json, out compressed, out var compressedLength))
            {
                codec = _codec;
                stored = compressed.AsSpan(0, compressedLength);
            }

            var length = CacheEnvelope.HeaderLength + stored.Length;
            EnsureWithin(length, _maxPayloadBytes, nameof(CacheOptions.MaxPayloadBytes));
            var payload = target.Allocate(length);
            CacheEnvelope.WriteHeader(payload, CacheEnvelope.SystemTextJsonSerializerId, codec, _schemaVersion, json.Length);
            stored.CopyTo(payload[CacheEnvelope.HeaderLength..]);
            return new SerializedPayload(length, json.Length, codec, IsRaw: false);
        }
        finally
        {
            if (compressed is not null)
            {
                ArrayPool<byte>.Shared.Return(compressed);
            }
        }
    }

    /// <summary>Takes this thread's writer out of its slot, so a nested call (a converter that caches) gets a fresh one.</summary>
    private static (PooledBufferWriter Body, Utf8JsonWriter Writer) RentJsonWriter()
    {
        if (t_jsonWriter is { } cached)
        {
            t_jsonWriter = null;
            return cached;
        }

        var body = new PooledBufferWriter();
        return (body, new Utf8JsonWriter(body, WriterOptions));
    }

    /// <summary>A thread keeps a body buffer of up to this size between serializations; a larger one goes back to the pool.</summary>
    private const int KeptBodyBytes = 16 * 1024;

    private static void ReturnJsonWriter(PooledBufferWriter body, Utf8JsonWriter writer)
    {
        body.Reset(KeptBodyBytes);
        writer.Reset(body);
        t_jsonWriter = (body, writer);
    }

    private static DecodeStatus DeserializeJson<T>(ReadOnlySpan<byte> json, JsonTypeInfo<T> typeInfo, out T? value)
    {
        try
        {
            value = JsonSerializer.Deserialize(json, typeInfo);
            return DecodeStatus.Ok;
        }
        catch (Exception ex) when (ex is JsonException or NotSupportedException or InvalidOperationException)
        {
            // Malformed JSON, a missing required property or a null where none is allowed: the bytes are bad, not the caller.
            value = default;
            return DecodeStatus.Corrupt;
        }
    }

    private static void EnsureWithin(int length, int limit, string option)
    {
        if (length > limit)
        {
            throw new InvalidOperationException(
                $"The value encodes to {length} bytes, over {CacheOptions.SectionName}:{option} ({limit}); readers would reject it. Cache a smaller value or raise the limit.");
        }
    }

    private JsonTypeInfo<T> GetTypeInfo<T>() =>
        (JsonTypeInfo<T>)_typeInfos.GetOrAdd(typeof(T), static (type, json) => ResolveTypeInfo(type, json), _json);

    private static JsonTypeInfo ResolveTypeInfo(Type type, JsonSerializerOptions json)
    {
        if (json.TryGetTypeInfo(type, out var typeInfo))
        {
            return typeInfo;
        }

        throw new InvalidOperationException(
            $"No JSON metadata for {type.FullName} is registered with the cache serializer. Add [JsonSerializable(typeof({type.Name}))] " +
            $"to a JsonSerializerContext and add that context's Default to {nameof(CacheOptions)}.{nameof(CacheOptions.JsonTypeInfoResolvers)}.");
    }
}
