using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Bookstore.AppHost.Redis;

/// <summary>A cache type as the API describes it (<c>GET /admin/cache/types</c>).</summary>
public sealed record CacheTypeChoice(string Name, string Strategy, bool Persistent);

/// <summary>
/// The "Flush cache type" command's calls to the API: the flush goes through <c>POST /admin/cache/{type}/flush</c>
/// rather than to Redis, so every API replica's memory cache drops the type too (over the FusionCache backplane).
/// </summary>
public sealed class CacheFlushClient(HttpClient http, string apiKey)
{
    public const string ApiKeyHeader = "X-Api-Key";

    public async Task<IReadOnlyList<CacheTypeChoice>> TypesAsync(CancellationToken cancellationToken)
    {
        using var request = Request(HttpMethod.Get, "/admin/cache/types");
        using var response = await http.SendAsync(request, cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            throw new HttpRequestException(await DescribeAsync(response, cancellationToken).ConfigureAwait(false), null, response.StatusCode);
        }

        return await response.Content.ReadFromJsonAsync<List<CacheTypeChoice>>(JsonSerializerOptions.Web, cancellationToken).ConfigureAwait(false) ?? [];
    }

    public async Task<RedisCommandOutcome> FlushAsync(string type, bool confirm, CancellationToken cancellationToken)
    {
        var path = $"/admin/cache/{Uri.EscapeDataString(type)}/flush" + (confirm ? "?confirm=true" : string.Empty);
        using var request = Request(HttpMethod.Post, path);
        using var response = await http.SendAsync(request, cancellationToken).ConfigureAwait(false);
        return response.IsSuccessStatusCode
            ? new(true, $"Flushed cache type {type} in Redis and in every API replica's memory cache.")
            : RedisCommandOutcome.Failed(await DescribeAsync(response, cancellationToken).ConfigureAwait(false));
    }

    private HttpRequestMessage Request(HttpMethod method, string path)
    {
        var request = new HttpRequestMessage(method, new Uri(path, UriKind.Relative));
        request.Headers.Add(ApiKeyHeader, apiKey);
        return request;
    }

    /// <summary>The API's ProblemDetails detail when it gave one, else the status, with what to do for auth failures.</summary>
    private static async Task<string> DescribeAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        string? detail = null;
        try
        {
            var problem = await response.Content.ReadFromJsonAsync<JsonElement>(cancellationToken).ConfigureAwait(false);
            detail = problem.ValueKind == JsonValueKind.Object && problem.TryGetProperty("detail", out var d) ? d.GetString() : null;
        }
        catch (JsonException)
        {
            // Not a ProblemDetails body: the status code below says enough.
        }

        return response.StatusCode switch
        {
            HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden =>
                $"The API refused the admin key ({(int)response.StatusCode}); the api resource must run with the current api-admin-key parameter.",
            _ => detail ?? $"The API answered {(int)response.StatusCode} {response.ReasonPhrase}.",
        };
    }
}
