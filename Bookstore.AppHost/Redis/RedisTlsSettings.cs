using System.Globalization;
using Microsoft.Extensions.Configuration;
using StackExchange.Redis;

namespace Bookstore.AppHost.Redis;

/// <summary>
/// TLS for the <c>local</c> redis-server (section <c>Bookstore:Redis:Tls</c>): the server listens on its port with TLS only,
/// the connection string carries <c>ssl=true</c>, and the services trust the given CA. Clients still authenticate with
/// their password; TLS adds confidentiality and the server's identity, so client certificates are not asked for.
/// </summary>
public sealed record RedisTlsSettings(string CertificateFile, string KeyFile, string? CaCertificateFile, string? SslHost)
{
    public const string SectionKey = "Bookstore:Redis:Tls";

    /// <summary>The configuration the services read (<c>Bookstore:Redis:Tls:*</c> in Bookstore.Caching's RedisOptions).</summary>
    public const string ServiceCaCertificateVariable = "Bookstore__Redis__Tls__CaCertificateFile";

    /// <summary>The settings when <c>Bookstore:Redis:Tls:Enabled</c> is true, else null. Missing files fail here, at start.</summary>
    public static RedisTlsSettings? From(IConfiguration configuration)
    {
        var section = configuration.GetSection(SectionKey);
        var enabled = section["Enabled"];
        if (string.IsNullOrWhiteSpace(enabled) || !ParseBool(enabled, $"{SectionKey}:Enabled"))
        {
            return null;
        }

        var settings = new RedisTlsSettings(
            RequiredFile(section, "CertificateFile"),
            RequiredFile(section, "KeyFile"),
            OptionalFile(section, "CaCertificateFile"),
            string.IsNullOrWhiteSpace(section["SslHost"]) ? null : section["SslHost"]!.Trim());
        if (settings.SslHost is { } host && (host.Contains(',', StringComparison.Ordinal) || host.Contains(' ', StringComparison.Ordinal)))
        {
            throw new InvalidOperationException($"'{SectionKey}:SslHost' is '{host}'; give a host name without commas or spaces.");
        }

        return settings;
    }

    /// <summary>
    /// The redis-server settings, in order: the plain-text port closed (<c>port 0</c>), TLS on <paramref name="port"/>.
    /// Values are raw; the rendered config file quotes them.
    /// </summary>
    public IReadOnlyList<KeyValuePair<string, string>> ServerSettings(int port)
    {
        List<KeyValuePair<string, string>> settings =
        [
            new("port", "0"),
            new("tls-port", port.ToString(CultureInfo.InvariantCulture)),
            new("tls-cert-file", CertificateFile),
            new("tls-key-file", KeyFile),
        ];
        if (CaCertificateFile is { } ca)
        {
            settings.Add(new("tls-ca-cert-file", ca));
        }

        settings.Add(new("tls-auth-clients", "no"));
        settings.Add(new("tls-protocols", "TLSv1.2 TLSv1.3"));
        return settings;
    }

    /// <summary>What the connection string adds: TLS on, and the name the certificate is checked against when given.</summary>
    public string ConnectionStringOptions => SslHost is null ? ",ssl=true" : $",ssl=true,sslHost={SslHost}";

    /// <summary>Trust the CA for a connection the AppHost itself opens (the health check).</summary>
    public void ApplyTrust(ConfigurationOptions options)
    {
        if (CaCertificateFile is { } ca)
        {
            options.TrustIssuer(ca);
        }
    }

    private static string RequiredFile(IConfigurationSection section, string name) =>
        OptionalFile(section, name)
        ?? throw new InvalidOperationException($"'{SectionKey}:Enabled' is true but '{SectionKey}:{name}' is not set; give the path of a PEM file.");

    private static string? OptionalFile(IConfigurationSection section, string name)
    {
        var value = section[name];
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }

        var path = Path.GetFullPath(value.Trim());
        return File.Exists(path)
            ? path
            : throw new InvalidOperationException($"'{SectionKey}:{name}' is '{value}', which does not exist; give the path of a PEM file.");
    }

    private static bool ParseBool(string value, string key) =>
        bool.TryParse(value.Trim(), out var result)
            ? result
            : throw new InvalidOperationException($"'{key}' is '{value}'; use true or false.");
}

/// <summary>Marks the <c>cache</c> resource as TLS-only, so the services that reference it are given the CA to trust.</summary>
public sealed class RedisTlsAnnotation(RedisTlsSettings settings) : Aspire.Hosting.ApplicationModel.IResourceAnnotation
{
    public RedisTlsSettings Settings { get; } = settings;
}
