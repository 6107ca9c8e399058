using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text;

namespace Bookstore.Tests.Support;

/// <summary>
/// A steady load of requests through the API and a /health probe every 250 ms, recorded per request: what the outage
/// and failover tests drive while Redis stalls, dies or fails over. <see cref="Table"/> sums it up per phase.
/// </summary>
internal sealed class ApiLoadRun
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();

    public ConcurrentBag<LoadRequest> Requests { get; } = [];

    public ConcurrentBag<HealthProbe> Probes { get; } = [];

    /// <summary>Time since the run started.</summary>
    public TimeSpan Elapsed => _clock.Elapsed;

    /// <summary>A read of <c>/books/{id}</c>, recorded as <paramref name="kind"/>.</summary>
    public Task ReadBookAsync(HttpClient http, int id, string kind, CancellationToken cancellationToken) =>
        RecordAsync(kind, id, 0, async () =>
        {
            using var response = await http.GetAsync(new Uri($"/books/{id}", UriKind.Relative), cancellationToken);
            return new LoadRequest(default, kind, id, 0, (int)response.StatusCode, default);
        });

    /// <summary>A title change of book <paramref name="id"/> through the admin client, recorded as <c>write</c>.</summary>
    public Task WriteBookAsync(HttpClient admin, int id, int sequence, string title, CancellationToken cancellationToken) =>
        RecordAsync("write", id, sequence, async () =>
        {
            using var response = await admin.PutAsJsonAsync(
                new Uri($"/books/{id}", UriKind.Relative), new { title, authors = new[] { "Load Author" }, price = 9.99m }, cancellationToken);
            return new LoadRequest(default, "write", id, sequence, (int)response.StatusCode, default);
        });

    /// <summary>
    /// Runs one request and records it with its send time and duration; a request that fails without an HTTP answer is
    /// recorded with status 0.
    /// </summary>
    public async Task RecordAsync(string kind, int id, int sequence, Func<Task<LoadRequest>> send)
    {
        var sentAt = _clock.Elapsed;
        try
        {
            var request = await send();
            Requests.Add(request with { SentAt = sentAt, Took = _clock.Elapsed - sentAt });
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            Requests.Add(new LoadRequest(sentAt, kind, id, sequence, 0, _clock.Elapsed - sentAt));
        }
    }

    /// <summary>GET /health every 250 ms until <paramref name="stop"/>.</summary>
    public async Task ProbeAsync(HttpClient http, CancellationToken stop)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(250));
        try
        {
            while (await timer.WaitForNextTickAsync(stop))
            {
                var sentAt = _clock.Elapsed;
                using var response = await http.GetAsync(new Uri("/health", UriKind.Relative), stop);
                Probes.Add(new HealthProbe(sentAt, _clock.Elapsed, (int)response.StatusCode, await response.Content.ReadAsStringAsync(stop)));
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
    }

    public static string Describe(IEnumerable<LoadRequest> requests) =>
        string.Join("; ", requests.Take(10).Select(r => $"t={r.SentAt.TotalSeconds:F2}s {r.Kind} {r.Id} -> {r.Status} in {r.Took.TotalMilliseconds:F0} ms"));

    /// <summary>Per phase (before <paramref name="from"/>, until <paramref name="until"/>, after) and kind: requests, statuses, slowest; and when /health changed.</summary>
    public string Table(string heading, TimeSpan from, TimeSpan until, string during)
    {
        var text = new StringBuilder();
        text.AppendLine(heading);
        text.AppendLine("| phase | kind | requests | statuses | slowest (ms) |");
        text.AppendLine("|---|---|---:|---|---:|");
        foreach (var phase in Requests.GroupBy(r => r.SentAt < from ? "before" : r.SentAt < until ? during : "after").OrderBy(g => g.Min(r => r.SentAt)))
        {
            foreach (var kind in phase.GroupBy(r => r.Kind).OrderBy(g => g.Key, StringComparer.Ordinal))
            {
                var statuses = string.Join(' ', kind.GroupBy(r => r.Status).OrderBy(g => g.Key).Select(g => $"{g.Key}×{g.Count()}"));
                text.AppendLine(CultureInfo.InvariantCulture, $"| {phase.Key} | {kind.Key} | {kind.Count()} | {statuses} | {kind.Max(r => r.Took.TotalMilliseconds):F0} |");
            }
        }

        string? last = null;
        foreach (var probe in Probes.OrderBy(p => p.SentAt))
        {
            if (probe.Body != last)
            {
                text.AppendLine(CultureInfo.InvariantCulture, $"/health {probe.Body} from {probe.SentAt.TotalSeconds:F2} s");
                last = probe.Body;
            }
        }

        return text.ToString();
    }
}

/// <summary>One request of an <see cref="ApiLoadRun"/>; status 0 when no HTTP answer came.</summary>
internal sealed record LoadRequest(TimeSpan SentAt, string Kind, int Id, int Sequence, int Status, TimeSpan Took)
{
    /// <summary>A sign-in's session token, when it got one.</summary>
    public string? Token { get; init; }

    /// <summary>Whether the answer carried <c>Retry-After</c>.</summary>
    public bool RetryAfter { get; init; }
}

internal sealed record HealthProbe(TimeSpan SentAt, TimeSpan AnsweredAt, int Status, string Body);
