using Bookstore.Catalog.Contracts;
using Microsoft.EntityFrameworkCore;

namespace Bookstore.Api.Catalog;

/// <summary><see cref="ICatalogStore"/> on EF Core; nothing here is SQLite-specific, the provider comes from <c>AddCatalog</c>.</summary>
public sealed partial class EfCatalogStore(IDbContextFactory<CatalogDbContext> contexts, TimeProvider time) : ICatalogStore
{
    public async Task EnsureCreatedAsync(CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        await db.Database.EnsureCreatedAsync(cancellationToken);
    }

    public async Task<int> CountBooksAsync(CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await db.Books.CountAsync(cancellationToken);
    }

    public async Task<Book?> GetBookAsync(int id, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);

        // Two lookups by key: the book, then its author links by BookId (the first column of their key). EF's one query
        // with Include joins the authors through a subquery that SQLite materializes for the whole catalog, so a cache
        // miss grew with the catalog (7 ms a book at 10,000 books against 0.08 ms at 52).
        var entity = await db.Books.AsNoTracking().FirstOrDefaultAsync(b => b.Id == id, cancellationToken);
        if (entity is null)
        {
            return null;
        }

        entity.Authors = await db.BookAuthors.AsNoTracking().Include(a => a.Author).Where(a => a.BookId == id).ToListAsync(cancellationToken);
        return entity.ToBook();
    }

    public async Task<BookPage> ListBooksAsync(BookQuery query, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var books = db.Books.AsNoTracking();
        if (query.Language is { } language)
        {
            books = books.Where(b => b.LanguageCode != null && b.LanguageCode.ToLower() == language);
        }

        if (query.Year is { } year)
        {
            books = books.Where(b => b.OriginalPublicationYear == year);
        }

        if (query.Author is { } author)
        {
            var needle = author.ToLowerInvariant();
            books = books.Where(b => b.Authors.Any(a => a.Author.Name.ToLower().Contains(needle)));
        }

        var ordered = query.Sort switch
        {
            BookSort.Rating => books.OrderByDescending(b => b.AverageRating).ThenBy(b => b.Id),
            BookSort.Title => books.OrderBy(b => b.Title).ThenBy(b => b.Id),
            BookSort.Year => books.OrderBy(b => b.OriginalPublicationYear == null).ThenByDescending(b => b.OriginalPublicationYear).ThenBy(b => b.Id),
            _ => books.OrderByDescending(b => b.RatingsCount).ThenBy(b => b.Id),
        };
        return await PageAsync(ordered, query.Page, query.PageSize, cancellationToken);
    }

    public async Task<BookPage> SearchAsync(string text, int page, int pageSize, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var needle = text.ToLowerInvariant();
        var matches = db.Books.AsNoTracking()
            .Where(b => b.Title.ToLower().Contains(needle) || b.Authors.Any(a => a.Author.Name.ToLower().Contains(needle)))
            .OrderByDescending(b => b.RatingsCount)
            .ThenBy(b => b.Id);
        return await PageAsync(matches, page, pageSize, cancellationToken);
    }

    public async Task<Book> CreateBookAsync(BookInput input, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var entity = new BookEntity { Title = input.Title };
        Apply(entity, input);
        await LinkAuthorsAsync(db, entity, input.Authors, cancellationToken);
        db.Books.Add(entity);
        await db.SaveChangesAsync(cancellationToken);
        return entity.ToBook();
    }

    public async Task<BookUpdate?> UpdateBookAsync(int id, BookInput input, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var entity = await WithAuthors(db.Books).FirstOrDefaultAsync(b => b.Id == id, cancellationToken);
        if (entity is null)
        {
            return null;
        }

        var before = entity.ToBook();
        Apply(entity, input);
        if (!before.Authors.SequenceEqual(input.Authors, StringComparer.Ordinal))
        {
            await LinkAuthorsAsync(db, entity, input.Authors, cancellationToken);
        }

        await db.SaveChangesAsync(cancellationToken);
        return new BookUpdate(before, entity.ToBook());
    }

    public async Task<bool> DeleteBookAsync(int id, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await db.Books.Where(b => b.Id == id).ExecuteDeleteAsync(cancellationToken) > 0;
    }

    public async Task<ImportCounts> UpsertImportedBooksAsync(IReadOnlyList<ImportedBook> books, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var ids = books.Select(b => b.GoodreadsBookId).Distinct().ToList();
        var existing = await WithAuthors(db.Books)
            .Where(b => b.GoodreadsBookId != null && ids.Contains(b.GoodreadsBookId.Value))
            .ToDictionaryAsync(b => b.GoodreadsBookId!.Value, cancellationToken);
        var authors = await AuthorsByNameAsync(db, books.SelectMany(b => b.Authors), cancellationToken);

        int added = 0, updated = 0, unchanged = 0;
        foreach (var row in books)
        {
            if (!existing.TryGetValue(row.GoodreadsBookId, out var entity))
            {
                entity = new BookEntity { Title = row.Title, GoodreadsBookId = row.GoodreadsBookId, Price = ImportedPrice(row.GoodreadsBookId) };
                ApplyImported(entity, row);
                LinkAuthors(entity, row.Authors, authors);
                db.Books.Add(entity);
                existing[row.GoodreadsBookId] = entity;
                added++;
                continue;
            }

            var authorsChanged = !entity.Authors.OrderBy(a => a.Position).Select(a => a.Author.Name).SequenceEqual(row.Authors, StringComparer.Ordinal);
            var fieldsChanged = ApplyImported(entity, row);
            if (authorsChanged)
            {
                LinkAuthors(entity, row.Authors, authors);
            }

            if (authorsChanged || fieldsChanged)
            {
                updated++;
            }
            else
            {
                unchanged++;
            }
        }

        await db.SaveChangesAsync(cancellationToken);
        return new ImportCounts(added, updated, unchanged);
    }

    public async Task<bool> SeedIfEmptyAsync(CatalogSeed seed, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        if (await db.Books.AnyAsync(cancellationToken))
        {
            return false;
        }

        var inputs = seed.Books().ToList();
        var authors = await AuthorsByNameAsync(db, inputs.SelectMany(b => b.Authors), cancellationToken);
        var books = new List<BookEntity>(inputs.Count);
        for (var i = 0; i < inputs.Count; i++)
        {
            var entity = new BookEntity { Title = inputs[i].Title };
            Apply(entity, inputs[i]);
            (entity.AverageRating, entity.RatingsCount) = CatalogSeed.Popularity(i);
            LinkAuthors(entity, inputs[i].Authors, authors);
            books.Add(entity);
        }

        db.Books.AddRange(books);
        var users = seed.Users(time.GetUtcNow()).ToList();
        db.Users.AddRange(users);
        await db.SaveChangesAsync(cancellationToken);

        db.Ratings.AddRange(CatalogSeed.Ratings(users.Count, books.Count)
            .Select(r => new RatingEntity { UserId = users[r.UserIndex].Id, BookId = books[r.BookIndex].Id, Value = r.Value }));
        await db.SaveChangesAsync(cancellationToken);
        return true;
    }

    public async Task<IReadOnlyList<Book>> GetMostPopularBooksAsync(int limit, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await ReadBooksAsync(db, db.Books.OrderByDescending(b => b.RatingsCount).ThenBy(b => b.Id).Take(limit), cancellationToken);
    }

    public async Task<IReadOnlyList<Book>> GetBooksAsync(IReadOnlyCollection<int> ids, CancellationToken cancellationToken)
    {
        if (ids.Count == 0)
        {
            return [];
        }

        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await ReadBooksAsync(db, db.Books.Where(b => ids.Contains(b.Id)), cancellationToken);
    }

    /// <summary>The goodreads file has no prices; a fixed function of the id keeps re-imports idempotent.</summary>
    private static decimal ImportedPrice(int goodreadsBookId) => 4.99m + (goodreadsBookId % 20);

    /// <summary>
    /// Books read straight into <see cref="Book"/>s, in the order of <paramref name="selected"/>: two flat queries (the
    /// author names of the selected books in key order, then the books' columns) joined in memory, no entities. For the
    /// bulk reads (10,000 books for the warmer) materializing entities with their author links was most of the request
    /// (0.29–0.34 s); one projection with a nested author list made EF's split query join the selection to every author
    /// link and sort the result (about 2x a plain <c>SqliteDataReader</c>). These are the two statements a hand-written
    /// reader sends (docs/performance.md, "Warm run, end to end").
    /// </summary>
    private static async Task<List<Book>> ReadBooksAsync(CatalogDbContext db, IQueryable<BookEntity> selected, CancellationToken cancellationToken)
    {
        var selectedIds = selected.Select(b => b.Id);
        var authors = new Dictionary<int, List<string>>();
        await foreach (var link in db.BookAuthors.AsNoTracking()
                           .Where(a => selectedIds.Contains(a.BookId))
                           .OrderBy(a => a.BookId).ThenBy(a => a.Position)
                           .Select(a => new { a.BookId, a.Author.Name })
                           .AsAsyncEnumerable().WithCancellation(cancellationToken))
        {
            if (!authors.TryGetValue(link.BookId, out var names))
            {
                authors[link.BookId] = names = [];
            }

            names.Add(link.Name);
        }

        var books = new List<Book>(authors.Count);
        await foreach (var b in selected.AsNoTracking()
                           .Select(b => new { b.Id, b.Title, b.AverageRating, b.RatingsCount, b.Isbn13, b.OriginalPublicationYear, b.LanguageCode, b.ImageUrl, b.Description })
                           .AsAsyncEnumerable().WithCancellation(cancellationToken))
        {
            books.Add(new Book(
                b.Id,
                b.Title,
                authors.TryGetValue(b.Id, out var names) ? names : [],
                b.AverageRating,
                b.RatingsCount,
                b.Isbn13,
                b.OriginalPublicationYear,
                b.LanguageCode,
                b.ImageUrl,
                b.Description));
        }

        return books;
    }

    private static IQueryable<BookEntity> WithAuthors(IQueryable<BookEntity> books) =>
        books.Include(b => b.Authors).ThenInclude(a => a.Author);

    private static async Task<BookPage> PageAsync(IQueryable<BookEntity> ordered, int page, int pageSize, CancellationToken cancellationToken)
    {
        var total = await ordered.CountAsync(cancellationToken);
        var items = await WithAuthors(ordered).AsSplitQuery().Skip((page - 1) * pageSize).Take(pageSize).ToListAsync(cancellationToken);
        return new BookPage([.. items.Select(b => b.ToBook(withDescription: false))], page, pageSize, total);
    }

    private static void Apply(BookEntity entity, BookInput input)
    {
        entity.Title = input.Title;
        entity.Price = input.Price;
        entity.Isbn13 = input.Isbn13;
        entity.OriginalPublicationYear = input.OriginalPublicationYear;
        entity.LanguageCode = input.LanguageCode;
        entity.ImageUrl = input.ImageUrl;
        entity.Description = input.Description;
    }

    /// <summary>Sets the imported fields; true when one of them changed (so a re-import of the same file writes nothing).</summary>
    private static bool ApplyImported(BookEntity entity, ImportedBook row)
    {
        var changed = entity.Title != row.Title
            || entity.AverageRating != row.AverageRating
            || entity.RatingsCount != row.RatingsCount
            || entity.Isbn13 != row.Isbn13
            || entity.OriginalPublicationYear != row.OriginalPublicationYear
            || entity.LanguageCode != row.LanguageCode
            || entity.ImageUrl != row.ImageUrl;
        if (changed)
        {
            entity.Title = row.Title;
            entity.AverageRating = row.AverageRating;
            entity.RatingsCount = row.RatingsCount;
            entity.Isbn13 = row.Isbn13;
            entity.OriginalPublicationYear = row.OriginalPublicationYear;
            entity.LanguageCode = row.LanguageCode;
            entity.ImageUrl = row.ImageUrl;
        }

        return changed;
    }

    /// <summary>
    /// Links a single book's authors. A missing author is inserted at once with <c>ON CONFLICT DO NOTHING</c>, so two
    /// requests that name the same new author at the same moment both link the one row instead of one failing on the
    /// unique name.
    /// </summary>
    private static async Task LinkAuthorsAsync(CatalogDbContext db, BookEntity entity, IReadOnlyList<string> names, CancellationToken cancellationToken)
    {
        var wanted = names.Distinct(StringComparer.Ordinal).ToList();
        var known = await db.Authors.Where(a => wanted.Contains(a.Name)).Select(a => a.Name).ToListAsync(cancellationToken);
        foreach (var name in wanted.Except(known, StringComparer.Ordinal))
        {
            await db.Database.ExecuteSqlInterpolatedAsync($"INSERT INTO \"Authors\" (\"Name\") VALUES ({name}) ON CONFLICT (\"Name\") DO NOTHING", cancellationToken);
        }

        LinkAuthors(entity, names, await AuthorsByNameAsync(db, wanted, cancellationToken));
    }

    /// <summary>
    /// Makes the book's authors exactly <paramref name="names"/>, in order. Links are kept, moved or removed rather than
    /// cleared and re-added, because EF refuses a deleted and an added link with the same key in one save.
    /// </summary>
    private static void LinkAuthors(BookEntity entity, IReadOnlyList<string> names, Dictionary<string, AuthorEntity> authors)
    {
        var wanted = names.Distinct(StringComparer.Ordinal).ToList();
        entity.Authors.RemoveAll(link => !wanted.Contains(link.Author.Name, StringComparer.Ordinal));
        for (var position = 0; position < wanted.Count; position++)
        {
            var link = entity.Authors.Find(l => string.Equals(l.Author.Name, wanted[position], StringComparison.Ordinal));
            if (link is null)
            {
                entity.Authors.Add(new BookAuthorEntity { Author = authors[wanted[position]], Position = position });
            }
            else
            {
                link.Position = position;
            }
        }
    }

    /// <summary>The authors with these names, the missing ones added (tracked, saved with the books).</summary>
    private static async Task<Dictionary<string, AuthorEntity>> AuthorsByNameAsync(CatalogDbContext db, IEnumerable<string> names, CancellationToken cancellationToken)
    {
        var wanted = names.Distinct(StringComparer.Ordinal).ToList();
        var found = await db.Authors.Where(a => wanted.Contains(a.Name)).ToDictionaryAsync(a => a.Name, StringComparer.Ordinal, cancellationToken);
        foreach (var name in wanted.Where(n => !found.ContainsKey(n)))
        {
            var author = new AuthorEntity { Name = name };
            db.Authors.Add(author);
            found[name] = author;
        }

        return found;
    }
}
