using System.Globalization;
using Microsoft.Extensions.Configuration;

namespace Bookstore.Caching.Configuration;

/// <summary>
/// The seed document's <c>REDIS_*</c> environment variables, each mapped to exactly one setting.
/// Values are checked here, so a bad value fails at start naming the variable rather than the setting.
/// </summary>
public static class RedisEnvironmentAliases
{
    public static IReadOnlyList<RedisEnvironmentAlias> All { get; } =
    [
        new("REDIS_HOST", "Bookstore:Redis:Host", ParseHost),
        new("REDIS_PORT", "Bookstore:Redis:Port", v => ParseInt(v, 1, 65_535, "a TCP port between 1 and 65535")),
        new("REDIS_DB", "Bookstore:Redis:Database", v => ParseInt(v, 0, 15, "a database number between 0 and 15")),
        new("REDIS_PASSWORD", "Bookstore:Redis:Password", v => v),
        new("REDIS_MAXMEMORY", "Bookstore:Redis:MaxMemory", ParseMemory),
        new("REDIS_MAX_CONNECTIONS", "Bookstore:Redis:MaxConnections", v => ParseInt(v, 1, 100_000, "a number of clients between 1 and 100000")),
        new("REDIS_CONNECTION_TIMEOUT", "Bookstore:Redis:ConnectTimeoutMs", v => ParseInt(v, 100, 120_000, "milliseconds between 100 and 120000")),
        new("REDIS_SOCKET_TIMEOUT", "Bookstore:Redis:OperationTimeoutMs", v => ParseInt(v, 50, 60_000, "milliseconds between 50 and 60000")),
        new("REDIS_HEALTH_CHECK_INTERVAL", "Bookstore:Redis:HealthCheckIntervalSeconds", v => ParseInt(v, 1, 3_600, "seconds between 1 and 3600")),
        new("REDIS_ENABLE_COMPRESSION", "Bookstore:Cache:EnableCompression", ParseBool),
        new("REDIS_ENABLE_SERIALIZATION", "Bookstore:Cache:EnableSerialization", ParseBool),
        new("REDIS_COMPRESSION_THRESHOLD", "Bookstore:Cache:CompressionThresholdBytes", v => ParseInt(v, 0, 64 * 1024 * 1024, "bytes between 0 and 67108864")),
        new("REDIS_CACHE_STRATEGY", "Bookstore:Redis:EvictionPolicy", ParseEvictionPolicy),
        new("REDIS_DEFAULT_TTL", "Bookstore:Cache:DefaultTtlSeconds", v => ParseInt(v, 1, 30 * 24 * 3600, "seconds between 1 and 2592000")),
        new("REDIS_ENABLE_MONITORING", "Bookstore:Redis:EnableMonitoring", ParseBool),
        new("REDIS_ENABLE_METRICS", "Bookstore:Cache:EnableMetrics", ParseBool),
        new("REDIS_LOG_LEVEL", "Logging:LogLevel:Bookstore.Caching", ParseLogLevel),
    ];

    /// <summary>The <c>maxmemory-policy</c> values <c>REDIS_CACHE_STRATEGY</c> accepts; lru / lfu / ttl are the seed's short names.</summary>
    public static IReadOnlyDictionary<string, string> EvictionPolicies { get; } = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
    {
        ["lru"] = "volatile-lru",
        ["lfu"] = "volatile-lfu",
        ["ttl"] = "volatile-ttl",
        ["volatile-lru"] = "volatile-lru",
        ["volatile-lfu"] = "volatile-lfu",
        ["volatile-ttl"] = "volatile-ttl",
        ["volatile-random"] = "volatile-random",
        ["allkeys-lru"] = "allkeys-lru",
        ["allkeys-lfu"] = "allkeys-lfu",
        ["allkeys-random"] = "allkeys-random",
        ["noeviction"] = "noeviction",
    };

    /// <summary>
    /// Adds the aliases that are set to <paramref name="configuration"/> as the settings they stand for.
    /// Throws <see cref="InvalidOperationException"/> naming the variable when a value is not valid.
    /// </summary>
    public static IConfigurationBuilder AddRedisEnvironmentAliases(
        this IConfigurationBuilder configuration, Func<string, string?>? readVariable = null)
    {
        readVariable ??= Environment.GetEnvironmentVariable;
        var mapped = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        foreach (var alias in All)
        {
            var value = readVariable(alias.Variable);
            if (value is null)
            {
                continue;
            }

            mapped[alias.Setting] = alias.Normalize(value, alias.Variable);
        }

        if (mapped.Count > 0)
        {
            configuration.AddInMemoryCollection(mapped);
        }

        return configuration;
    }

    private static string ParseHost(string value)
    {
        var host = value.Trim();
        return host.Length > 0 && host.Length <= 253 && !host.Contains(',', StringComparison.Ordinal) && !host.Contains(' ', StringComparison.Ordinal)
            ? host
            : throw new FormatException("a host name or IP address without commas or spaces");
    }

    private static string ParseInt(string value, int min, int max, string expected) =>
        int.TryParse(value.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var number) && number >= min && number <= max
            ? number.ToString(CultureInfo.InvariantCulture)
            : throw new FormatException(expected);

    private static string ParseBool(string value) => value.Trim().ToLowerInvariant() switch
    {
        "true" or "1" or "yes" or "on" => "true",
        "false" or "0" or "no" or "off" => "false",
        _ => throw new FormatException("true or false (also 1/0, yes/no, on/off)"),
    };

    private static string ParseMemory(string value)
    {
        var text = value.Trim().ToLowerInvariant();
        var digits = text.TrimEnd('b', 'k', 'm', 'g');
        var unit = text[digits.Length..];
        return digits.Length > 0 && digits.All(char.IsAsciiDigit) && unit is "" or "b" or "kb" or "mb" or "gb"
            ? text
            : throw new FormatException("a size such as 512mb, 1gb or 1048576");
    }

    private static string ParseEvictionPolicy(string value) =>
        EvictionPolicies.TryGetValue(value.Trim(), out var policy)
            ? policy
            : throw new FormatException("one of " + string.Join(", ", EvictionPolicies.Keys));

    private static string ParseLogLevel(string value) =>
        Enum.TryParse<Microsoft.Extensions.Logging.LogLevel>(value.Trim(), ignoreCase: true, out var level) && Enum.IsDefined(level)
            ? level.ToString()
            : value.Trim().ToUpperInvariant() switch
            {
                "DEBUG" => "Debug",
                "INFO" => "Information",
                "WARN" => "Warning",
                "ERROR" => "Error",
                "CRITICAL" or "FATAL" => "Critical",
                _ => throw new FormatException("a log level: Trace, Debug, Information, Warning, Error, Critical or None"),
            };
}

/// <summary>One environment variable and the one setting it stands for.</summary>
public sealed record RedisEnvironmentAlias(string Variable, string Setting, Func<string, string> Parse)
{
    internal string Normalize(string value, string variable)
    {
        try
        {
            return Parse(value);
        }
        catch (FormatException ex)
        {
            throw new InvalidOperationException($"{variable}='{Redact(variable, value)}' is not valid: expected {ex.Message}. It sets '{Setting}'.", ex);
        }
    }

    private static string Redact(string variable, string value) =>
        variable.Contains("PASSWORD", StringComparison.Ordinal) ? "***" : value;
}
