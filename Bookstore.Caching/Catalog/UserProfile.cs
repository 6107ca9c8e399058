namespace Bookstore.Caching.Catalog;

public sealed record UserProfile(int Id, string DisplayName, string Email, DateTimeOffset CreatedAt);
