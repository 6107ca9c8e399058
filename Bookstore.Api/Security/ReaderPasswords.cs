using System.Security.Cryptography;
using Bookstore.Api.Catalog;
using Microsoft.AspNetCore.Identity;

namespace Bookstore.Api.Security;

/// <summary>
/// Checks a sign-in's password with ASP.NET Core Identity's password hasher. An unknown user and a user without a
/// password are checked against a fixed dummy hash (made once, of a random password no one knows), so every sign-in
/// costs one hash verification and a refusal takes as long as an acceptance: the answer time does not tell whether
/// the user exists or has a password.
/// </summary>
public sealed class ReaderPasswords
{
    private static readonly ReaderCredentials Nobody = new(0, null);

    private readonly IPasswordHasher<ReaderCredentials> _hasher;
    private readonly string _dummyHash;

    public ReaderPasswords(IPasswordHasher<ReaderCredentials> hasher)
    {
        _hasher = hasher;
        _dummyHash = hasher.HashPassword(Nobody, Convert.ToHexString(RandomNumberGenerator.GetBytes(32)));
    }

    /// <summary>
    /// <see cref="PasswordVerificationResult.Success"/> or <see cref="PasswordVerificationResult.SuccessRehashNeeded"/>
    /// when <paramref name="password"/> is the reader's; <see cref="PasswordVerificationResult.Failed"/> otherwise,
    /// including for a null <paramref name="reader"/> or a reader without a password.
    /// </summary>
    public PasswordVerificationResult Verify(ReaderCredentials? reader, string password)
    {
        if (reader?.PasswordHash is not { } hash)
        {
            _hasher.VerifyHashedPassword(Nobody, _dummyHash, password);
            return PasswordVerificationResult.Failed;
        }

        return _hasher.VerifyHashedPassword(reader, hash, password);
    }

    /// <summary>The hash to store for <paramref name="password"/> (after <see cref="PasswordVerificationResult.SuccessRehashNeeded"/>).</summary>
    public string Hash(ReaderCredentials reader, string password) => _hasher.HashPassword(reader, password);
}
