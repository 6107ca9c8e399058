using System.Globalization;
using Bookstore.Caching.Configuration;

namespace Bookstore.Caching.Monitoring;

/// <summary>
/// The server settings a service was told to expect (<c>REDIS_MAXMEMORY</c>, <c>REDIS_MAX_CONNECTIONS</c>,
/// <c>REDIS_CACHE_STRATEGY</c>) beside what the server's INFO reports. A service cannot change an external server
/// (its user may not run CONFIG), so a difference is reported, once, for the operator to settle.
/// </summary>
public static class RedisServerExpectations
{
    /// <summary>One sentence per setting the server does not match; empty when it matches or nothing is expected.</summary>
    public static IReadOnlyList<string> Differences(RedisOptions expected, RedisServerSnapshot server)
    {
        var differences = new List<string>();
        if (expected.MaxMemory is { } maxMemory && ToBytes(maxMemory) is { } bytes && bytes != server.MaxMemoryBytes)
        {
            differences.Add(string.Create(CultureInfo.InvariantCulture,
                $"maxmemory is {server.MaxMemoryBytes} bytes, REDIS_MAXMEMORY ({RedisOptions.SectionName}:MaxMemory) expects {maxMemory} ({bytes} bytes)"));
        }

        if (expected.MaxConnections is { } maxClients && server.MaxClients is { } actualClients && maxClients != actualClients)
        {
            differences.Add(string.Create(CultureInfo.InvariantCulture,
                $"maxclients is {actualClients}, REDIS_MAX_CONNECTIONS ({RedisOptions.SectionName}:MaxConnections) expects {maxClients}"));
        }

        if (expected.EvictionPolicy is { } policy && server.MaxMemoryPolicy is { } actualPolicy
            && !string.Equals(policy, actualPolicy, StringComparison.OrdinalIgnoreCase))
        {
            differences.Add($"maxmemory-policy is {actualPolicy}, REDIS_CACHE_STRATEGY ({RedisOptions.SectionName}:EvictionPolicy) expects {policy}");
        }

        return differences;
    }

    /// <summary>A Redis memory size (<c>512mb</c>, <c>1gb</c>, <c>1048576</c>) in bytes, as redis-server reads it (kb/mb/gb are powers of 1024).</summary>
    public static long? ToBytes(string size)
    {
        var text = size.Trim().ToLowerInvariant();
        var (digits, scale) = text switch
        {
            _ when text.EndsWith("gb", StringComparison.Ordinal) => (text[..^2], 1024L * 1024 * 1024),
            _ when text.EndsWith("mb", StringComparison.Ordinal) => (text[..^2], 1024L * 1024),
            _ when text.EndsWith("kb", StringComparison.Ordinal) => (text[..^2], 1024L),
            _ when text.EndsWith('b') => (text[..^1], 1L),
            _ => (text, 1L),
        };
        return long.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var number) ? number * scale : null;
    }
}
