namespace Bookstore.Catalog.Contracts;

public sealed record UserProfile(int Id, string DisplayName, string Email, DateTimeOffset CreatedAt);
