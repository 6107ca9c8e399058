using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;

namespace Bookstore.ServiceDefaults.Security;

/// <summary>
/// The configured admin key, kept only as its SHA-256. A presented key is hashed and the two 32-byte hashes compared
/// with <see cref="CryptographicOperations.FixedTimeEquals"/>: the time taken says nothing about how much of the key
/// matched, nor about its length.
/// </summary>
public sealed class AdminApiKey(IOptions<SecurityOptions> options)
{
    private readonly byte[]? _hash = string.IsNullOrEmpty(options.Value.AdminApiKey) ? null : Hash(options.Value.AdminApiKey);

    public bool IsConfigured => _hash is not null;

    public bool Matches(string? presented) =>
        _hash is not null && presented is not null && CryptographicOperations.FixedTimeEquals(_hash, Hash(presented));

    private static byte[] Hash(string key) => SHA256.HashData(Encoding.UTF8.GetBytes(key));
}
