using Bookstore.Worker.Heartbeat;

namespace Microsoft.Extensions.Hosting;

internal static class WorkerHeartbeatExtensions
{
    public static IHostApplicationBuilder AddWorkerHeartbeat(this IHostApplicationBuilder builder)
    {
        builder.Services.AddHostedService<WorkerHeartbeat>();
        return builder;
    }
}
