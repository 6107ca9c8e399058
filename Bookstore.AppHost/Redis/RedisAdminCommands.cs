using System.Globalization;
using System.Text;
using StackExchange.Redis;

namespace Bookstore.AppHost.Redis;

/// <summary>What a dashboard command did: a one-line message and, on success, a Markdown report.</summary>
public sealed record RedisCommandOutcome(bool Success, string Message, string? Report = null)
{
    public static RedisCommandOutcome Failed(string message) => new(false, message);
}

/// <summary>
/// The Redis side of the <c>cache</c> resource's dashboard commands, run as <c>bookstore-admin</c> on a short-lived
/// connection. Kept apart from the dashboard so tests can run them against a real redis-server.
/// </summary>
public static class RedisAdminCommands
{
    public const int SlowLogEntries = 20;

    /// <summary>Opens the admin connection: admin commands allowed, fails at once if Redis does not answer.</summary>
    public static Task<ConnectionMultiplexer> ConnectAsync(string adminConnectionString)
    {
        var configuration = ConfigurationOptions.Parse(adminConnectionString);
        configuration.AllowAdmin = true;
        configuration.AbortOnConnectFail = true;
        configuration.ConnectTimeout = 5_000;
        configuration.ConnectRetry = 1;
        configuration.ClientName = "bookstore-apphost-admin";
        return ConnectionMultiplexer.ConnectAsync(configuration);
    }

    /// <summary>SLOWLOG GET 20 as a table, newest first.</summary>
    public static async Task<RedisCommandOutcome> SlowLogAsync(IServer server)
    {
        var entries = await server.SlowlogGetAsync(SlowLogEntries).ConfigureAwait(false);
        if (entries.Length == 0)
        {
            return new(true, "The slow log is empty: no command took longer than slowlog-log-slower-than (10 ms in redis/redis.conf).", "The slow log is empty.");
        }

        var report = new StringBuilder();
        report.AppendLine(CultureInfo.InvariantCulture, $"The {entries.Length} most recent commands slower than the slow-log threshold on {server.EndPoint}:");
        report.AppendLine();
        report.AppendLine("| id | at (UTC) | duration (ms) | command |");
        report.AppendLine("|---:|---|---:|---|");
        foreach (var entry in entries)
        {
            report.AppendLine(CultureInfo.InvariantCulture,
                $"| {entry.UniqueId} | {entry.Time:yyyy-MM-dd HH:mm:ss} | {entry.Duration.TotalMilliseconds:0.###} | `{MarkdownCell(CommandText(entry.Arguments))}` |");
        }

        return new(true, $"{entries.Length} slow-log entries.", report.ToString());
    }

    /// <summary>INFO memory's headline figures and MEMORY STATS.</summary>
    public static async Task<RedisCommandOutcome> MemoryReportAsync(IServer server)
    {
        var info = (await server.InfoAsync("memory").ConfigureAwait(false)).SelectMany(g => g).ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal);
        var stats = await server.MemoryStatsAsync().ConfigureAwait(false);

        var report = new StringBuilder();
        report.AppendLine(CultureInfo.InvariantCulture, $"Memory of {server.EndPoint}:");
        report.AppendLine();
        report.AppendLine("| INFO memory | value |");
        report.AppendLine("|---|---:|");
        foreach (var field in (string[])["used_memory_human", "used_memory_peak_human", "used_memory_dataset_perc", "maxmemory_human", "maxmemory_policy", "mem_fragmentation_ratio", "used_memory_lua_human"])
        {
            if (info.TryGetValue(field, out var value))
            {
                report.AppendLine(CultureInfo.InvariantCulture, $"| {field} | {MarkdownCell(value)} |");
            }
        }

        report.AppendLine();
        report.AppendLine("| MEMORY STATS | value |");
        report.AppendLine("|---|---:|");
        if (stats is not null && stats.Resp2Type == ResultType.Array)
        {
            var pairs = (RedisResult[])stats!;
            for (var i = 0; i + 1 < pairs.Length; i += 2)
            {
                // Nested sections (db.0, ...) are maps of their own; show them as key=value lists.
                var value = pairs[i + 1].Resp2Type == ResultType.Array
                    ? string.Join(", ", Pairs((RedisResult[])pairs[i + 1]!))
                    : pairs[i + 1].ToString();
                report.AppendLine(CultureInfo.InvariantCulture, $"| {MarkdownCell(pairs[i].ToString())} | {MarkdownCell(value)} |");
            }
        }

        var used = info.GetValueOrDefault("used_memory_human", "?");
        var max = info.GetValueOrDefault("maxmemory_human", "?");
        return new(true, $"Redis uses {used} of maxmemory {max}.", report.ToString());
    }

    /// <summary>BGREWRITEAOF, refused with a reason when AOF is off or a rewrite already runs.</summary>
    public static async Task<RedisCommandOutcome> RewriteAofAsync(IServer server)
    {
        var persistence = (await server.InfoAsync("persistence").ConfigureAwait(false)).SelectMany(g => g).ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal);
        if (persistence.GetValueOrDefault("aof_enabled") != "1")
        {
            return RedisCommandOutcome.Failed("The append-only file is off on this server (appendonly no), so there is nothing to rewrite.");
        }

        if (persistence.GetValueOrDefault("aof_rewrite_in_progress") == "1")
        {
            return RedisCommandOutcome.Failed("An AOF rewrite is already running; wait for it to finish (INFO persistence: aof_rewrite_in_progress).");
        }

        var answer = (string?)await server.ExecuteAsync("BGREWRITEAOF").ConfigureAwait(false);
        return new(true, answer ?? "Background append only file rewriting started.",
            $"{answer}. Redis rewrites the append-only file in a child process; aof_last_bgrewrite_status in INFO persistence reports the outcome.");
    }

    /// <summary>An error from Redis as a sentence that says what to do.</summary>
    public static string Explain(Exception exception) => exception switch
    {
        RedisConnectionException e => $"Redis did not answer ({e.FailureType}). Is the 'cache' resource running and healthy? {e.Message}",
        RedisServerException e when e.Message.StartsWith("NOPERM", StringComparison.Ordinal) =>
            $"Redis refused the admin user: {e.Message}. Check the bookstore-admin line of redis/users.acl.",
        RedisServerException e when e.Message.StartsWith("WRONGPASS", StringComparison.Ordinal) =>
            "Redis refused the admin password: the rendered users.acl is older than the cache-admin-password parameter; restart the cache resource.",
        RedisServerException e when e.Message.Contains("unknown command", StringComparison.OrdinalIgnoreCase) =>
            $"This Redis does not offer the command (it may be disabled by rename-command in the Production profile): {e.Message}",
        RedisTimeoutException e => $"Redis did not answer in time: {e.Message}",
        _ => exception.Message,
    };

    private static IEnumerable<string> Pairs(RedisResult[] items)
    {
        for (var i = 0; i + 1 < items.Length; i += 2)
        {
            yield return $"{items[i]}={items[i + 1]}";
        }
    }

    private static string CommandText(RedisValue[] arguments)
    {
        var text = string.Join(' ', arguments.Select(a => a.ToString()));
        return text.Length > 200 ? text[..200] + "…" : text;
    }

    private static string MarkdownCell(string? value) =>
        (value ?? string.Empty).Replace("|", "\\|", StringComparison.Ordinal).Replace("`", "'", StringComparison.Ordinal).ReplaceLineEndings(" ");
}
