using System.Reflection;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Bookstore.Caching.Typed;
using Microsoft.AspNetCore.Http.Metadata;

namespace Microsoft.AspNetCore.Builder;

/// <summary>
/// A 200 JSON answer written from bytes encoded beforehand, with its length. <see cref="Of"/> encodes a value once per
/// cached instance: a value served from the L1 memory cache is the same object on every hit, so its JSON is kept beside
/// it in a <see cref="ConditionalWeakTable{TKey, TValue}"/> keyed by that object, which lives as long as the object does
/// and goes with it when the entry is replaced, removed or evicted. A hit then costs a table lookup instead of encoding
/// the book (or the 20 books of a page) again; values from Redis or the store are new objects, encoded for their answer.
/// In a handler's <c>Results&lt;...&gt;</c> it tells the OpenAPI document that the answer is a <typeparamref name="T"/>.
/// </summary>
internal sealed class EncodedJsonResult<T>(byte[] body) : IResult, IStatusCodeHttpResult, IContentTypeHttpResult, IEndpointMetadataProvider
    where T : class
{
    private const string JsonContentType = "application/json; charset=utf-8";

    private static readonly ConditionalWeakTable<T, byte[]> Bodies = [];

    public int? StatusCode => StatusCodes.Status200OK;

    public string ContentType => JsonContentType;

    public static EncodedJsonResult<T> Of(CachedValue<T> entry, JsonTypeInfo<T> typeInfo) =>
        new(entry.Source == CacheSource.L1 ? Encoded(entry.Value, typeInfo) : JsonSerializer.SerializeToUtf8Bytes(entry.Value, typeInfo));

    public static void PopulateMetadata(MethodInfo method, EndpointBuilder builder) =>
        builder.Metadata.Add(new ProducesResponseTypeMetadata(StatusCodes.Status200OK, typeof(T), ["application/json"]));

    public Task ExecuteAsync(HttpContext httpContext)
    {
        var response = httpContext.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = JsonContentType;
        response.ContentLength = body.Length;
        var write = response.BodyWriter.WriteAsync(body, httpContext.RequestAborted);
        return write.IsCompletedSuccessfully ? Task.CompletedTask : write.AsTask();
    }

    private static byte[] Encoded(T value, JsonTypeInfo<T> typeInfo)
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
