using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Bookstore.Caching.Serialization;

/// <summary>
/// A cache value that is already one UTF-8 JSON value, in the shape readers of its type decode (a <c>Book</c> as the
/// catalog API serves it, say). Written as it is, inside the cache entry where an object's JSON would go, so a bulk
/// writer that received its values as JSON (the cache warmer, from the API) does not decode and re-encode them. The
/// bytes are checked to be one well-formed JSON value on write (once: <see cref="EncodedJsonArray"/> checks them as it
/// cuts them out); that they fit the type read back is the writer's promise, and an entry that does not decode is a
/// miss for its reader, never an error.
/// </summary>
[JsonConverter(typeof(EncodedJsonConverter))]
public readonly struct EncodedJson
{
    public EncodedJson(ReadOnlyMemory<byte> utf8)
        : this(utf8, wellFormed: false)
    {
    }

    internal EncodedJson(ReadOnlyMemory<byte> utf8, bool wellFormed)
    {
        Utf8 = utf8;
        IsWellFormed = wellFormed;
    }

    public ReadOnlyMemory<byte> Utf8 { get; }

    /// <summary>Read as one JSON value already (<see cref="EncodedJsonArray"/>'s elements): not parsed again on write.</summary>
    internal bool IsWellFormed { get; }
}

internal sealed class EncodedJsonConverter : JsonConverter<EncodedJson>
{
    public override EncodedJson Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        var element = JsonElement.ParseValue(ref reader);
        return new EncodedJson(JsonMarshal.GetRawUtf8Value(element).ToArray());
    }

    public override void Write(Utf8JsonWriter writer, EncodedJson value, JsonSerializerOptions options) =>
        writer.WriteRawValue(value.Utf8.Span, skipInputValidation: value.IsWellFormed);
}
