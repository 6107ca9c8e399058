namespace Bookstore.Catalog.Contracts;

/// <summary>A signed-in reader's session. It lives only in the cache (<c>Sessions</c>, 30 minutes), keyed by a random token.</summary>
public sealed record ReaderSession(int UserId, DateTimeOffset CreatedAt);
