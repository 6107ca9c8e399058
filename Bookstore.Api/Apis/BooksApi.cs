using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;
using Bookstore.Api.Catalog;
using Bookstore.Api.Popularity;
using Bookstore.Api.Problems;
using Bookstore.Api.RateLimiting;
using Bookstore.Api.Security;
using Bookstore.Catalog.Contracts;
using Bookstore.Caching.Typed;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Microsoft.AspNetCore.Builder;

/// <summary>
/// The books endpoints, cache-aside through the typed cache. Reads: <c>Books</c> entries by id (untagged: the book's
/// own key is removed by InvalidateBookAsync) and <c>BookLists</c> pages by a canonical id built from the validated query (tagged with every book on the page).
/// Writes invalidate what they changed: the book and the pages and recommendations holding it; when a change can move
/// books between pages (create, delete, a change of a field lists sort or filter on) every list page too.
/// </summary>
public static partial class BooksApi
{
    /// <summary>The largest body a book write accepts; larger ones are refused with 413 before they are parsed.</summary>
    public const int MaxBookBodyBytes = 64 * 1024;

    public const int MaxPageSize = 100;

    public const int MaxSearchLength = 100;

    private const string CacheHeader = "X-Cache";

    /// <summary>
    /// A book id looked up and not found is cached as this marker (id 0) so scans of unknown ids do not reach the store;
    /// creating a book invalidates its id, so a marker never hides a new book.
    /// </summary>
    private static readonly Book Absent = new(0, string.Empty, [], 0, 0);

    public static IEndpointRouteBuilder MapBooksApi(this IEndpointRouteBuilder app)
    {
        var books = app.MapGroup("/books").WithTags("Books");
        books.MapGet("/", ListAsync).WithName("ListBooks").WithSummary("A page of books: page ≥ 1, pageSize 1–100, sort popularity|rating|title|year, filters author, language, year.")
            .RequireAnonymousRateLimit();
        books.MapGet("/search", SearchAsync).WithName("SearchBooks").WithSummary("Books whose title or author contains q (1–100 characters).")
            .RequireAnonymousRateLimit();

        // The hot read returns IResult, not a Results<...> union (which would allocate a wrapper per read): its answers are declared here.
        books.MapGet("/{id:int}", GetAsync).WithName("GetBook").WithSummary("One book by id (an integer from 1).")
            .Produces<Book>()
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .RequireAnonymousRateLimit();
        books.MapPost("/", CreateAsync).WithName("CreateBook").WithSummary($"Adds a book (JSON, at most {MaxBookBodyBytes / 1024} KB); the answer is the book with its new id.")
            .Accepts<BookRequest>("application/json").RequireAdminKey();
        books.MapPut("/{id:int}", UpdateAsync).WithName("UpdateBook").WithSummary("Replaces a book's fields; the answer is the book as stored.")
            .Accepts<BookRequest>("application/json").RequireAdminKey();
        books.MapDelete("/{id:int}", DeleteAsync).WithName("DeleteBook").WithSummary("Deletes a book and drops every cached page and recommendation holding it.")
            .RequireAdminKey();

        // Ids that are not an int (text, or too large) would otherwise fall through to a 404 or 405: they are bad requests,
        // told to a writer only once it has shown the admin key.
        books.MapMethods("/{id}", [HttpMethods.Get], (string id) => InvalidId(id)).ExcludeFromDescription().RequireAnonymousRateLimit();
        books.MapMethods("/{id}", [HttpMethods.Put, HttpMethods.Delete], (string id) => InvalidId(id)).ExcludeFromDescription()
            .RequireAuthorization(BookstoreAuth.AdminPolicy);
        return app;
    }

