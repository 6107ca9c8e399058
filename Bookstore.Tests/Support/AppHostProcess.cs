using System.Diagnostics;
using Bookstore.AppHost.Local;

namespace Bookstore.Tests.Support;

/// <summary>
/// The AppHost run as a user runs it: its own process, its own dashboard, stopped by a signal.
/// Output is collected so a test can wait for a line and show it on failure.
/// </summary>
internal sealed class AppHostProcess : IAsyncDisposable
{
    private readonly ChildProcess _process;

    private AppHostProcess(ChildProcess process, string otlpEndpoint)
    {
        _process = process;
        OtlpEndpoint = otlpEndpoint;
    }

    public int Id => _process.Id;

    /// <summary>
    /// The OTLP endpoint of this AppHost's dashboard. Aspire gives it to every service the AppHost starts
    /// (<c>OTEL_EXPORTER_OTLP_ENDPOINT</c>), which tells its processes from those of another AppHost.
    /// </summary>
    public string OtlpEndpoint { get; }

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    public string Output => _process.Output;

    public static AppHostProcess Start(IEnumerable<string> args, IReadOnlyDictionary<string, string?>? environment = null)
    {
        // Started as from a terminal, where SIGINT (Ctrl+C) is never ignored. When the test run itself was started in the
        // background (`cmd &`, nohup), SIGINT and SIGQUIT are ignored and every child inherits that: .NET then rightly installs
        // no Ctrl+C handler and the SIGINT test would see an AppHost that cannot be interrupted. env puts the default back.
        var startInfo = new ProcessStartInfo("/usr/bin/env")
        {
            WorkingDirectory = AppHostOutputDirectory(),
        };
        startInfo.ArgumentList.Add("--default-signal=INT,QUIT");
        startInfo.ArgumentList.Add(ChildProcess.DotnetExecutable());
        startInfo.ArgumentList.Add("exec");
        startInfo.ArgumentList.Add(Path.Combine(AppHostOutputDirectory(), "Bookstore.AppHost.dll"));
        foreach (var arg in args)
        {
            startInfo.ArgumentList.Add(arg);
        }

        // What the AppHost's "http" launch profile sets, on ports free right now.
        startInfo.Environment["DOTNET_ENVIRONMENT"] = "Development";
        startInfo.Environment["ASPNETCORE_ENVIRONMENT"] = "Development";
        startInfo.Environment["ASPNETCORE_URLS"] = $"http://127.0.0.1:{LoopbackPort.FindFree()}";
        var otlpEndpoint = $"http://127.0.0.1:{LoopbackPort.FindFree()}";
        startInfo.Environment["ASPIRE_DASHBOARD_OTLP_ENDPOINT_URL"] = otlpEndpoint;
        startInfo.Environment["ASPIRE_RESOURCE_SERVICE_ENDPOINT_URL"] = $"http://127.0.0.1:{LoopbackPort.FindFree()}";
        startInfo.Environment["ASPIRE_ALLOW_UNSECURED_TRANSPORT"] = "true";
        foreach (var (name, value) in environment ?? new Dictionary<string, string?>())
        {
            if (value is null)
            {
                startInfo.Environment.Remove(name);
            }
            else
            {
                startInfo.Environment[name] = value;
            }
        }

        return new AppHostProcess(ChildProcess.Start(startInfo), otlpEndpoint);
    }

    public Task<bool> WaitForOutputAsync(string text, TimeSpan timeout, CancellationToken cancellationToken) =>
        _process.WaitForOutputAsync(text, timeout, cancellationToken);

    public async Task SignalAsync(string signal, CancellationToken cancellationToken)
    {
        using var kill = Process.Start("kill", ["-s", signal, _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        await kill.WaitForExitAsync(cancellationToken);
    }

    public Task<bool> WaitForExitAsync(TimeSpan timeout, CancellationToken cancellationToken) =>
        _process.WaitForExitAsync(timeout, cancellationToken);

    public ValueTask DisposeAsync() => _process.DisposeAsync();

    /// <summary>The AppHost's own build output (same configuration as these tests).</summary>
    public static string AppHostOutputDirectory()
    {
        var testOutput = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var configuration = testOutput.Parent!.Name;
        var projectPath = Projects.Bookstore_AppHost.ProjectPath;
        var projectDirectory = Directory.Exists(projectPath) ? projectPath : Path.GetDirectoryName(projectPath)!;
        return Path.Combine(projectDirectory, "bin", configuration, testOutput.Name);
    }
}
