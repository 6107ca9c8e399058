using System.Globalization;
using System.Text.Json;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Bookstore.AppHost.Prometheus;

/// <summary>
/// Keeps Prometheus's target files (<c>targets-{job}.json</c>, read through <c>file_sd_configs</c>) in step with the
/// running instances of each scraped service. A service with replicas (api in Production) is reached through one
/// proxied port that hands each connection to one replica, so a scrape there would read a different replica's counters
/// each time; Prometheus must scrape every replica on its own management port. DCP gives each replica that port when it
/// starts (the <c>Bookstore__Management__Port</c> the service is told), and a restart may give another, so the files are
/// rewritten whenever an instance starts or stops. Each target carries the instance's name as the <c>replica</c> label.
/// </summary>
internal sealed partial class PrometheusScrapeTargets(
    IReadOnlyList<string> jobs, string directory, string host, ResourceNotificationService notifications, ILogger<PrometheusScrapeTargets> logger)
    : BackgroundService
{
    public static string FileName(string job) => $"targets-{job}.json";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Instance name -> (job, management port) of the instances running now.
        var running = new Dictionary<string, (string Job, int Port)>(StringComparer.Ordinal);
        try
        {
            foreach (var job in jobs)
            {
                await WriteAsync(job, running, stoppingToken).ConfigureAwait(false);
            }

            await foreach (var update in notifications.WatchAsync(stoppingToken).ConfigureAwait(false))
            {
                var job = update.Resource.Name;
                if (!jobs.Contains(job, StringComparer.Ordinal))
                {
                    continue;
                }

                var port = update.Snapshot.State?.Text == KnownResourceStates.Running ? ManagementPort(update.Snapshot) : null;
                var changed = port is { } p
                    ? !running.TryGetValue(update.ResourceId, out var known) || known.Port != p
                    : running.ContainsKey(update.ResourceId);
                if (!changed)
                {
                    continue;
                }

                if (port is { } started)
                {
                    running[update.ResourceId] = (job, started);
                }
                else
                {
                    running.Remove(update.ResourceId);
                }

                await WriteAsync(job, running, stoppingToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // The AppHost stops.
        }
    }

    /// <summary>The port the instance serves <c>/metrics</c> on, as its environment tells it.</summary>
    internal static int? ManagementPort(CustomResourceSnapshot snapshot) =>
        snapshot.EnvironmentVariables.FirstOrDefault(v => v.Name == ManagementEndpointExtensions.PortVariable)?.Value is { } text
        && int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var port)
            ? port
            : null;

    /// <summary>Written to a temporary file and moved into place, so Prometheus never reads half a file.</summary>
    private async Task WriteAsync(string job, Dictionary<string, (string Job, int Port)> running, CancellationToken cancellationToken)
    {
        var groups = running.Where(r => r.Value.Job == job).OrderBy(r => r.Key, StringComparer.Ordinal)
            .Select(r => new TargetGroup([string.Create(CultureInfo.InvariantCulture, $"{host}:{r.Value.Port}")], new() { ["replica"] = r.Key }))
            .ToList();
        var path = Path.Combine(directory, FileName(job));
        var temporary = path + ".tmp";
        try
        {
            Directory.CreateDirectory(directory);
            await File.WriteAllTextAsync(temporary, JsonSerializer.Serialize(groups, JsonSerializerOptions.Web), cancellationToken).ConfigureAwait(false);
            File.Move(temporary, path, overwrite: true);
            LogTargets(job, groups.Count);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            LogWriteFailed(ex, path);
        }
    }

    private sealed record TargetGroup(IReadOnlyList<string> Targets, Dictionary<string, string> Labels);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Prometheus scrapes {Count} instances of {Job}")]
    private partial void LogTargets(string job, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Prometheus's target file {Path} could not be written; it scrapes the targets it last read")]
    private partial void LogWriteFailed(Exception exception, string path);
}
