using Aspire.Hosting;
using Aspire.Hosting.Testing;
using Bookstore.Tests.Support;

namespace Bookstore.Tests.EndToEnd;

/// <summary>
/// The real AppHost in <c>local</c> mode (redis-server, Prometheus, api and worker started by DCP), started once for
/// the tests of a class that only use it, and ready once the worker's first warming run is done. Disposing it is
/// checked too: the AppHost stops the redis-server it started.
/// </summary>
public sealed class LocalAppHostFixture : IAsyncLifetime
{
    private readonly TemporaryDirectory _data = new("bookstore-e2e-");
    private DistributedApplication? _app;

    public DistributedApplication App => _app ?? throw new InvalidOperationException("The AppHost fixture has not been started.");

    /// <summary>Redis's data folder (its working directory, where the AOF goes).</summary>
    public string DataDirectory => _data.Path;

    public async ValueTask InitializeAsync()
    {
        var ct = TestContext.Current.CancellationToken;
        var builder = await AppHostBuilder.CreateAsync(
            ["--Bookstore:Redis:Mode=local", $"--Bookstore:Redis:DataDirectory={_data.Path}",
             "--Bookstore:Prometheus:Mode=local", $"--Bookstore:Prometheus:DataDirectory={_data.Path}/prometheus"], ct);
        _app = await builder.BuildAsync(ct);
        await _app.StartServicesAsync(ct);

        // The worker turns healthy once its first warming run, which reads from the api, is done: from then on only
        // the tests call the api.
        using var firstRun = CancellationTokenSource.CreateLinkedTokenSource(ct);
        firstRun.CancelAfter(AppHostStartup.Timeout);
        await _app.ResourceNotifications.WaitForResourceHealthyAsync("worker", firstRun.Token);
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.DisposeAsync();
            if (!await LinuxProcesses.WaitUntilAsync(() => LinuxProcesses.RedisServersIn(_data.Path).Count == 0, TimeSpan.FromSeconds(30), CancellationToken.None))
            {
                throw new InvalidOperationException("redis-server was still running 30 s after the AppHost was disposed.");
            }
        }

        _data.Dispose();
    }
}
