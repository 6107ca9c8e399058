using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Bookstore.Caching.Typed;

namespace Microsoft.AspNetCore.Builder;

/// <summary>
/// A 200 JSON answer written from bytes encoded beforehand, with its length. <see cref="Of{T}"/> encodes a value once per
/// cached instance: a value served from the L1 memory cache is the same object on every hit, so its JSON is kept beside
/// it in a <see cref="ConditionalWeakTable{TKey, TValue}"/> keyed by that object, which lives as long as the object does
/// and goes with it when the entry is replaced, removed or evicted. A hit then costs a table lookup instead of encoding
/// the book (or the 20 books of a page) again; values from Redis or the store are new objects, encoded for their answer.
/// </summary>
internal sealed class EncodedJsonResult(byte[] body) : IResult, IStatusCodeHttpResult, IContentTypeHttpResult
{
    private const string JsonContentType = "application/json; charset=utf-8";

    public int? StatusCode => StatusCodes.Status200OK;

    public string ContentType => JsonContentType;

    public static EncodedJsonResult Of<T>(CachedValue<T> entry, JsonTypeInfo<T> typeInfo)
        where T : class =>
        new(entry.Source == CacheSource.L1 ? Encoded<T>.For(entry.Value, typeInfo) : JsonSerializer.SerializeToUtf8Bytes(entry.Value, typeInfo));

    public Task ExecuteAsync(HttpContext httpContext)
    {
        var response = httpContext.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = JsonContentType;
        response.ContentLength = body.Length;
        var write = response.BodyWriter.WriteAsync(body, httpContext.RequestAborted);
        return write.IsCompletedSuccessfully ? Task.CompletedTask : write.AsTask();
    }

    private static class Encoded<T>
        where T : class
    {
        private static readonly ConditionalWeakTable<T, byte[]> Bodies = [];

        public static byte[] For(T value, JsonTypeInfo<T> typeInfo)
        {
            if (Bodies.TryGetValue(value, out var body))
            {
                return body;
            }

            // Two first hits at once may both encode; the bytes are the same, and one copy stays.
            body = JsonSerializer.SerializeToUtf8Bytes(value, typeInfo);
            Bodies.AddOrUpdate(value, body);
            return body;
        }
    }
}
