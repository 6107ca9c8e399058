using System.Security.Cryptography;
using System.Text;
using Bookstore.Catalog.Contracts;
using Bookstore.Caching.Redis;
using Bookstore.Caching.Typed;

namespace Bookstore.Api.Security;

/// <summary>
/// Reader sessions, kept only in the cache (<c>Sessions</c>: 30 minutes, no L1, no fail-safe) and tagged with the user,
/// so <see cref="ICacheService.InvalidateUserAsync"/> ends them. A session's cache id is the SHA-256 of its token (64
/// lower-case hex characters, inside the cache id alphabet), never the token: nothing Redis holds or logs (keys,
/// values, the AOF, the slow log) can be presented as a token, and a token is hashed before every lookup.
/// </summary>
public sealed class ReaderSessions(CacheService cache, TimeProvider time)
{
    /// <summary>32 random bytes as lower-case hex: URL-safe, and easy to tell from anything else before any lookup.</summary>
    public const int TokenLength = 64;

    /// <summary>
    /// A new session of <paramref name="userId"/> and its token, once Redis holds it; <see langword="null"/> when it could
    /// not be stored, so no token is ever handed out that no request could use.
    /// </summary>
    public async Task<(string Token, ReaderSession Session)?> StartAsync(int userId, CancellationToken cancellationToken)
    {
        var token = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(TokenLength / 2));
        var session = new ReaderSession(userId, time.GetUtcNow());
        var stored = await cache.TrySetAsync(CacheType.Sessions, session, CacheIdOf(token), [CacheTags.User(userId)], cancellationToken);
        return stored ? (token, session) : null;
    }

    /// <summary>How long a caller is told to wait (<c>Retry-After</c>) when sessions cannot be stored or read.</summary>
    public static readonly TimeSpan RetryAfter = TimeSpan.FromSeconds(5);

    /// <summary>The live session of <paramref name="token"/>; <see langword="null"/> for an unknown, expired, ended or malformed token (which costs no lookup), and when Redis could not be read.</summary>
    public async ValueTask<ReaderSession?> FindAsync(string? token, CancellationToken cancellationToken) =>
        await LookUpAsync(token, cancellationToken) is { Found: true } read ? read.Value : null;

    /// <summary>
    /// The session of <paramref name="token"/>, telling a token that names no session (<see cref="CacheReadStatus.Missing"/>:
    /// the reader must sign in again) from a lookup Redis could not answer (<see cref="CacheReadStatus.Unavailable"/>: the
    /// session may well be live, so the reader is not signed out).
    /// </summary>
    public ValueTask<CacheRead<ReaderSession>> LookUpAsync(string? token, CancellationToken cancellationToken) =>
        IsWellFormed(token)
            ? cache.ReadAsync<ReaderSession>(CacheType.Sessions, CacheIdOf(token), cancellationToken)
            : ValueTask.FromResult(CacheRead<ReaderSession>.Missing);

    public ValueTask EndAsync(string token, CancellationToken cancellationToken) =>
        cache.RemoveAsync(CacheType.Sessions, CacheIdOf(token), cancellationToken);

    /// <summary>Exactly what <see cref="StartAsync"/> makes; anything else cannot name a session and never reaches Redis.</summary>
    public static bool IsWellFormed([System.Diagnostics.CodeAnalysis.NotNullWhen(true)] string? token) =>
        token is { Length: TokenLength } && token.All(c => char.IsAsciiDigit(c) || c is >= 'a' and <= 'f');

    /// <summary>The session's cache id: the token's SHA-256 as lower-case hex.</summary>
    public static string CacheIdOf(string token)
    {
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(Encoding.ASCII.GetBytes(token), hash);
        return Convert.ToHexStringLower(hash);
    }
}
