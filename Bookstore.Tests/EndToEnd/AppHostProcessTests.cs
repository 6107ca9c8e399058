using System.Diagnostics;
using Bookstore.Tests.Support;

namespace Bookstore.Tests.EndToEnd;

/// <summary>The AppHost run as its own process, as a user runs it (<see cref="AppHostProcess"/>): each test starts and stops one.</summary>
[Trait("Category", "EndToEnd")]
[Collection(AppHostCollection.Name)]
public sealed class AppHostProcessTests
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(120);

    /// <summary>
    /// Local: one redis-server and one api. Production: the replicated topology (two data nodes, three Sentinels) and two
    /// api replicas, as <c>dotnet run --project Bookstore.AppHost -- --Bookstore:Profile=Production</c> starts them.
    /// </summary>
    /// <remarks>
    /// Production's budget is 10 s: the services stop first (two api replicas and the worker flush their telemetry to the
    /// dashboard), then DCP stops five Redis processes, each writing its RDB and AOF. 1.9 s on a quiet machine; over 5 s
    /// once on CI's busy cores.
    /// </remarks>
    [Theory(Timeout = 300_000)]
    [InlineData("TERM", "Local", 1, 1, 5)]
    [InlineData("INT", "Production", 5, 2, 10)]
    public async Task SignalToTheAppHostEndsRedisPrometheusAndTheServicesWithinSeconds(string signal, string profile, int redisProcesses, int apiReplicas, int seconds)
    {
        var budget = TimeSpan.FromSeconds(seconds);
        var ct = TestContext.Current.CancellationToken;
        using var data = new TemporaryDirectory("bookstore-signal-");
        await using var appHost = AppHostProcess.Start(
            [$"--Bookstore:Profile={profile}", "--Bookstore:Redis:Mode=local", $"--Bookstore:Redis:DataDirectory={data.Path}",
             "--Bookstore:Prometheus:Mode=local", $"--Bookstore:Prometheus:DataDirectory={data.Path}/prometheus"]);

        var started = await LinuxProcesses.WaitUntilAsync(
            () => LinuxProcesses.RedisProcessesUnder(data.Path).Count == redisProcesses
                  && ServiceProcesses(appHost, "Bookstore.Api/bin/").Count == apiReplicas
                  && ServiceProcesses(appHost, "Bookstore.Worker/bin/").Count == 1,
            StartTimeout,
            ct);
        Assert.True(started,
            $"Expected {redisProcesses} redis processes, {apiReplicas} api and a worker; running: {LinuxProcesses.RedisProcessesUnder(data.Path).Count} redis, "
            + $"{ServiceProcesses(appHost, "Bookstore.Api/bin/").Count} api, {ServiceProcesses(appHost, "Bookstore.Worker/bin/").Count} worker:\n" + appHost.Output);

        Assert.True(
            await LinuxProcesses.WaitUntilAsync(() => LinuxProcesses.WithCommandLineContaining($"--config.file={data.Path}/prometheus").Count == 1, StartTimeout, ct),
            "Prometheus did not start:\n" + appHost.Output);

        // Taken before the signal: once the AppHost has exited, its children are re-parented and no longer tell whose they are.
        var startedByAppHost = LinuxProcesses.StartedBy(appHost.Id);
        var signalled = Stopwatch.StartNew();
        await appHost.SignalAsync(signal, ct);

        // Everything the AppHost runs for the user (redis-server, Prometheus, the dashboard, the services and their
        // `dotnet run` processes) is gone within the budget of the signal. DCP's own processes are Aspire's orchestrator, which
        // watches the AppHost and cleans up after it exits; they get the old 30 s.
        var services = startedByAppHost.Where(pid => LinuxProcesses.NameOf(pid) is not "dcp").ToList();
        Assert.Contains(services, pid => LinuxProcesses.CommandLineOf(pid)?.StartsWith("redis-server", StringComparison.Ordinal) == true);
        var servicesGone = await LinuxProcesses.WaitUntilAsync(() => !services.Any(LinuxProcesses.IsAlive), budget, ct);
        var servicesSeconds = signalled.Elapsed.TotalSeconds;
        Assert.True(servicesGone, $"Left running {seconds} s after SIG{signal}: " + Describe(services.Where(LinuxProcesses.IsAlive)));
        Assert.True(await appHost.WaitForExitAsync(budget, ct), $"The AppHost did not exit within {seconds} s of SIG{signal}:\n" + appHost.Output);

        var everythingGone = await LinuxProcesses.WaitUntilAsync(() => !startedByAppHost.Any(LinuxProcesses.IsAlive), TimeSpan.FromSeconds(30), ct);
        Assert.True(everythingGone, $"Left running 30 s after SIG{signal}: " + Describe(startedByAppHost.Where(LinuxProcesses.IsAlive)));
        TestContext.Current.TestOutputHelper?.WriteLine(
            $"{profile}, SIG{signal}: services, Redis and Prometheus gone after {servicesSeconds:F1} s, DCP after {signalled.Elapsed.TotalSeconds:F1} s");
    }

    private static string Describe(IEnumerable<int> pids) => string.Join(", ", pids.Select(pid => $"{pid} {LinuxProcesses.CommandLineOf(pid)}"));

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
