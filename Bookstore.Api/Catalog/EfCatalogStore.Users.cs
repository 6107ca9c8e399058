using Bookstore.Catalog.Contracts;
using Microsoft.EntityFrameworkCore;

namespace Bookstore.Api.Catalog;

/// <summary>Users, carts and ratings.</summary>
public sealed partial class EfCatalogStore
{
    private const int LikedRating = 4;

    public async Task<UserProfile?> GetUserAsync(int userId, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await db.Users.AsNoTracking()
            .Where(u => u.Id == userId)
            .Select(u => new UserProfile(u.Id, u.DisplayName, u.Email, u.CreatedAt))
            .FirstOrDefaultAsync(cancellationToken);
    }

    public async Task<ReaderCredentials?> FindCredentialsAsync(int userId, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await db.Users.AsNoTracking()
            .Where(u => u.Id == userId)
            .Select(u => new ReaderCredentials(u.Id, u.PasswordHash))
            .FirstOrDefaultAsync(cancellationToken);
    }

    public async Task<ReaderCredentials?> FindCredentialsByEmailAsync(string email, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var address = email.ToLowerInvariant();
        return await db.Users.AsNoTracking()
            .Where(u => u.Email.ToLower() == address)
            .Select(u => new ReaderCredentials(u.Id, u.PasswordHash))
            .FirstOrDefaultAsync(cancellationToken);
    }

    public async Task<bool> SetPasswordHashAsync(int userId, string passwordHash, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await db.Users.Where(u => u.Id == userId).ExecuteUpdateAsync(s => s.SetProperty(u => u.PasswordHash, passwordHash), cancellationToken) > 0;
    }

    public async Task<Cart?> GetCartAsync(int userId, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        if (!await db.Users.AnyAsync(u => u.Id == userId, cancellationToken))
        {
            return null;
        }

        var cart = await db.Carts.AsNoTracking().Include(c => c.Items).FirstOrDefaultAsync(c => c.UserId == userId, cancellationToken);
        return cart is null
            ? new Cart(userId, [], DateTimeOffset.MinValue)
            : new Cart(userId, [.. cart.Items.OrderBy(i => i.BookId).Select(i => new CartItem(i.BookId, i.Quantity, i.UnitPrice))], cart.UpdatedAt);
    }

    public async Task<UserWrite> SetCartItemAsync(int userId, int bookId, int quantity, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        if (!await db.Users.AnyAsync(u => u.Id == userId, cancellationToken))
        {
            return UserWrite.UserNotFound;
        }

        var price = await db.Books.Where(b => b.Id == bookId).Select(b => (decimal?)b.Price).FirstOrDefaultAsync(cancellationToken);
        if (price is null)
        {
            return UserWrite.BookNotFound;
        }

        var cart = await db.Carts.Include(c => c.Items).FirstOrDefaultAsync(c => c.UserId == userId, cancellationToken);
        if (cart is null)
        {
            cart = new CartEntity { UserId = userId };
            db.Carts.Add(cart);
        }

        var line = cart.Items.Find(i => i.BookId == bookId);
        if (line is null)
        {
            cart.Items.Add(new CartItemEntity { UserId = userId, BookId = bookId, Quantity = quantity, UnitPrice = price.Value });
        }
        else
        {
            line.Quantity = quantity;
        }

        cart.UpdatedAt = time.GetUtcNow();
        await db.SaveChangesAsync(cancellationToken);
        return UserWrite.Done;
    }

    public async Task<UserWrite> RemoveCartItemAsync(int userId, int bookId, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        if (!await db.Users.AnyAsync(u => u.Id == userId, cancellationToken))
        {
            return UserWrite.UserNotFound;
        }

        if (await db.CartItems.Where(i => i.UserId == userId && i.BookId == bookId).ExecuteDeleteAsync(cancellationToken) == 0)
        {
            return UserWrite.BookNotFound;
        }

        await db.Carts.Where(c => c.UserId == userId).ExecuteUpdateAsync(s => s.SetProperty(c => c.UpdatedAt, time.GetUtcNow()), cancellationToken);
        return UserWrite.Done;
    }

