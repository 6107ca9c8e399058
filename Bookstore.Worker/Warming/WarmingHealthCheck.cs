using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Bookstore.Worker.Warming;

/// <summary>Healthy once a warming run completed (<c>ready</c>); Degraded while starting, warming or backing off.</summary>
public sealed class WarmingHealthCheck(WarmerState state) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var status = state.Current;
        var data = new Dictionary<string, object> { ["phase"] = status.Phase.ToString().ToLowerInvariant(), ["runs"] = status.Runs };
        return Task.FromResult(status.Phase == WarmingPhase.Ready
            ? HealthCheckResult.Healthy($"Cache warm: {status.LastWarmed} books.", data)
            : new HealthCheckResult(context.Registration.FailureStatus, $"Cache warming is {status.Phase.ToString().ToLowerInvariant()}: {status.LastError}", data: data));
    }
}
