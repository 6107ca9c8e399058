namespace Bookstore.Tests.Support;

/// <summary>Finds processes through /proc, so a test can tell which processes an AppHost left behind.</summary>
internal static class LinuxProcesses
{
    /// <summary>Pids of processes whose command line (arguments joined by spaces) contains <paramref name="text"/>.</summary>
    public static IReadOnlyList<int> WithCommandLineContaining(string text) =>
        AllPids().Where(pid => ReadCommandLine(pid)?.Contains(text, StringComparison.Ordinal) == true).ToList();

    /// <summary>
    /// Pids of processes whose command line contains <paramref name="text"/> and whose environment holds
    /// <paramref name="variable"/> set to <paramref name="value"/>.
    /// </summary>
    public static IReadOnlyList<int> WithCommandLineContaining(string text, string variable, string value) =>
        WithCommandLineContaining(text).Where(pid => ReadEnvironment(pid)?.Contains($"{variable}={value}") == true).ToList();

    /// <summary>Pids of redis-server processes whose working directory is <paramref name="directory"/>.</summary>
    public static IReadOnlyList<int> RedisServersIn(string directory)
    {
        var full = Path.GetFullPath(directory).TrimEnd('/');
        return AllPids()
            .Where(pid => ReadCommandLine(pid)?.StartsWith("redis-server", StringComparison.Ordinal) == true
                          && string.Equals(ReadWorkingDirectory(pid), full, StringComparison.Ordinal))
            .ToList();
    }

    /// <summary>
    /// Pids of redis-server processes, Sentinels included (<c>redis-server … [sentinel]</c> or <c>redis-sentinel</c>),
    /// whose working directory is <paramref name="directory"/> or a folder below it: the replicated topology gives each
    /// process a folder of its own.
    /// </summary>
    public static IReadOnlyList<int> RedisProcessesUnder(string directory)
    {
        var full = Path.GetFullPath(directory).TrimEnd('/');
        return AllPids()
            .Where(pid => ReadCommandLine(pid) is { } command
                          && (command.StartsWith("redis-server", StringComparison.Ordinal) || command.StartsWith("redis-sentinel", StringComparison.Ordinal))
                          && ReadWorkingDirectory(pid) is { } cwd
                          && (cwd == full || cwd.StartsWith(full + "/", StringComparison.Ordinal)))
            .ToList();
    }

    /// <summary>The Sentinels among <paramref name="pids"/> (their process title ends in <c>[sentinel]</c> once started).</summary>
    public static IReadOnlyList<int> Sentinels(IEnumerable<int> pids) =>
        [.. pids.Where(pid => ReadCommandLine(pid) is { } command && (command.EndsWith("[sentinel]", StringComparison.Ordinal) || command.Contains("--sentinel", StringComparison.Ordinal) || command.StartsWith("redis-sentinel", StringComparison.Ordinal)))];

    /// <summary>A process's working directory.</summary>
    public static string? WorkingDirectoryOf(int pid) => ReadWorkingDirectory(pid);

    /// <summary>
    /// Every process <paramref name="appHost"/> started and that still runs: its descendants (the <c>dotnet run</c>
    /// processes and the services under them, redis-server, Prometheus, the dashboard) and DCP's API server, which detaches
    /// from the AppHost but names it (<c>--monitor pid</c>), with everything under it.
    /// </summary>
    public static HashSet<int> StartedBy(int appHost)
    {
        var parents = AllPids().Select(pid => (Pid: pid, Parent: ParentOf(pid))).Where(p => p.Parent > 0).ToList();
        var started = new HashSet<int>(WithCommandLineContaining($"--monitor {appHost} ")) { appHost };
        for (var added = true; added;)
        {
            added = false;
            foreach (var (pid, parent) in parents)
            {
                added |= started.Contains(parent) && started.Add(pid);
            }
        }

        started.Remove(appHost);
        return started;
    }

    /// <summary>Running and not a zombie (a zombie has exited; only its parent has not reaped it yet).</summary>
    public static bool IsAlive(int pid) => Stat(pid) is { } stat && !stat[(stat.LastIndexOf(')') + 2)..].StartsWith('Z');

    /// <summary>The executable's name as the kernel keeps it (<c>/proc/pid/comm</c>, at most 15 characters).</summary>
    public static string? NameOf(int pid) => ReadProcFile(pid, "comm")?.Trim();

    /// <summary>The command line, arguments joined by spaces.</summary>
    public static string? CommandLineOf(int pid) => ReadCommandLine(pid);

    public static async Task<bool> WaitUntilAsync(Func<bool> condition, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (condition())
            {
                return true;
            }

            await Task.Delay(250, cancellationToken);
        }

        return condition();
    }

    public static async Task<bool> WaitUntilAsync(Func<Task<bool>> condition, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (await condition())
            {
                return true;
            }

            await Task.Delay(250, cancellationToken);
        }

        return await condition();
    }

    private static IEnumerable<int> AllPids() =>
        Directory.EnumerateDirectories("/proc")
            .Select(Path.GetFileName)
            .Select(name => int.TryParse(name, out var pid) ? pid : -1)
            .Where(pid => pid > 0);

    private static int ParentOf(int pid) =>
        Stat(pid) is { } stat && int.TryParse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[1], out var parent) ? parent : -1;

    /// <summary><c>/proc/pid/stat</c>; the fields after the name, which may hold spaces and parentheses, follow the last ')'.</summary>
    private static string? Stat(int pid) => ReadProcFile(pid, "stat");

    private static string? ReadProcFile(int pid, string name)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/{name}");
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static string? ReadCommandLine(int pid) => ReadProcFile(pid, "cmdline")?.Replace('\0', ' ').Trim();

    private static HashSet<string>? ReadEnvironment(int pid)
    {
        try
        {
            return [.. File.ReadAllText($"/proc/{pid}/environ").Split('\0', StringSplitOptions.RemoveEmptyEntries)];
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static string? ReadWorkingDirectory(int pid)
    {
        try
        {
            return new DirectoryInfo($"/proc/{pid}/cwd").LinkTarget?.TrimEnd('/');
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }
}
