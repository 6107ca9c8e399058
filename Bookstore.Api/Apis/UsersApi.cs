using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Bookstore.Api.Catalog;
using Bookstore.Api.Popularity;
using Bookstore.Api.Problems;
using Bookstore.Api.RateLimiting;
using Bookstore.Api.Recommender;
using Bookstore.Api.Security;
using Bookstore.Catalog.Contracts;
using Bookstore.Caching.FunctionCaching;
using Bookstore.Caching.Typed;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Microsoft.AspNetCore.Builder;

/// <summary>
/// User profiles and carts, cache-aside through the typed cache: <c>Users</c> and <c>Cart</c> entries by user id, both
/// tagged with the user. A cart write updates the store, then drops exactly the cart entry and the user's
/// recommendations (the cart feeds them); the profile and the user's sessions stay.
/// </summary>
public static class UsersApi
{
    /// <summary>Cart and rating bodies are a few numbers; anything larger is refused with 413.</summary>
    public const int MaxBodyBytes = 4 * 1024;

    public const int MaxQuantity = 99;

    public const int MaxRecommendations = 50;

    /// <summary>How many recommendations a reader gets without a <c>limit</c>; the warmer warms lists of this length.</summary>
    public const int DefaultRecommendations = 10;

    private const string CacheHeader = "X-Cache";

    /// <summary>An unknown user id is cached as this marker (id 0) so scans of unknown ids do not reach the store.</summary>
    private static readonly UserProfile AbsentUser = new(0, string.Empty, string.Empty, DateTimeOffset.MinValue);

    private static readonly Cart AbsentCart = new(0, [], DateTimeOffset.MinValue);

    public static IEndpointRouteBuilder MapUsersApi(this IEndpointRouteBuilder app)
    {
        var users = app.MapGroup("/users").WithTags("Users").AddEndpointFilter<ReaderActivityFilter>();
        users.MapGet("/{id:int}", GetUserAsync).WithName("GetUser").WithSummary("A user's public profile.").RequireAnonymousRateLimit();
        users.MapMethods("/{id}", [HttpMethods.Get], (string id) => InvalidId("user", id)).ExcludeFromDescription().RequireAnonymousRateLimit();

        // A reader's own data: their session token (or the admin key), checked against the route's {id} before any handler runs.
        var reader = users.MapGroup("/{id:int}").RequireReader();
        reader.MapGet("/cart", GetCartAsync).WithName("GetCart").WithSummary("The user's cart.");
        reader.MapPost("/cart/items", AddCartItemAsync).WithName("AddCartItem")
            .WithSummary($"Puts a book in the cart with a quantity (1–{MaxQuantity}), replacing its line; the answer is the cart.")
            .Accepts<CartItemRequest>("application/json");
        reader.MapDelete("/cart/items/{bookId:int}", RemoveCartItemAsync).WithName("RemoveCartItem")
            .WithSummary("Removes a book's line from the cart; the answer is the cart.");
        reader.MapDelete("/cart", ClearCartAsync).WithName("ClearCart").WithSummary("Empties the cart; the answer is the empty cart.");
        reader.MapGet("/recommendations", GetRecommendationsAsync).WithName("GetRecommendations")
            .WithSummary("Up to limit (1–50, default 10) unread books for the user, best first; cached per user and limit.");
        reader.MapPut("/ratings/{bookId:int}", RateAsync).WithName("RateBook")
            .WithSummary("Sets the user's rating (1–5) of a book; the user's recommendations are recomputed.")
            .Accepts<RatingRequest>("application/json");

        // Ids that are not an int would otherwise fall through to a 404 or 405: they are bad requests (to whoever may ask).
        var notAnId = users.MapGroup("/{id}").RequireAuthorization(BookstoreAuth.ReaderPolicy);
        notAnId.MapMethods("/cart", [HttpMethods.Get, HttpMethods.Delete], (string id) => InvalidId("user", id)).ExcludeFromDescription();
        notAnId.MapMethods("/cart/items", [HttpMethods.Post], (string id) => InvalidId("user", id)).ExcludeFromDescription();
        notAnId.MapMethods("/cart/items/{bookId}", [HttpMethods.Delete], (string id, string bookId) => InvalidId("user or book", $"{id}/{bookId}")).ExcludeFromDescription();
        notAnId.MapMethods("/recommendations", [HttpMethods.Get], (string id) => InvalidId("user", id)).ExcludeFromDescription();
        notAnId.MapMethods("/ratings/{bookId}", [HttpMethods.Put], (string id, string bookId) => InvalidId("user or book", $"{id}/{bookId}")).ExcludeFromDescription();
        return app;
    }

