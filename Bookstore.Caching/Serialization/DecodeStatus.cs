namespace Bookstore.Caching.Serialization;

/// <summary>
/// The outcome of <see cref="CacheSerializer.TryDeserialize{T}(ReadOnlySpan{byte}, out T)"/>. Everything but
/// <see cref="Ok"/> is a cache miss: the caller records it (see <see cref="DecodeStatusExtensions.ToErrorType"/>)
/// and deletes the entry.
/// </summary>
public enum DecodeStatus
{
    Ok = 0,

    /// <summary>Zero bytes for a type that has no empty form (a DTO or a number).</summary>
    Empty,

    /// <summary>Over <see cref="CacheOptions.MaxPayloadBytes"/>, or declares a body over <see cref="CacheOptions.MaxUncompressedBytes"/>.</summary>
    TooLarge,

    /// <summary>Shorter than its header, or a body that ends before the length the header declares.</summary>
    Truncated,

    /// <summary>Not our envelope (wrong magic byte) or a format version this build does not know.</summary>
    UnknownFormat,

    UnknownSerializer,

    UnknownCodec,

    /// <summary>Written for another <see cref="CacheOptions.SchemaVersion"/>.</summary>
    SchemaMismatch,

    /// <summary>A body that does not decompress to its declared length, or that does not deserialize to the requested type.</summary>
    Corrupt,
}

public static class DecodeStatusExtensions
{
    /// <summary>
    /// A stable lower_snake_case name for the <c>error.type</c> metric attribute. These strings are part of
    /// the telemetry contract that dashboards and alerts query: never rename one.
    /// </summary>
    public static string ToErrorType(this DecodeStatus status) => status switch
    {
        DecodeStatus.Ok => "ok",
        DecodeStatus.Empty => "empty",
        DecodeStatus.TooLarge => "too_large",
        DecodeStatus.Truncated => "truncated",
        DecodeStatus.UnknownFormat => "unknown_format",
        DecodeStatus.UnknownSerializer => "unknown_serializer",
        DecodeStatus.UnknownCodec => "unknown_codec",
        DecodeStatus.SchemaMismatch => "schema_mismatch",
        DecodeStatus.Corrupt => "corrupt",
        _ => throw new ArgumentOutOfRangeException(nameof(status), status, "Not a DecodeStatus value."),
    };
}
