namespace Bookstore.Catalog.Contracts;

/// <summary>A signed-in reader's session. It lives only in the cache (<c>Sessions</c>, 30 minutes), keyed by the SHA-256 of a random token (the token itself is never stored).</summary>
public sealed record ReaderSession(int UserId, DateTimeOffset CreatedAt);