    internal static async Task<Results<Ok<UserProfile>, BadRequestProblem, NotFoundProblem>> GetUserAsync(int id, CacheService cache, ICatalogStore store, HttpResponse response, CancellationToken cancellationToken)
    {
        if (id < 1)
        {
            return InvalidId("user", Text(id));
        }

        var entry = await cache.GetOrSetEntryAsync(
            CacheType.Users, Text(id), async ct => await store.GetUserAsync(id, ct) ?? AbsentUser, [CacheTags.User(id)], cancellationToken);
        response.Headers[CacheHeader] = entry.Header;
        return entry.Value.Id == 0 ? UserNotFound(id) : TypedResults.Ok(entry.Value);
    }

    internal static async Task<Results<Ok<Cart>, BadRequestProblem, NotFoundProblem>> GetCartAsync(int id, CacheService cache, ICatalogStore store, HttpResponse response, CancellationToken cancellationToken)
    {
        if (id < 1)
        {
            return InvalidId("user", Text(id));
        }

        var entry = await cache.GetOrSetEntryAsync(
            CacheType.Cart, Text(id), async ct => await store.GetCartAsync(id, ct) ?? AbsentCart, [CacheTags.User(id)], cancellationToken);
        response.Headers[CacheHeader] = entry.Header;
        return entry.Value.UserId == 0 ? UserNotFound(id) : TypedResults.Ok(entry.Value);
    }

    internal static async Task<Results<Ok<Cart>, BadRequestProblem, RequestBodyProblem, NotFoundProblem, ValidationProblem>> AddCartItemAsync(int id, HttpContext context, CacheService cache, ICatalogStore store, CancellationToken cancellationToken)
    {
        if (id < 1)
        {
            return InvalidId("user", Text(id));
        }

        var (body, problem) = await ReadJsonAsync(context.Request, UsersApiJsonContext.Default.CartItemRequest, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }

        var errors = new Dictionary<string, string[]>();
        if (body!.BookId is not > 0)
        {
            errors["bookId"] = ["bookId is required: an integer from 1."];
        }

        if (body.Quantity is not (>= 1 and <= MaxQuantity))
        {
            errors["quantity"] = [$"quantity is required: an integer from 1 to {MaxQuantity}."];
        }

        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }

