using System.Security.Cryptography;
using System.Text;

namespace Bookstore.AppHost.Redis;

/// <summary>
/// The generated passwords of the Redis users (Aspire secret parameters). <see cref="Replication"/> and
/// <see cref="Sentinel"/> are given only in the topologies that use them (replicated; the cluster replicates too); without them those users are not created.
/// </summary>
public sealed record RedisUserPasswords(string App, string Monitor, string Admin)
{
    public string? Replication { get; init; }

    public string? Sentinel { get; init; }
}

/// <summary>
/// The Redis ACL users and the renderer of <c>redis/users.acl</c>. The template names each user's password as
/// <c>{{user}}</c>; the rendered file carries only <c>#sha256</c> of each password, and the default user is off.
/// </summary>
public static class RedisUsers
{
    /// <summary>The services' user: keys and channels under <c>bookstore:</c>, no dangerous or admin command.</summary>
    public const string App = "bookstore-app";

    /// <summary>The server monitor's user: INFO, SLOWLOG GET/LEN, LATENCY LATEST, PING and nothing else.</summary>
    public const string Monitor = "bookstore-monitor";

    /// <summary>The dashboard commands' user.</summary>
    public const string Admin = "bookstore-admin";

    /// <summary>Replicas' user on their primary (replicated topology): PSYNC, REPLCONF and PING only.</summary>
    public const string Replication = "bookstore-replication";

    /// <summary>The Sentinels' user on the data nodes and on each other (replicated topology).</summary>
    public const string Sentinel = "bookstore-sentinel";

    /// <summary>The rendered file's name, next to <c>redis.runtime.conf</c> in local mode.</summary>
    public const string FileName = "users.acl";

    public static string TemplatePath(string appHostDirectory) =>
        Path.GetFullPath(Path.Combine(appHostDirectory, "..", "redis", FileName));

    /// <summary>The ACL file redis-server loads: comment lines dropped, each <c>{{user}}</c> replaced by the password's hash.</summary>
    public static string Render(string template, RedisUserPasswords passwords)
    {
        var text = new StringBuilder();
        foreach (var line in template.Split('\n'))
        {
            var trimmed = line.Trim();
            if (trimmed.Length == 0 || trimmed.StartsWith('#'))
            {
                continue;
            }

            if ((passwords.Replication is null && trimmed.Contains("{{" + Replication + "}}", StringComparison.Ordinal))
                || (passwords.Sentinel is null && trimmed.Contains("{{" + Sentinel + "}}", StringComparison.Ordinal)))
            {
                // A user of another topology: not created at all.
                continue;
            }

            text.Append(trimmed
                .Replace("{{" + App + "}}", PasswordRule(passwords.App), StringComparison.Ordinal)
                .Replace("{{" + Monitor + "}}", PasswordRule(passwords.Monitor), StringComparison.Ordinal)
                .Replace("{{" + Admin + "}}", PasswordRule(passwords.Admin), StringComparison.Ordinal)
                .Replace("{{" + Replication + "}}", passwords.Replication is { } r ? PasswordRule(r) : string.Empty, StringComparison.Ordinal)
                .Replace("{{" + Sentinel + "}}", passwords.Sentinel is { } s ? PasswordRule(s) : string.Empty, StringComparison.Ordinal));
            text.Append('\n');
        }

        var rendered = text.ToString();
        if (rendered.Contains("{{", StringComparison.Ordinal))
        {
            throw new InvalidOperationException(
                $"The Redis ACL template names a user whose password the AppHost does not know; it knows {App}, {Monitor}, {Admin}, {Replication} and {Sentinel}.");
        }

        return rendered;
    }

    /// <summary>ACL rule that sets the password by its SHA-256, so the file never holds the password itself.</summary>
    internal static string PasswordRule(string password)
    {
        ArgumentException.ThrowIfNullOrEmpty(password);
        return "#" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(password)));
    }

    /// <summary>
    /// Commands the Production profile removes from the server altogether (<c>rename-command X ""</c>), the seed's
    /// list: not even the admin user can run them. ACL already refuses all of them to the app and the monitor.
    /// EVAL stays: ACL checks every key a script touches, and the Redis clients use scripts.
    /// </summary>
    public static IReadOnlyList<string> ProductionDisabledCommands { get; } = ["FLUSHDB", "FLUSHALL", "KEYS", "CONFIG", "SHUTDOWN", "DEBUG"];
}
