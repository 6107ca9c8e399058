using System.Diagnostics;

namespace Bookstore.AppHost.Redis;

/// <summary>Turns the configured <see cref="RedisMode"/> into the mode that will run on this machine.</summary>
public sealed class RedisModeResolver(Func<bool> containerRuntimeAnswers, Func<string?> findRedisServer)
{
    public const string ConfigurationKey = "Bookstore:Redis:Mode";

    public static RedisModeResolver ForThisMachine(string? containerRuntime) =>
        new(() => ContainerRuntimeAnswers(containerRuntime), () => FindOnPath("redis-server"));

    public static RedisMode ParseMode(string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return RedisMode.Auto;
        }

        return Enum.TryParse<RedisMode>(value.Trim(), ignoreCase: true, out var mode) && Enum.IsDefined(mode)
            ? mode
            : throw new InvalidOperationException(
                $"'{ConfigurationKey}' is '{value}'. Use one of: auto, container, local, external.");
    }

    public RedisMode Resolve(RedisMode requested)
    {
        if (requested != RedisMode.Auto)
        {
            return requested;
        }

        if (containerRuntimeAnswers())
        {
            return RedisMode.Container;
        }

        if (findRedisServer() is not null)
        {
            return RedisMode.Local;
        }

        throw new InvalidOperationException(
            "No way to run Redis was found: no container runtime answered and 'redis-server' is not on PATH. " +
            "Fix it in one of two ways: start Docker or Podman (the 'container' mode), " +
            "or install redis-server so it is on PATH, e.g. 'sudo apt-get install redis-server' or 'brew install redis' (the 'local' mode). " +
            $"To use a Redis that already runs, set '{ConfigurationKey}=external' and 'ConnectionStrings:cache'.");
    }

    /// <summary>Full path of an executable on PATH, or null.</summary>
    public static string? FindOnPath(string fileName)
    {
        var path = Environment.GetEnvironmentVariable("PATH");
        if (string.IsNullOrEmpty(path))
        {
            return null;
        }

        foreach (var directory in path.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(directory, fileName);
            if (File.Exists(candidate) && IsExecutable(candidate))
            {
                return candidate;
            }
        }

        return null;
    }

    private static bool IsExecutable(string file) =>
        OperatingSystem.IsWindows()
        || (File.GetUnixFileMode(file) & (UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute)) != 0;

    /// <summary>
    /// True when the configured runtime (docker by default, as in Aspire) or, with none configured, podman
    /// answers <c>info</c>. A client without a running engine fails this within the timeout.
    /// </summary>
    public static bool ContainerRuntimeAnswers(string? configuredRuntime) =>
        // Redis and Prometheus both ask in 'auto' mode; the answer cannot change during start-up, so ask once.
        ProbedRuntimes.GetOrAdd(configuredRuntime ?? string.Empty, ProbeContainerRuntime);

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, bool> ProbedRuntimes = new(StringComparer.Ordinal);

    private static bool ProbeContainerRuntime(string configuredRuntime)
    {
        string[] candidates = string.IsNullOrWhiteSpace(configuredRuntime) ? ["docker", "podman"] : [configuredRuntime];
        return candidates.Any(runtime => FindOnPath(runtime) is { } executable && AnswersInfo(executable));
    }

    private static bool AnswersInfo(string executable)
    {
        var startInfo = new ProcessStartInfo(executable, ["info", "--format", "{{.ServerVersion}}"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };

        try
        {
            using var process = Process.Start(startInfo);
            if (process is null)
            {
                return false;
            }

            // AppHost start-up, not a request path: a bounded wait keeps 'auto' decisive within seconds.
            if (!process.WaitForExit(TimeSpan.FromSeconds(5)))
            {
                process.Kill(entireProcessTree: true);
                return false;
            }

            return process.ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return false;
        }
    }
}
