using System.Globalization;
using Microsoft.Extensions.Configuration;

namespace Bookstore.Caching.Configuration;

/// <summary>
/// The seed document's <c>REDIS_*</c> environment variables, each mapped to exactly one setting, with the seed's units:
/// timeouts and the health-check interval in seconds when the value is a bare number (<c>5</c>; <c>5s</c> and
/// <c>5000ms</c> are accepted too), <c>REDIS_LOG_LEVEL</c> a Redis server log level. Values are checked here, so a bad
/// value fails at start naming the variable rather than the setting. An empty variable counts as not set.
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
        new("REDIS_CONNECTION_TIMEOUT", "Bookstore:Redis:ConnectTimeoutMs", v => ParseMilliseconds(v, 100, 120_000)),
        new("REDIS_SOCKET_TIMEOUT", "Bookstore:Redis:OperationTimeoutMs", v => ParseMilliseconds(v, 50, 60_000)),
        new("REDIS_HEALTH_CHECK_INTERVAL", "Bookstore:Redis:HealthCheckIntervalSeconds", v => ParseWholeSeconds(v, 1, 3_600)),
        new("REDIS_ENABLE_COMPRESSION", "Bookstore:Cache:EnableCompression", ParseBool),
        new("REDIS_ENABLE_SERIALIZATION", "Bookstore:Cache:EnableSerialization", ParseBool),
        new("REDIS_COMPRESSION_THRESHOLD", "Bookstore:Cache:CompressionThresholdBytes", v => ParseInt(v, 0, 64 * 1024 * 1024, "bytes between 0 and 67108864")),
        new("REDIS_CACHE_STRATEGY", "Bookstore:Redis:EvictionPolicy", ParseEvictionPolicy),
        new("REDIS_DEFAULT_TTL", "Bookstore:Cache:DefaultTtlSeconds", v => ParseInt(v, 1, 30 * 24 * 3600, "seconds between 1 and 2592000")),
        new("REDIS_ENABLE_MONITORING", "Bookstore:Redis:EnableMonitoring", ParseBool),
        new("REDIS_ENABLE_METRICS", "Bookstore:Cache:EnableMetrics", ParseBool),
        new("REDIS_LOG_LEVEL", ServerLogLevelSetting, ParseServerLogLevel),
    ];

    /// <summary>
    /// The Redis server's <c>loglevel</c> (<c>REDIS_LOG_LEVEL</c>). Only the AppHost reads it, for the redis-server it
    /// starts; a service checks the value and leaves it alone (the log level of an external server is its operator's).
    /// </summary>
    public const string ServerLogLevelSetting = "Bookstore:Redis:ServerLogLevel";

    /// <summary>The values of redis-server's <c>loglevel</c>, most verbose first.</summary>
    public static IReadOnlyList<string> ServerLogLevels { get; } = ["debug", "verbose", "notice", "warning"];

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
            if (string.IsNullOrWhiteSpace(value))
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

    /// <summary>
    /// A duration in milliseconds from seconds: a bare number is seconds, as in the seed (<c>5</c>, <c>2.5</c>);
    /// <c>s</c> and <c>ms</c> suffixes say the unit explicitly (<c>5s</c>, <c>750ms</c>).
    /// </summary>
    private static string ParseMilliseconds(string value, int minMs, int maxMs) =>
        TryParseMilliseconds(value, out var ms) && ms >= minMs && ms <= maxMs && ms == Math.Floor(ms)
            ? ((int)ms).ToString(CultureInfo.InvariantCulture)
            : throw new FormatException(
                $"seconds between {Seconds(minMs)} and {Seconds(maxMs)} (a bare number is seconds: 5 means 5 s; or give the unit: 5s, {minMs}ms)");

    private static string ParseWholeSeconds(string value, int min, int max) =>
        TryParseMilliseconds(value, out var ms) && ms % 1000 == 0 && ms / 1000 >= min && ms / 1000 <= max
            ? ((int)(ms / 1000)).ToString(CultureInfo.InvariantCulture)
            : throw new FormatException($"whole seconds between {min} and {max} (a bare number is seconds; 30s is accepted too)");

    private static bool TryParseMilliseconds(string value, out double milliseconds)
    {
        var text = value.Trim().ToLowerInvariant();
        var (number, scale) = text.EndsWith("ms", StringComparison.Ordinal) ? (text[..^2], 1.0)
            : text.EndsWith('s') ? (text[..^1], 1000.0)
            : (text, 1000.0);
        if (double.TryParse(number.TrimEnd(), NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var parsed))
        {
            milliseconds = Math.Round(parsed * scale, 3);
            return true;
        }

        milliseconds = 0;
        return false;
    }

    private static string Seconds(int milliseconds) => (milliseconds / 1000.0).ToString(CultureInfo.InvariantCulture);

    private static string ParseServerLogLevel(string value) =>
        ServerLogLevels.FirstOrDefault(level => string.Equals(level, value.Trim(), StringComparison.OrdinalIgnoreCase))
            ?? throw new FormatException("a Redis server log level: " + string.Join(", ", ServerLogLevels));
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
