namespace Bookstore.Caching.Serialization;

/// <summary>
/// How a payload body is compressed. The numeric values are the codec ids written in the envelope header
/// (<see cref="CacheEnvelope"/>): never renumber them, or entries already in Redis become unreadable.
/// </summary>
public enum CompressionCodec
{
    None = 0,
    GZip = 1,
    Brotli = 2,
    Zstd = 3,
}
