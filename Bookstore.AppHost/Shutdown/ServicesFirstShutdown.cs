using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Aspire.Hosting;

/// <summary>
/// On Ctrl+C or SIGTERM, stops the services (projects and Prometheus) while the dashboard and Redis still run, and waits
/// for them. Left to DCP, they were signalled only after the AppHost had returned, with the dashboard's OTLP endpoint
/// already gone: their final telemetry export retried against it for its timeout, per signal, and they outlived the
/// AppHost by about 12 s. Registered after Aspire's own services, so it stops before them.
/// </summary>
public static class ServicesFirstShutdownExtensions
{
    /// <summary>Stops api, worker and Prometheus first when the AppHost stops (see <see cref="ServicesFirstShutdown"/>).</summary>
    public static IDistributedApplicationBuilder StopServicesFirstOnShutdown(this IDistributedApplicationBuilder builder)
    {
        builder.Services.AddHostedService<ServicesFirstShutdown>();
        return builder;
    }
}

internal sealed partial class ServicesFirstShutdown(
    DistributedApplicationModel model,
    ResourceCommandService commands,
    ResourceNotificationService notifications,
    ILogger<ServicesFirstShutdown> logger) : IHostedService
{
    /// <summary>How long the services get to stop before DCP's own shutdown takes over (which ends them anyway).</summary>
    internal static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(10);

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(StopTimeout);
        var services = model.Resources.Where(r => r is ProjectResource || r.Name == "prometheus").ToList();
        try
        {
            await Task.WhenAll(services.Select(service => StopAsync(service, timeout.Token))).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            LogStopTimedOut(StopTimeout.TotalSeconds);
        }
    }

    private async Task StopAsync(IResource service, CancellationToken cancellationToken)
    {
        // Watch first: the stop may complete before a watch started afterwards would see it. The watch replays every
        // instance's current state (each replica of a project is one), then follows them until all have ended.
        var ended = WaitUntilEndedAsync(service.Name, cancellationToken);
        var result = await commands.ExecuteCommandAsync(service, KnownResourceCommands.StopCommand, cancellationToken).ConfigureAwait(false);
        if (!result.Success)
        {
            // Not started (a dependency failed, or the AppHost stops during start): nothing to wait for.
            LogNotStopped(service.Name, result.Message);
            return;
        }

        await ended.ConfigureAwait(false);
    }

    private async Task WaitUntilEndedAsync(string name, CancellationToken cancellationToken)
    {
        var running = new Dictionary<string, bool>(StringComparer.Ordinal);
        await foreach (var update in notifications.WatchAsync(cancellationToken).ConfigureAwait(false))
        {
            if (update.Resource.Name != name)
            {
                continue;
            }

            running[update.ResourceId] = !KnownResourceStates.TerminalStates.Contains(update.Snapshot.State?.Text);
            if (!running.ContainsValue(true))
            {
                return;
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "{Resource} was not stopped ahead of the AppHost: {Reason}")]
    private partial void LogNotStopped(string resource, string? reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The services did not stop within {Seconds} s of the AppHost's shutdown; DCP ends them")]
    private partial void LogStopTimedOut(double seconds);
}
