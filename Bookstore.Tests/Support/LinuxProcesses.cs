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

    private static string? ReadCommandLine(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ').Trim();
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
