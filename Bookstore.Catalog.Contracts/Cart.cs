namespace Bookstore.Catalog.Contracts;

public sealed record Cart(int UserId, IReadOnlyList<CartItem> Items, DateTimeOffset UpdatedAt);
