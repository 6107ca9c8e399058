namespace Bookstore.Caching.Serialization;

/// <summary>What <see cref="CacheSerializer.Serialize{T}(T, out SerializedPayload)"/> wrote, for the caller's payload-size metric.</summary>
/// <param name="Length">Bytes stored in Redis, header included.</param>
/// <param name="BodyLength">The uncompressed body (the JSON, or the raw value) in bytes.</param>
/// <param name="Codec">The codec the body is stored with; <see cref="CompressionCodec.None"/> when compression did not pay off.</param>
/// <param name="IsRaw">A string, number, boolean or byte array stored as is, without an envelope.</param>
public readonly record struct SerializedPayload(int Length, int BodyLength, CompressionCodec Codec, bool IsRaw)
{
    public bool Compressed => Codec != CompressionCodec.None;
}
