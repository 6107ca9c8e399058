using System.Security.Cryptography;
using System.Text;

namespace Bookstore.AppHost.Redis;

/// <summary>The generated passwords of the three Redis users (Aspire secret parameters).</summary>
public sealed record RedisUserPasswords(string App, string Monitor, string Admin);

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

            text.Append(trimmed
                .Replace("{{" + App + "}}", PasswordRule(passwords.App), StringComparison.Ordinal)
                .Replace("{{" + Monitor + "}}", PasswordRule(passwords.Monitor), StringComparison.Ordinal)
                .Replace("{{" + Admin + "}}", PasswordRule(passwords.Admin), StringComparison.Ordinal));
            text.Append('\n');
        }

        var rendered = text.ToString();
        if (rendered.Contains("{{", StringComparison.Ordinal))
        {
            throw new InvalidOperationException(
                $"The Redis ACL template names a user whose password the AppHost does not know; it knows {App}, {Monitor} and {Admin}.");
        }

        return rendered;
    }

    /// <summary>ACL rule that sets the password by its SHA-256, so the file never holds the password itself.</summary>
    private static string PasswordRule(string password)
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
