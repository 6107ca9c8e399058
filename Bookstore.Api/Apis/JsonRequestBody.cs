using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Bookstore.Api.Problems;
using Microsoft.AspNetCore.Http.Features;

namespace Microsoft.AspNetCore.Builder;

/// <summary>
/// Reads a small JSON request body for the write endpoints: 415 unless it is JSON, 413 past
/// <c>maxBytes</c> (with or without Content-Length, never buffering more than one byte past the limit),
/// 400 for malformed JSON — each as ProblemDetails, so no bad body reaches the store.
/// </summary>
internal static class JsonRequestBody
{
    public static async Task<(T? Body, RequestBodyProblem? Problem)> ReadAsync<T>(
        HttpRequest request, JsonTypeInfo<T> typeInfo, int maxBytes, CancellationToken cancellationToken)
        where T : class
    {
        if (!request.HasJsonContentType())
        {
            return (null, RequestBodyProblem.UnsupportedMediaType("Send the body as application/json."));
        }

        if (request.ContentLength > maxBytes)
        {
            return (null, TooLarge(maxBytes));
        }

        if (request.HttpContext.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = maxBytes;
        }

        var buffer = new byte[maxBytes + 1];
        var length = 0;
        try
        {
            int read;
            while (length < buffer.Length && (read = await request.Body.ReadAsync(buffer.AsMemory(length), cancellationToken)) > 0)
            {
                length += read;
            }
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return (null, TooLarge(maxBytes));
        }

        if (length > maxBytes)
        {
            return (null, TooLarge(maxBytes));
        }

        try
        {
            var body = JsonSerializer.Deserialize(buffer.AsSpan(0, length), typeInfo);
            return body is null
                ? (null, RequestBodyProblem.Malformed("Malformed JSON", "The body must be a JSON object."))
                : (body, null);
        }
        catch (JsonException ex)
        {
            return (null, RequestBodyProblem.Malformed("Malformed JSON", ex.Message));
        }
    }

    private static RequestBodyProblem TooLarge(int maxBytes) => RequestBodyProblem.TooLarge($"This body is at most {maxBytes / 1024} KB of JSON.");
}
