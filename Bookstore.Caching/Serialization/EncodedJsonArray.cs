using System.Text;
using System.Text.Json;

namespace Bookstore.Caching.Serialization;

/// <summary>One element of a JSON array of objects: its integer id and its bytes.</summary>
public readonly record struct EncodedJsonElement(int Id, EncodedJson Json);

/// <summary>Splits a JSON array of objects into its elements without decoding them.</summary>
public static class EncodedJsonArray
{
    /// <summary>
    /// The elements of <paramref name="utf8Array"/> (a JSON array of objects, each with an integer property
    /// <paramref name="idProperty"/>), as slices of it. The whole array is checked to be well-formed JSON on the way.
    /// </summary>
    /// <exception cref="JsonException">Not an array of objects, malformed, or an element without an integer id.</exception>
    public static IReadOnlyList<EncodedJsonElement> SplitById(ReadOnlyMemory<byte> utf8Array, string idProperty = "id")
    {
        var name = Encoding.UTF8.GetBytes(idProperty);
        var reader = new Utf8JsonReader(utf8Array.Span);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartArray)
        {
            throw new JsonException("Expected a JSON array.");
        }

        var elements = new List<EncodedJsonElement>();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                throw new JsonException($"Element {elements.Count} is not a JSON object.");
            }

            var start = (int)reader.TokenStartIndex;
            int? id = null;
            while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
            {
                var isId = reader.ValueTextEquals(name);
                reader.Read();
                if (isId && reader.TokenType == JsonTokenType.Number && reader.TryGetInt32(out var value))
                {
                    id = value;
                }
                else
                {
                    reader.Skip();
                }
            }

            var end = (int)reader.BytesConsumed;
            elements.Add(new EncodedJsonElement(
                id ?? throw new JsonException($"Element {elements.Count} has no integer '{idProperty}'."),
                new EncodedJson(utf8Array[start..end], wellFormed: true)));
        }

        if (reader.TokenType != JsonTokenType.EndArray || reader.Read())
        {
            throw new JsonException("Expected the end of the JSON array.");
        }

        return elements;
    }
}
