using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Bookstore.AppHost.Warming;

/// <summary>
/// The worker's warming state as an Aspire health report, read from its <c>GET /warming</c> with the admin key: the
/// dashboard shows the worker Degraded with "warming …" while a run is under way and Healthy with "ready: …" once the
/// cache is warm.
/// </summary>
public sealed class WarmingStateHealthCheck(EndpointReference endpoint, ParameterResource adminKey, Func<HttpClient> httpClients) : IHealthCheck
{
    public const string Path = "/warming";

    public const string AdminKeyHeader = "X-Api-Key";

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            var baseUrl = await endpoint.GetValueAsync(cancellationToken).ConfigureAwait(false)
                ?? throw new InvalidOperationException($"The worker's '{endpoint.EndpointName}' endpoint has no URL yet.");
            var http = httpClients();
            using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(new Uri(baseUrl, UriKind.Absolute), Path));
            request.Headers.Add(AdminKeyHeader, await adminKey.GetValueAsync(cancellationToken).ConfigureAwait(false));
            using var response = await http.SendAsync(request, cancellationToken).ConfigureAwait(false);
            response.EnsureSuccessStatusCode();
            return Describe(await response.Content.ReadFromJsonAsync<JsonElement>(cancellationToken).ConfigureAwait(false));
        }
        catch (Exception ex) when (ex is HttpRequestException or JsonException or InvalidOperationException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            // The message says it all (the worker is starting or stopped); a stack trace per poll would only be noise.
            return HealthCheckResult.Unhealthy($"The worker's {Path} did not answer: {ex.Message}");
        }
    }

    /// <summary>The report for one <c>/warming</c> answer: Ready is Healthy, Starting and Warming Degraded, Degraded Unhealthy.</summary>
    public static HealthCheckResult Describe(JsonElement status)
    {
        var phase = status.TryGetProperty("phase", out var p) ? p.GetString() : null;
        var runs = Number(status, "runs");
        return phase switch
        {
            "Ready" => HealthCheckResult.Healthy(string.Create(
                CultureInfo.InvariantCulture,
                $"ready: {Number(status, "lastWarmed")} books and {Count(status, "lastUserIds")} readers' recommendations warmed in {Real(status, "lastDurationSeconds"):F2} s ({Real(status, "lastItemsPerSecond"):F0} books/s), run {runs}")),
            "Warming" => HealthCheckResult.Degraded(string.Create(CultureInfo.InvariantCulture, $"warming: run {runs + 1} in progress")),
            "Starting" => HealthCheckResult.Degraded("warming: waiting for the first run"),
            "Degraded" => HealthCheckResult.Unhealthy(
                $"degraded, retrying with back-off: {(status.TryGetProperty("lastError", out var e) ? e.GetString() : null) ?? "the last run did not finish."}"),
            _ => HealthCheckResult.Unhealthy($"The worker's {Path} answered an unknown phase '{phase}'."),
        };
    }

    private static long Number(JsonElement status, string name) =>
        status.TryGetProperty(name, out var value) && value.TryGetInt64(out var number) ? number : 0;

    private static double Real(JsonElement status, string name) =>
        status.TryGetProperty(name, out var value) && value.TryGetDouble(out var number) ? number : 0;

    private static int Count(JsonElement status, string name) =>
        status.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Array ? value.GetArrayLength() : 0;
}
