using System.Globalization;

namespace Bookstore.Caching.Monitoring;

/// <summary>Reads the <c>field:value</c> lines of Redis's INFO reply.</summary>
internal static class RedisInfoParser
{
    public static Dictionary<string, string> Parse(string info)
    {
        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var rawLine in info.Split('\n'))
        {
            var line = rawLine.TrimEnd('\r');
            if (line.Length == 0 || line[0] == '#')
            {
                continue;
            }

            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon > 0)
            {
                fields[line[..colon]] = line[(colon + 1)..];
            }
        }

        return fields;
    }

    public static long Long(IReadOnlyDictionary<string, string> fields, string name) =>
        fields.TryGetValue(name, out var text) && long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) ? value : 0;

    public static double Double(IReadOnlyDictionary<string, string> fields, string name) =>
        fields.TryGetValue(name, out var text) && double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) ? value : 0;

    /// <summary>Replication lag of the first replica in bytes (master offset minus replica offset), on a primary with replicas.</summary>
    public static long? ReplicationLag(IReadOnlyDictionary<string, string> fields)
    {
        if (!fields.TryGetValue("slave0", out var replica))
        {
            return null;
        }

        var offsetText = replica.Split(',').Select(part => part.Split('=')).FirstOrDefault(kv => kv.Length == 2 && kv[0] == "offset")?[1];
        return long.TryParse(offsetText, NumberStyles.Integer, CultureInfo.InvariantCulture, out var offset)
            ? Math.Max(0, Long(fields, "master_repl_offset") - offset)
            : null;
    }

    /// <summary>
    /// The <c>cmdstat_{command}:calls=..,usec=..,..,failed_calls=..</c> lines of <c>INFO commandstats</c>, busiest first.
    /// </summary>
    public static IReadOnlyList<RedisCommandStats> CommandStats(IReadOnlyDictionary<string, string> fields)
    {
        const string prefix = "cmdstat_";
        var commands = new List<RedisCommandStats>();
        foreach (var (name, text) in fields)
        {
            if (!name.StartsWith(prefix, StringComparison.Ordinal))
            {
                continue;
            }

            var values = text.Split(',').Select(part => part.Split('=')).Where(kv => kv.Length == 2).ToDictionary(kv => kv[0], kv => kv[1], StringComparer.Ordinal);
            commands.Add(new RedisCommandStats(name[prefix.Length..], Long(values, "calls"), Long(values, "usec"), Long(values, "failed_calls") + Long(values, "rejected_calls")));
        }

        return [.. commands.OrderByDescending(c => c.Calls).ThenBy(c => c.Command, StringComparer.Ordinal)];
    }
}