    /// <summary>
    /// One book. An L1 hit completes synchronously and allocates no closure (the factory is static, its state passed in),
    /// so the answer is built without an async state machine.
    /// </summary>
    internal static ValueTask<IResult> GetAsync(
        int id, CacheService cache, ICatalogStore store, BookViews views, HttpResponse response, CancellationToken cancellationToken)
    {
        if (id < 1)
        {
            return ValueTask.FromResult<IResult>(InvalidId(id.ToString(CultureInfo.InvariantCulture)));
        }

        // No tag: InvalidateBookAsync removes this key itself, and FusionCache checks every tag of an entry on every
        // hit (a tagged book's L1 hit costs about twice an untagged one, docs/performance.md).
        var entry = cache.GetOrSetEntryAsync(
            CacheType.Books,
            id.ToString(CultureInfo.InvariantCulture),
            (store, id),
            static async (state, ct) => await state.store.GetBookAsync(state.id, ct) ?? Absent,
            cancellationToken: cancellationToken);
        return entry.IsCompletedSuccessfully
            ? ValueTask.FromResult(Answer(entry.Result, id, views, response))
            : AnswerAsync(entry, id, views, response);
    }

    private static async ValueTask<IResult> AnswerAsync(ValueTask<CachedValue<Book>> entry, int id, BookViews views, HttpResponse response) =>
        Answer(await entry, id, views, response);

    private static IResult Answer(CachedValue<Book> entry, int id, BookViews views, HttpResponse response)
    {
        response.Headers[CacheHeader] = entry.Header;
        if (entry.Value.Id == 0)
        {
            return NotFound(id);
        }

        // Counted in process and sent to Redis in batches (BookViews): an L1 hit makes no Redis call.
        views.Count(id);
        return EncodedJsonResult<Book>.Of(entry, CatalogHttpJsonContext.Default.Book);
    }

    internal static async Task<Results<EncodedJsonResult<BookPage>, ValidationProblem>> ListAsync(
        string? page, string? pageSize, string? sort, string? author, string? language, string? year,
        CacheService cache, ICatalogStore store, HttpResponse response, CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string[]>();
        var (pageNumber, size) = ParsePaging(page, pageSize, errors);
        BookSort? sortBy = sort?.Trim().ToLowerInvariant() switch
        {
            null or "popularity" => BookSort.Popularity,
            "rating" => BookSort.Rating,
            "title" => BookSort.Title,
            "year" => BookSort.Year,
            _ => null,
        };
        if (sortBy is null)
        {
            errors["sort"] = ["sort must be one of popularity, rating, title, year."];
        }

        string? languageCode = null;
        if (language is not null)
        {
            languageCode = language.Trim().ToLowerInvariant();
            if (!LanguagePattern().IsMatch(languageCode))
            {
                errors["language"] = ["language must be a language code such as eng or en-us."];
            }
        }

        int? yearValue = null;
        if (year is not null)
        {
            if (int.TryParse(year, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var y) && y is >= -5000 and <= 2100)
            {
                yearValue = y;
            }
            else
            {
                errors["year"] = ["year must be an integer between -5000 and 2100."];
            }
        }

        var authorText = author?.Trim();
        if (author is not null && authorText!.Length is 0 or > MaxSearchLength)
        {
            errors["author"] = [$"author must be 1 to {MaxSearchLength} characters."];
        }

        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }

