using Bookstore.Tests.Support;

namespace Bookstore.Tests.EndToEnd;

/// <summary>The AppHost run as its own process, as a user runs it (<see cref="AppHostProcess"/>): each test starts and stops one.</summary>
[Trait("Category", "EndToEnd")]
[Collection(AppHostCollection.Name)]
public sealed class AppHostProcessTests
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(120);

    [Theory(Timeout = 300_000)]
    [InlineData("TERM")]
    [InlineData("INT")]
    public async Task SignalToTheAppHostLeavesNoRedisApiOrWorkerRunning(string signal)
    {
        var ct = TestContext.Current.CancellationToken;
        using var data = new TemporaryDirectory("bookstore-signal-");
        await using var appHost = AppHostProcess.Start(
            ["--Bookstore:Redis:Mode=local", $"--Bookstore:Redis:DataDirectory={data.Path}",
             "--Bookstore:Prometheus:Mode=local", $"--Bookstore:Prometheus:DataDirectory={data.Path}/prometheus"]);

        var started = await LinuxProcesses.WaitUntilAsync(
            () => LinuxProcesses.RedisServersIn(data.Path).Count == 1
                  && ServiceProcesses(appHost, "Bookstore.Api/bin/").Count == 1
                  && ServiceProcesses(appHost, "Bookstore.Worker/bin/").Count == 1,
            StartTimeout,
            ct);
        Assert.True(started, "redis-server, api and worker did not all start:\n" + appHost.Output);

        await appHost.SignalAsync(signal, ct);
        Assert.True(await appHost.WaitForExitAsync(TimeSpan.FromSeconds(60), ct), $"The AppHost did not exit within 60 s of SIG{signal}:\n" + appHost.Output);

        var clean = await LinuxProcesses.WaitUntilAsync(
            () => LinuxProcesses.RedisServersIn(data.Path).Count == 0 && ServiceProcesses(appHost).Count == 0
                  && LinuxProcesses.WithCommandLineContaining($"--config.file={data.Path}/prometheus").Count == 0,
            TimeSpan.FromSeconds(30),
            ct);
        Assert.True(clean, $"Left running after SIG{signal}: redis-server {LinuxProcesses.RedisServersIn(data.Path).Count}, services {ServiceProcesses(appHost).Count}");
    }

    [Fact(Timeout = 120_000)]
    public async Task AutoModeWithoutContainerRuntimeOrRedisServerFailsAtOnceNamingBothFixes()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var appHost = AppHostProcess.Start(
            ["--Bookstore:Redis:Mode=auto"],
            new Dictionary<string, string?> { ["PATH"] = "/nonexistent", ["ASPIRE_CONTAINER_RUNTIME"] = null });

        Assert.True(await appHost.WaitForExitAsync(TimeSpan.FromSeconds(30), ct), "The AppHost kept running without any Redis:\n" + appHost.Output);
        Assert.NotEqual(0, appHost.ExitCode);
        Assert.Contains("Docker or Podman", appHost.Output, StringComparison.Ordinal);
        Assert.Contains("redis-server", appHost.Output, StringComparison.Ordinal);
    }

    /// <summary>
    /// The service executables and the <c>dotnet run</c> processes DCP starts them with, of <paramref name="appHost"/>
    /// only: another AppHost's (another test's, another checkout's) do not count.
    /// </summary>
    private static IReadOnlyList<int> ServiceProcesses(AppHostProcess appHost) =>
        [.. ServiceProcesses(appHost, "Bookstore.Api"), .. ServiceProcesses(appHost, "Bookstore.Worker")];

    /// <summary>Processes of <paramref name="appHost"/> whose command line names <paramref name="path"/> in this checkout.</summary>
    private static IReadOnlyList<int> ServiceProcesses(AppHostProcess appHost, string path) =>
        LinuxProcesses.WithCommandLineContaining(Path.Combine(RedisServer.RepositoryRoot(), path), "OTEL_EXPORTER_OTLP_ENDPOINT", appHost.OtlpEndpoint);
}
