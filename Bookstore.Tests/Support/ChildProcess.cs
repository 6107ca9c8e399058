using System.Collections.Concurrent;
using System.Diagnostics;
using Bookstore.AppHost.Redis;

namespace Bookstore.Tests.Support;

/// <summary>
/// A process a test starts (a service, one of its commands, an AppHost), its output collected so a test can wait for a
/// line and show it on failure; killed with its children when disposed.
/// </summary>
internal sealed class ChildProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _output = new();

    private ChildProcess(Process process)
    {
        _process = process;
        _process.OutputDataReceived += (_, e) => Collect(e.Data);
        _process.ErrorDataReceived += (_, e) => Collect(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    public IReadOnlyList<string> Lines => [.. _output];

    public string Output => string.Join(Environment.NewLine, _output);

    /// <summary>Debug or Release: the configuration these tests were built in.</summary>
    public static string BuildConfiguration => new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar)).Parent!.Name;

    /// <summary>Starts <paramref name="startInfo"/> with its output redirected.</summary>
    public static ChildProcess Start(ProcessStartInfo startInfo)
    {
        startInfo.RedirectStandardOutput = true;
        startInfo.RedirectStandardError = true;
        startInfo.UseShellExecute = false;
        return new ChildProcess(Process.Start(startInfo) ?? throw new InvalidOperationException($"{startInfo.FileName} did not start."));
    }

    /// <summary>
    /// Runs <c>dotnet {arguments}</c> in <paramref name="workingDirectory"/> with exactly the settings a test gives: the test
    /// process's own <c>REDIS_*</c>, <c>ConnectionStrings__*</c> and <c>Bookstore__*</c> variables are removed first.
    /// </summary>
    public static ChildProcess StartDotnet(IEnumerable<string> arguments, string workingDirectory, IReadOnlyDictionary<string, string> environment)
    {
        var startInfo = new ProcessStartInfo(DotnetExecutable())
        {
            WorkingDirectory = workingDirectory,
        };
        foreach (var argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        foreach (var name in startInfo.Environment.Keys.Where(IsServiceSetting).ToList())
        {
            startInfo.Environment.Remove(name);
        }

        foreach (var (name, value) in environment)
        {
            startInfo.Environment[name] = value;
        }

        return Start(startInfo);
    }

    /// <summary>The build output of a project of this solution (same configuration as these tests), where its appsettings.json ships.</summary>
    public static string OutputDirectory(string projectName)
    {
        var testOutput = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        return Path.Combine(RedisServer.RepositoryRoot(), projectName, "bin", BuildConfiguration, testOutput.Name);
    }

    /// <summary>The dotnet that runs these tests (DOTNET_HOST_PATH), else the one on PATH with its links resolved.</summary>
    public static string DotnetExecutable() =>
        Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host)
            ? host
            : RedisModeResolver.FindOnPath("dotnet") is { } onPath
                ? new FileInfo(onPath).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? onPath
                : throw new InvalidOperationException("dotnet was not found on PATH.");

    /// <summary>True once a line contains <paramref name="text"/>; false after the timeout or once the process has exited without it.</summary>
    public async Task<bool> WaitForOutputAsync(string text, TimeSpan timeout, CancellationToken cancellationToken)
    {
        bool Printed() => _output.Any(line => line.Contains(text, StringComparison.Ordinal));
        await LinuxProcesses.WaitUntilAsync(() => Printed() || _process.HasExited, timeout, cancellationToken);
        return Printed();
    }

    public async Task<bool> WaitForExitAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
            return true;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }

    private static bool IsServiceSetting(string name) =>
        name.StartsWith("REDIS_", StringComparison.OrdinalIgnoreCase)
        || name.StartsWith("ConnectionStrings__", StringComparison.OrdinalIgnoreCase)
        || name.StartsWith("Bookstore__", StringComparison.OrdinalIgnoreCase);

    private void Collect(string? line)
    {
        if (line is not null)
        {
            _output.Enqueue(line);
        }
    }
}