        var write = await store.SetCartItemAsync(id, body.BookId!.Value, body.Quantity!.Value, cancellationToken);
        var (cart, notFound) = await AfterCartWriteAsync(id, body.BookId.Value, write, context.Response, cache, store, cancellationToken);
        return notFound is null ? TypedResults.Ok(cart!) : notFound;
    }

    internal static async Task<Results<Ok<Cart>, BadRequestProblem, NotFoundProblem>> RemoveCartItemAsync(int id, int bookId, HttpResponse response, CacheService cache, ICatalogStore store, CancellationToken cancellationToken)
    {
        if (id < 1 || bookId < 1)
        {
            return InvalidId("user or book", $"{Text(id)}/{Text(bookId)}");
        }

        var write = await store.RemoveCartItemAsync(id, bookId, cancellationToken);
        if (write == UserWrite.BookNotFound)
        {
            return new NotFoundProblem("Not in the cart", $"The cart of user {id} holds no book {bookId}.");
        }

        var (cart, notFound) = await AfterCartWriteAsync(id, bookId, write, response, cache, store, cancellationToken);
        return notFound is null ? TypedResults.Ok(cart!) : notFound;
    }

    internal static async Task<Results<Ok<Cart>, BadRequestProblem, NotFoundProblem>> ClearCartAsync(int id, HttpResponse response, CacheService cache, ICatalogStore store, CancellationToken cancellationToken)
    {
        if (id < 1)
        {
            return InvalidId("user", Text(id));
        }

        var write = await store.ClearCartAsync(id, cancellationToken);
        var (cart, notFound) = await AfterCartWriteAsync(id, 0, write, response, cache, store, cancellationToken);
        return notFound is null ? TypedResults.Ok(cart!) : notFound;
    }

    internal static async Task<Results<Ok<Recommendations>, BadRequestProblem, NotFoundProblem, ValidationProblem>> GetRecommendationsAsync(
        int id, string? limit, IRecommendationService recommendations, HttpResponse response, CancellationToken cancellationToken)
    {
        if (id < 1)
        {
            return InvalidId("user", Text(id));
        }

        var count = DefaultRecommendations;
        if (limit is not null && (!int.TryParse(limit, NumberStyles.None, CultureInfo.InvariantCulture, out count) || count is < 1 or > MaxRecommendations))
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["limit"] = [$"limit must be an integer from 1 to {MaxRecommendations}."] });
        }

        cancellationToken.ThrowIfCancellationRequested();
        var source = CachedResultSource.Capture();
        var result = await recommendations.GetUserRecommendationsAsync(id, count);
        if (source.Header is { } header)
        {
            response.Headers["X-Cache"] = header;
        }

        return result is null ? UserNotFound(id) : TypedResults.Ok(result);
    }

    internal static async Task<Results<NoContent, BadRequestProblem, RequestBodyProblem, NotFoundProblem, ValidationProblem>> RateAsync(int id, int bookId, HttpContext context, CacheService cache, ICatalogStore store, CancellationToken cancellationToken)
    {
        if (id < 1 || bookId < 1)
        {
            return InvalidId("user or book", $"{Text(id)}/{Text(bookId)}");
        }

        var (body, problem) = await ReadJsonAsync(context.Request, UsersApiJsonContext.Default.RatingRequest, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }

        if (body!.Value is not (>= 1 and <= 5))
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["value"] = ["value is required: an integer from 1 to 5."] });
        }

        switch (await store.SetRatingAsync(id, bookId, body.Value.Value, cancellationToken))
        {
            case UserWrite.UserNotFound:
                return UserNotFound(id);
            case UserWrite.BookNotFound:
                return BookNotFound(bookId);
        }

        await InvalidateRecommendationsAsync(id, cache, cancellationToken);
        return TypedResults.NoContent();
    }

    /// <summary>
    /// Drops what a change of the user's cart or ratings makes wrong: their recommendations, whatever limit they were
    /// asked with. Not <see cref="ICacheService.InvalidateUserAsync"/>: that also drops the user's sessions, which live
    /// only in the cache, so a rating or a cart line would sign the reader out.
    /// </summary>
    internal static async Task InvalidateRecommendationsAsync(int userId, CacheService cache, CancellationToken cancellationToken)
    {
        await cache.RemoveAsync(CacheType.Recommendations, Text(userId), cancellationToken);
        await cache.RemoveByTagAsync(RecommendationTags.For(userId), cancellationToken);
    }

    internal static Task<(T? Body, RequestBodyProblem? Problem)> ReadJsonAsync<T>(
        HttpRequest request, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> typeInfo, CancellationToken cancellationToken)
        where T : class => JsonRequestBody.ReadAsync(request, typeInfo, MaxBodyBytes, cancellationToken);

    internal static string Text(int value) => value.ToString(CultureInfo.InvariantCulture);

    internal static BadRequestProblem InvalidId(string what, string id) => new(
        $"Invalid {what} id",
        $"'{(id.Length > 20 ? id[..20] + "…" : id)}' is not a valid {what} id: ids are integers from 1 to {int.MaxValue}.");

    internal static NotFoundProblem UserNotFound(int id) => new("User not found", $"No user has id {id}.");

    internal static NotFoundProblem BookNotFound(int id) => new("Book not found", $"No book has id {id}.");

    /// <summary>The cart as stored after a write, or the 404 the write came back with.</summary>
    private static async Task<(Cart? Cart, NotFoundProblem? NotFound)> AfterCartWriteAsync(
        int id, int bookId, UserWrite write, HttpResponse response, CacheService cache, ICatalogStore store, CancellationToken cancellationToken)
    {
        response.Headers[CacheHeader] = "bypass";
        switch (write)
        {
            case UserWrite.UserNotFound:
                return (null, UserNotFound(id));
            case UserWrite.BookNotFound:
                return (null, BookNotFound(bookId));
        }

        await cache.RemoveAsync(CacheType.Cart, Text(id), cancellationToken);
        await InvalidateRecommendationsAsync(id, cache, cancellationToken);
        var cart = await store.GetCartAsync(id, cancellationToken);
        return cart is null ? (null, UserNotFound(id)) : (cart, null);
    }


    /// <summary>Everything is nullable so a missing field is a validation error, not a parse error.</summary>
    public sealed class CartItemRequest
    {
        public int? BookId { get; set; }

        public int? Quantity { get; set; }
    }

    public sealed class RatingRequest
    {
        public int? Value { get; set; }
    }
}

// Strict numbers: an id or a quantity sent as a string is a client mistake, not something to guess at.
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, NumberHandling = JsonNumberHandling.Strict, UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow)]
[JsonSerializable(typeof(UsersApi.CartItemRequest))]
[JsonSerializable(typeof(UsersApi.RatingRequest))]
internal sealed partial class UsersApiJsonContext : JsonSerializerContext;
