using System.ComponentModel.DataAnnotations;
using System.Text.Json.Serialization.Metadata;
using Bookstore.Caching.Keys;

using Bookstore.Caching.Serialization;

namespace Bookstore.Caching.Configuration;

/// <summary>
/// Section <c>Bookstore:Cache</c>: how <see cref="CacheSerializer"/> encodes values, the default TTL of
/// <c>RedisService</c>, the metrics switch and per-type policy overrides. Aliases: <c>REDIS_ENABLE_COMPRESSION</c>,
/// <c>REDIS_ENABLE_SERIALIZATION</c>, <c>REDIS_COMPRESSION_THRESHOLD</c>, <c>REDIS_DEFAULT_TTL</c>, <c>REDIS_ENABLE_METRICS</c>.
/// </summary>
public sealed class CacheOptions
{
    public const string SectionName = "Bookstore:Cache";

    /// <summary>Redis refuses string values over 512 MB, so a larger cap could never be met.</summary>
    private const int RedisMaxValueBytes = 512 * 1024 * 1024;

    /// <summary>Bodies longer than this many bytes are compressed (and kept compressed only if that made them smaller).</summary>
    [Range(0, int.MaxValue)]
    public int CompressionThresholdBytes { get; set; } = 1024;

    public bool EnableCompression { get; set; } = true;

    /// <summary>
    /// The codec for new entries. Entries record their codec, so changing this never makes old entries
    /// unreadable. Zstd is the default: see docs/performance.md for the numbers behind it.
    /// </summary>
    [EnumDataType(typeof(CompressionCodec))]
    public CompressionCodec CompressionCodec { get; set; } = CompressionCodec.Zstd;

    /// <summary>A stored payload over this size is a miss before any of it is decoded.</summary>
    [Range(CacheEnvelope.HeaderLength, RedisMaxValueBytes)]
    public int MaxPayloadBytes { get; set; } = 8 * 1024 * 1024;

    /// <summary>The largest body a payload may declare or decompress to; decompression never writes past it.</summary>
    [Range(1, RedisMaxValueBytes)]
    public int MaxUncompressedBytes { get; set; } = 16 * 1024 * 1024;

    /// <summary>Written in every envelope; an entry with another schema version is a miss. Follows the key schema by default.</summary>
    [Range(0, ushort.MaxValue)]
    public int SchemaVersion { get; set; } = CacheKeyBuilder.SchemaVersion;

    /// <summary>
    /// Where the JSON metadata of cached types comes from, searched in order. Empty by default: the application
    /// registers its own source-generated <c>JsonSerializerContext</c> for the types it caches
    /// (<c>options.JsonTypeInfoResolvers.Add(MyJsonContext.Default)</c>), with the options <see cref="CacheSerializer"/>
    /// uses (camelCase, nulls omitted, nullable annotations and required constructor parameters respected) so its
    /// fast paths apply. No reflection-based resolver is ever added, so a type that none of these knows fails at
    /// once instead of being serialized by reflection.
    /// </summary>
    public IList<IJsonTypeInfoResolver> JsonTypeInfoResolvers { get; } = [];

    /// <summary>When false only raw strings, numbers, booleans and bytes may be cached; a typed value is refused at write.</summary>
    public bool EnableSerialization { get; set; } = true;

    /// <summary>The TTL of a <c>RedisService</c> write that gives none (<c>RedisService.NoExpiry</c> asks for no TTL).</summary>
    [Range(1, 30 * 24 * 3600)]
    public int DefaultTtlSeconds { get; set; } = 3600;

    /// <summary>When false the <c>Bookstore.Cache</c> instruments record nothing; the in-process snapshot still counts.</summary>
    public bool EnableMetrics { get; set; } = true;

    /// <summary>Per-type overrides of the policy table, e.g. <c>Bookstore:Cache:Policies:Books:Duration = 01:00:00</c>.</summary>
    public Dictionary<Typed.CacheType, Typed.CachePolicyOverride> Policies { get; } = [];

    internal TimeSpan DefaultTtl => TimeSpan.FromSeconds(DefaultTtlSeconds);
}
