using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;

namespace Bookstore.Tests.Support;

internal static class AppHostStartup
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(120);

    /// <summary>Starts the app and waits (at most <see cref="Timeout"/>) until cache and api are healthy and the worker runs.</summary>
    public static async Task StartServicesAsync(this DistributedApplication app, CancellationToken cancellationToken)
    {
        await app.StartAsync(cancellationToken);
        using var startup = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        startup.CancelAfter(Timeout);
        await app.ResourceNotifications.WaitForResourceHealthyAsync("cache", startup.Token);
        await app.ResourceNotifications.WaitForResourceHealthyAsync("api", startup.Token);
        await app.ResourceNotifications.WaitForResourceAsync("worker", KnownResourceStates.Running, startup.Token);
    }
}
