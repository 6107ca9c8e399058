using System.Collections.Concurrent;
using System.Diagnostics;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Bookstore.Tests.Support;

/// <summary>
/// The latest dashboard snapshot of every resource instance of a started AppHost (each replica of a project is one),
/// kept up to date from <see cref="ResourceNotificationService.WatchAsync"/> for as long as this object lives.
/// </summary>
internal sealed class ResourceStates : IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, ResourceEvent> _latest = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, TimeSpan> _firstHealthy = new(StringComparer.Ordinal);
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _watching;
    private readonly DistributedApplication _app;

    public ResourceStates(DistributedApplication app)
    {
        _app = app;
        _watching = WatchAsync(app.ResourceNotifications, _stop.Token);
    }

    /// <summary>The instances of <paramref name="name"/> seen so far, by their id (e.g. <c>api-abcdefgh</c>).</summary>
    public IReadOnlyList<ResourceEvent> Instances(string name) =>
        [.. _latest.Values.Where(e => e.Resource.Name == name).OrderBy(e => e.ResourceId, StringComparer.Ordinal)];

    public ResourceEvent Single(string name) => Assert.Single(Instances(name));

    /// <summary>A custom property of the resource's snapshot, e.g. <c>redis.role</c>.</summary>
    public string? Property(string name, string property) =>
        Single(name).Snapshot.Properties.FirstOrDefault(p => p.Name == property)?.Value?.ToString();

    /// <summary>
    /// Waits until every resource of the model that runs (not parameters, the dashboard, or what starts only when asked,
    /// such as Aspire's project rebuilders) is healthy in as many
    /// instances as it has replicas; returns how long that took from <paramref name="since"/>. Fails naming the
    /// resources that were not, with their state and health reports.
    /// </summary>
    public async Task<TimeSpan> WaitUntilEveryResourceIsHealthyAsync(Stopwatch since, TimeSpan timeout, CancellationToken ct)
    {
        var model = _app.Services.GetRequiredService<DistributedApplicationModel>();
        var expected = model.Resources
            .Where(r => r is not ParameterResource
                        && !r.Name.StartsWith("aspire-dashboard", StringComparison.Ordinal)
                        && !r.Annotations.OfType<ExplicitStartupAnnotation>().Any())
            .ToDictionary(r => r.Name, r => r.Annotations.OfType<ReplicaAnnotation>().LastOrDefault()?.Replicas ?? 1, StringComparer.Ordinal);
        var healthy = await LinuxProcesses.WaitUntilAsync(
            () => expected.All(e => Instances(e.Key).Count(i => i.Snapshot.HealthStatus == HealthStatus.Healthy) == e.Value),
            timeout,
            ct);
        var elapsed = since.Elapsed;
        Assert.True(healthy, $"Not every resource was healthy {timeout.TotalSeconds:F0} s after the start:\n" + Describe(expected.Keys));
        return elapsed;
    }

    /// <summary>When each instance was first healthy, from this object's creation, earliest first: "cache 8.1 s, …".</summary>
    public string HealthyTimes() => string.Join(", ", _firstHealthy.OrderBy(h => h.Value).Select(h => $"{h.Key} {h.Value.TotalSeconds:F1} s"));

    /// <summary>One line per instance: its state, health and reports, for a failure message.</summary>
    public string Describe(IEnumerable<string> names) => string.Join('\n', names.SelectMany(name =>
    {
        var instances = Instances(name);
        return instances.Count == 0
            ? [$"{name}: no snapshot"]
            : instances.Select(i => $"{i.ResourceId}: {i.Snapshot.State?.Text} {i.Snapshot.HealthStatus} "
                                    + string.Join("; ", i.Snapshot.HealthReports.Select(r => $"{r.Name}={r.Status} {r.Description} {r.ExceptionText}")));
    }));

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _watching;
        _stop.Dispose();
    }

    private async Task WatchAsync(ResourceNotificationService notifications, CancellationToken ct)
    {
        try
        {
            await foreach (var update in notifications.WatchAsync(ct))
            {
                _latest[update.ResourceId] = update;
                if (update.Snapshot.HealthStatus == HealthStatus.Healthy && update.Resource is not ParameterResource)
                {
                    _firstHealthy.TryAdd(update.ResourceId, _clock.Elapsed);
                }
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // Disposed.
        }
    }
}