        var query = new BookQuery(pageNumber, size, sortBy!.Value, languageCode, yearValue, authorText);
        var id = string.Create(CultureInfo.InvariantCulture,
            $"p{query.Page}.s{query.PageSize}.{query.Sort.ToString().ToLowerInvariant()}.l-{query.Language ?? "any"}.y-{(query.Year is { } yv ? yv.ToString(CultureInfo.InvariantCulture) : "any")}.a-{(query.Author is { } a ? Hash(a) : "any")}");
        return await CachedPageAsync(cache, id, ct => store.ListBooksAsync(query, ct), response, cancellationToken);
    }

    internal static async Task<Results<EncodedJsonResult<BookPage>, ValidationProblem>> SearchAsync(
        string? q, string? page, string? pageSize, CacheService cache, ICatalogStore store, HttpResponse response, CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string[]>();
        var (pageNumber, size) = ParsePaging(page, pageSize, errors);
        var text = q?.Trim() ?? string.Empty;
        if (text.Length is 0 or > MaxSearchLength)
        {
            errors["q"] = [$"q must be 1 to {MaxSearchLength} characters."];
        }

        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }

        var id = string.Create(CultureInfo.InvariantCulture, $"search.q-{Hash(text)}.p{pageNumber}.s{size}");
        return await CachedPageAsync(cache, id, ct => store.SearchAsync(text, pageNumber, size, ct), response, cancellationToken);
    }

    internal static async Task<Results<Created<Book>, RequestBodyProblem, ValidationProblem>> CreateAsync(
        HttpContext context, CacheService cache, ICatalogStore store, CancellationToken cancellationToken)
    {
        var (body, problem) = await ReadBookAsync(context.Request, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }

        if (body!.Validate() is { Count: > 0 } errors)
        {
            return TypedResults.ValidationProblem(errors);
        }

        var book = await store.CreateBookAsync(body.ToInput(), cancellationToken);
        context.Response.Headers[CacheHeader] = "bypass";

        // The new id may have been looked up before (an Absent marker), and the book can belong on any page.
        await cache.InvalidateBookAsync(book.Id, cancellationToken);
        await cache.ClearTypeAsync(CacheType.BookLists, cancellationToken);
        return TypedResults.Created($"/books/{book.Id}", book);
    }

    internal static async Task<Results<Ok<Book>, BadRequestProblem, RequestBodyProblem, NotFoundProblem, ValidationProblem>> UpdateAsync(
        int id, HttpContext context, CacheService cache, ICatalogStore store, CancellationToken cancellationToken)
    {
        if (id < 1)
        {
            return InvalidId(id.ToString(CultureInfo.InvariantCulture));
        }

        var (body, problem) = await ReadBookAsync(context.Request, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }

        if (body!.Validate() is { Count: > 0 } errors)
        {
            return TypedResults.ValidationProblem(errors);
        }

        var update = await store.UpdateBookAsync(id, body.ToInput(), cancellationToken);
        context.Response.Headers[CacheHeader] = "bypass";
        if (update is null)
        {
            return NotFound(id);
        }

        await cache.InvalidateBookAsync(id, cancellationToken);
        if (MovesBetweenPages(update.Before, update.After))
        {
            await cache.ClearTypeAsync(CacheType.BookLists, cancellationToken);
        }

        return TypedResults.Ok(update.After);
    }

    internal static async Task<Results<NoContent, BadRequestProblem, NotFoundProblem>> DeleteAsync(int id, HttpResponse response, CacheService cache, ICatalogStore store, CancellationToken cancellationToken)
    {
        if (id < 1)
        {
            return InvalidId(id.ToString(CultureInfo.InvariantCulture));
        }

        var deleted = await store.DeleteBookAsync(id, cancellationToken);
        response.Headers[CacheHeader] = "bypass";
        if (!deleted)
        {
            return NotFound(id);
        }

        // The book and the pages holding it; and every page's total and the pages after it shift, so all list pages.
        await cache.InvalidateBookAsync(id, cancellationToken);
        await cache.ClearTypeAsync(CacheType.BookLists, cancellationToken);
        return TypedResults.NoContent();
    }

    /// <summary>True when the change can move the book into or out of a filtered list or change its place in a sort order.</summary>
    private static bool MovesBetweenPages(Book before, Book after) =>
        before.Title != after.Title
        || before.OriginalPublicationYear != after.OriginalPublicationYear
        || !string.Equals(before.LanguageCode, after.LanguageCode, StringComparison.OrdinalIgnoreCase)
        || !before.Authors.SequenceEqual(after.Authors, StringComparer.Ordinal)
        || before.AverageRating != after.AverageRating
        || before.RatingsCount != after.RatingsCount;

    private static async Task<EncodedJsonResult<BookPage>> CachedPageAsync(
        CacheService cache, string id, Func<CancellationToken, Task<BookPage>> load, HttpResponse response, CancellationToken cancellationToken)
    {
        // Tagged with every book on the page, so a change to one of them drops the page.
        var entry = await cache.GetOrSetTaggedEntryAsync(
            CacheType.BookLists, id, load, page => page.Items.Select(b => CacheTags.Book(b.Id)), cancellationToken);
        response.Headers[CacheHeader] = entry.Header;
        return EncodedJsonResult<BookPage>.Of(entry, CatalogHttpJsonContext.Default.BookPage);
    }

    private static (int Page, int PageSize) ParsePaging(string? page, string? pageSize, Dictionary<string, string[]> errors)
    {
        var pageNumber = 1;
        var size = 20;
        if (page is not null && (!int.TryParse(page, NumberStyles.None, CultureInfo.InvariantCulture, out pageNumber) || pageNumber < 1 || pageNumber > 100_000))
        {
            errors["page"] = ["page must be an integer from 1 to 100000."];
        }

        if (pageSize is not null && (!int.TryParse(pageSize, NumberStyles.None, CultureInfo.InvariantCulture, out size) || size is < 1 or > MaxPageSize))
        {
            errors["pageSize"] = [$"pageSize must be an integer from 1 to {MaxPageSize}."];
        }

        return (pageNumber, size);
    }

    /// <summary>Free text never goes into a key: a SHA-256 prefix of its lower-case form (128 bits) does.</summary>
    private static string Hash(string text) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToLowerInvariant())))[..32];

    private static Task<(BookRequest? Body, RequestBodyProblem? Problem)> ReadBookAsync(HttpRequest request, CancellationToken cancellationToken) =>
        JsonRequestBody.ReadAsync(request, BooksApiJsonContext.Default.BookRequest, MaxBookBodyBytes, cancellationToken);

    private static BadRequestProblem InvalidId(string id) => new(
        "Invalid book id",
        $"'{(id.Length > 20 ? id[..20] + "…" : id)}' is not a book id: ids are integers from 1 to {int.MaxValue}.");

    private static NotFoundProblem NotFound(int id) => new("Book not found", $"No book has id {id}.");


    [GeneratedRegex("^[a-z]{2,3}(-[a-z0-9]{2,8})?$")]
    internal static partial Regex LanguagePattern();

    [GeneratedRegex("^[0-9]{13}$")]
    private static partial Regex Isbn13Pattern();

    /// <summary>The JSON a client sends for POST and PUT. Everything is nullable so a missing field is a validation error, not a parse error.</summary>
    public sealed class BookRequest
    {
        public string? Title { get; set; }

        public List<string?>? Authors { get; set; }

        public decimal? Price { get; set; }

        public string? Isbn13 { get; set; }

        public int? OriginalPublicationYear { get; set; }

        public string? LanguageCode { get; set; }

        public string? ImageUrl { get; set; }

        public string? Description { get; set; }

        internal Dictionary<string, string[]> Validate()
        {
            var errors = new Dictionary<string, string[]>();
            if (string.IsNullOrWhiteSpace(Title) || Title.Trim().Length > 1000)
            {
                errors["title"] = ["title is required, 1 to 1000 characters."];
            }

            if (Authors is null || Authors.Count is 0 or > 20 || Authors.Any(a => string.IsNullOrWhiteSpace(a) || a.Trim().Length > 300))
            {
                errors["authors"] = ["authors is required: 1 to 20 names of 1 to 300 characters."];
            }

            if (Price is not { } price || price < 0 || price > 10_000 || price.Scale > 2 && price != Math.Round(price, 2))
            {
                errors["price"] = ["price is required: 0 to 10000 with at most 2 decimals."];
            }

            if (Isbn13 is not null && !Isbn13Pattern().IsMatch(Isbn13))
            {
                errors["isbn13"] = ["isbn13 must be 13 digits."];
            }

            if (OriginalPublicationYear is < -5000 or > 2100)
            {
                errors["originalPublicationYear"] = ["originalPublicationYear must be between -5000 and 2100."];
            }

            if (LanguageCode is not null && !LanguagePattern().IsMatch(LanguageCode.ToLowerInvariant()))
            {
                errors["languageCode"] = ["languageCode must be a language code such as eng or en-US."];
            }

            if (ImageUrl is not null && (ImageUrl.Length > 2000 || !Uri.TryCreate(ImageUrl, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https")))
            {
                errors["imageUrl"] = ["imageUrl must be an absolute http or https URL of at most 2000 characters."];
            }

            if (Description is { Length: > 20_000 })
            {
                errors["description"] = ["description is at most 20000 characters."];
            }

            return errors;
        }

        internal BookInput ToInput() => new(
            Title!.Trim(),
            [.. Authors!.Select(a => a!.Trim())],
            Price!.Value,
            Isbn13,
            OriginalPublicationYear,
            LanguageCode,
            ImageUrl,
            Description);
    }
}

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow)]
[JsonSerializable(typeof(BooksApi.BookRequest))]
internal sealed partial class BooksApiJsonContext : JsonSerializerContext;