    public async Task<UserWrite> ClearCartAsync(int userId, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        if (!await db.Users.AnyAsync(u => u.Id == userId, cancellationToken))
        {
            return UserWrite.UserNotFound;
        }

        await db.CartItems.Where(i => i.UserId == userId).ExecuteDeleteAsync(cancellationToken);
        await db.Carts.Where(c => c.UserId == userId).ExecuteUpdateAsync(s => s.SetProperty(c => c.UpdatedAt, time.GetUtcNow()), cancellationToken);
        return UserWrite.Done;
    }

    public async Task<UserWrite> SetRatingAsync(int userId, int bookId, int value, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        if (!await db.Users.AnyAsync(u => u.Id == userId, cancellationToken))
        {
            return UserWrite.UserNotFound;
        }

        if (!await db.Books.AnyAsync(b => b.Id == bookId, cancellationToken))
        {
            return UserWrite.BookNotFound;
        }

        var rating = await db.Ratings.FirstOrDefaultAsync(r => r.UserId == userId && r.BookId == bookId, cancellationToken);
        if (rating is null)
        {
            db.Ratings.Add(new RatingEntity { UserId = userId, BookId = bookId, Value = value });
        }
        else
        {
            rating.Value = value;
        }

        await db.SaveChangesAsync(cancellationToken);
        return UserWrite.Done;
    }

    public async Task<RecommendationInputs?> GetRecommendationInputsAsync(int userId, int popularCandidates, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        if (!await db.Users.AnyAsync(u => u.Id == userId, cancellationToken))
        {
            return null;
        }

        var ratings = await db.Ratings.AsNoTracking().Where(r => r.UserId == userId).Select(r => new { r.BookId, r.Value }).ToListAsync(cancellationToken);
        var cart = await db.CartItems.AsNoTracking().Where(i => i.UserId == userId).Select(i => i.BookId).ToListAsync(cancellationToken);
        var excluded = ratings.Select(r => r.BookId).Concat(cart).ToHashSet();
        var liked = ratings.Where(r => r.Value >= LikedRating).Select(r => r.BookId).ToList();

        var likedAuthors = (await db.Books.AsNoTracking()
                .Where(b => liked.Contains(b.Id))
                .SelectMany(b => b.Authors.Select(a => a.AuthorId))
                .ToListAsync(cancellationToken))
            .GroupBy(id => id)
            .ToDictionary(g => g.Key, g => g.Count());
        var authorIds = likedAuthors.Keys.ToList();

        // Peers: users who liked a book the user liked. Their other liked books, counted once per peer.
        var peerLikes = (await db.Ratings.AsNoTracking()
                .Where(r => r.UserId != userId && r.Value >= LikedRating
                    && db.Ratings.Any(p => p.UserId == r.UserId && p.Value >= LikedRating && liked.Contains(p.BookId)))
                .Select(r => r.BookId)
                .ToListAsync(cancellationToken))
            .Where(id => !excluded.Contains(id))
            .GroupBy(id => id)
            .ToDictionary(g => g.Key, g => g.Count());
        var peerBookIds = peerLikes.Keys.ToList();

        var popular = await db.Books.AsNoTracking()
            .OrderByDescending(b => b.RatingsCount).ThenBy(b => b.Id)
            .Select(b => b.Id)
            .Take(popularCandidates + excluded.Count)
            .ToListAsync(cancellationToken);

        var candidates = await db.Books.AsNoTracking()
            .Where(b => popular.Contains(b.Id) || peerBookIds.Contains(b.Id) || b.Authors.Any(a => authorIds.Contains(a.AuthorId)))
            .Select(b => new { b.Id, b.AverageRating, b.RatingsCount, Authors = b.Authors.Select(a => a.AuthorId).ToList() })
            .ToListAsync(cancellationToken);

        return new RecommendationInputs(
            excluded,
            likedAuthors,
            peerLikes,
            [.. candidates.Where(c => !excluded.Contains(c.Id)).Select(c => new RecommendationCandidate(c.Id, c.Authors, c.AverageRating, c.RatingsCount))]);
    }
}
