using Bookstore.Caching.Configuration;
using System.Buffers.Binary;

namespace Bookstore.Caching.Serialization;

/// <summary>
/// The header in front of every serialized object (raw strings and numbers have none). Fixed, 10 bytes:
/// <code>
/// offset size field
///  0     1    magic 0xBC. A UTF-8 continuation byte: no UTF-8 text, so no raw string or number, starts with it
///  1     1    format version, 1. Another value means another header layout
///  2     1    serializer id: 1 = System.Text.Json (UTF-8 JSON); 2 = reserved for a binary format
///  3     1    codec id: 0 = none, 1 = gzip, 2 = brotli, 3 = zstd (<see cref="CompressionCodec"/>)
///  4     2    schema version, unsigned 16-bit little-endian (<see cref="CacheOptions.SchemaVersion"/>)
///  6     4    body length before compression, unsigned 32-bit little-endian
/// 10     n    body, compressed with the codec unless it is 0
/// </code>
/// The codec is per entry, so entries written under another default codec stay readable. The uncompressed
/// length lets a reader refuse an oversized body before decompressing it and stop decompressing at it.
/// </summary>
public static class CacheEnvelope
{
    public const byte Magic = 0xBC;
    public const byte FormatVersion = 1;
    public const int HeaderLength = 10;

    public const byte SystemTextJsonSerializerId = 1;

    /// <summary>Reserved so a binary format can be added without a new format version; not written by this build.</summary>
    public const byte BinarySerializerId = 2;

    internal static void WriteHeader(Span<byte> destination, byte serializerId, CompressionCodec codec, int schemaVersion, int bodyLength)
    {
        destination[0] = Magic;
        destination[1] = FormatVersion;
        destination[2] = serializerId;
        destination[3] = (byte)codec;
        BinaryPrimitives.WriteUInt16LittleEndian(destination[4..], checked((ushort)schemaVersion));
        BinaryPrimitives.WriteUInt32LittleEndian(destination[6..], checked((uint)bodyLength));
    }

    /// <summary>Reads the header's fields once the magic byte, the format version and the length allow it; the caller judges the fields.</summary>
    internal static DecodeStatus TryReadHeader(ReadOnlySpan<byte> payload, out EnvelopeHeader header)
    {
        header = default;
        if (payload[0] != Magic)
        {
            return DecodeStatus.UnknownFormat;
        }

        if (payload.Length < 2)
        {
            return DecodeStatus.Truncated;
        }

        if (payload[1] != FormatVersion)
        {
            return DecodeStatus.UnknownFormat;
        }

        if (payload.Length < HeaderLength)
        {
            return DecodeStatus.Truncated;
        }

        var bodyLength = BinaryPrimitives.ReadUInt32LittleEndian(payload[6..]);
        header = new EnvelopeHeader(
            payload[2],
            (CompressionCodec)payload[3],
            BinaryPrimitives.ReadUInt16LittleEndian(payload[4..]),
            bodyLength > int.MaxValue ? int.MaxValue : (int)bodyLength);
        return DecodeStatus.Ok;
    }
}

internal readonly record struct EnvelopeHeader(byte SerializerId, CompressionCodec Codec, int SchemaVersion, int BodyLength);
