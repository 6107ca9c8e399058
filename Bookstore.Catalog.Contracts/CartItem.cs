namespace Bookstore.Catalog.Contracts;

/// <summary>A cart line; the price is the one shown when the book was added, so a later price change does not alter the cart silently.</summary>
public sealed record CartItem(int BookId, int Quantity, decimal UnitPrice);
