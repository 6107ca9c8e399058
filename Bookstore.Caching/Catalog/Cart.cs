namespace Bookstore.Caching.Catalog;

public sealed record Cart(int UserId, IReadOnlyList<CartItem> Items, DateTimeOffset UpdatedAt);
