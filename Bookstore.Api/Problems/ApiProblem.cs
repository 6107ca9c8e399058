using System.Globalization;
using System.Reflection;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Mvc;

namespace Bookstore.Api.Problems;

/// <summary>
/// A ProblemDetails answer whose type names its status code, so a handler's <c>Results&lt;...&gt;</c> tells the OpenAPI
/// document every error it returns, with the ProblemDetails schema and <c>application/problem+json</c>. It is written as
/// <see cref="TypedResults.Problem(string?, string?, int?, string?, string?, IDictionary{string, object?}?)"/> writes it
/// (through <see cref="IProblemDetailsService"/>, so the answer carries the type link and traceId like every other problem);
/// the framework's <c>NotFound&lt;ProblemDetails&gt;</c> would answer <c>application/json</c> without them.
/// A union that also holds <see cref="ValidationProblem"/> lists it last: the document keeps the last schema declared
/// for a status, and HttpValidationProblemDetails (a ProblemDetails with <c>errors</c>) describes every 400 of it.
/// </summary>
public abstract class ApiProblem : IResult, IStatusCodeHttpResult, IValueHttpResult, IValueHttpResult<ProblemDetails>, IContentTypeHttpResult
{
    private readonly ProblemHttpResult _result;
    private readonly TimeSpan? _retryAfter;

    private protected ApiProblem(int statusCode, string title, string detail, TimeSpan? retryAfter = null)
    {
        _result = TypedResults.Problem(detail, statusCode: statusCode, title: title);
        _retryAfter = retryAfter;
    }

    public int? StatusCode => _result.StatusCode;

    public ProblemDetails Value => _result.ProblemDetails;

    object? IValueHttpResult.Value => Value;

    public string ContentType => _result.ContentType;

    public Task ExecuteAsync(HttpContext httpContext)
    {
        if (_retryAfter is { } wait)
        {
            httpContext.Response.Headers.RetryAfter = RetryAfterSeconds(wait);
        }

        return _result.ExecuteAsync(httpContext);
    }

    /// <summary>A <c>Retry-After</c> value: whole seconds, rounded up, at least 1.</summary>
    public static string RetryAfterSeconds(TimeSpan wait) =>
        Math.Max(1, (long)Math.Ceiling(wait.TotalSeconds)).ToString(CultureInfo.InvariantCulture);

    private protected static void Describe(EndpointBuilder builder, params int[] statusCodes)
    {
        foreach (var statusCode in statusCodes)
        {
            builder.Metadata.Add(new ProducesResponseTypeMetadata(statusCode, typeof(ProblemDetails), ["application/problem+json"]));
        }
    }
}

/// <summary>400: a route or query value that names nothing (an id of 0 or below).</summary>
public sealed class BadRequestProblem(string title, string detail)
    : ApiProblem(StatusCodes.Status400BadRequest, title, detail), IEndpointMetadataProvider
{
    public static void PopulateMetadata(MethodInfo method, EndpointBuilder builder) => Describe(builder, StatusCodes.Status400BadRequest);
}

/// <summary>401: credentials in the request body that sign no one in (a wrong password, an unknown user).</summary>
public sealed class UnauthorizedProblem(string title, string detail)
    : ApiProblem(StatusCodes.Status401Unauthorized, title, detail), IEndpointMetadataProvider
{
    public static void PopulateMetadata(MethodInfo method, EndpointBuilder builder) => Describe(builder, StatusCodes.Status401Unauthorized);
}

/// <summary>404: the resource the route names does not exist.</summary>
public sealed class NotFoundProblem(string title, string detail)
    : ApiProblem(StatusCodes.Status404NotFound, title, detail), IEndpointMetadataProvider
{
    public static void PopulateMetadata(MethodInfo method, EndpointBuilder builder) => Describe(builder, StatusCodes.Status404NotFound);
}

/// <summary>409: the request is well-formed but conflicts with the resource's state (a flush of a Persistent type unconfirmed).</summary>
public sealed class ConflictProblem(string title, string detail)
    : ApiProblem(StatusCodes.Status409Conflict, title, detail), IEndpointMetadataProvider
{
    public static void PopulateMetadata(MethodInfo method, EndpointBuilder builder) => Describe(builder, StatusCodes.Status409Conflict);
}

/// <summary>502: Redis answered, but not what was asked of it.</summary>
public sealed class BadGatewayProblem(string title, string detail)
    : ApiProblem(StatusCodes.Status502BadGateway, title, detail), IEndpointMetadataProvider
{
    public static void PopulateMetadata(MethodInfo method, EndpointBuilder builder) => Describe(builder, StatusCodes.Status502BadGateway);
}

/// <summary>429: the caller asked too often; <c>Retry-After</c> says in how many seconds it may ask again.</summary>
public sealed class TooManyRequestsProblem(string title, string detail, TimeSpan retryAfter)
    : ApiProblem(StatusCodes.Status429TooManyRequests, title, detail, retryAfter), IEndpointMetadataProvider
{
    public static void PopulateMetadata(MethodInfo method, EndpointBuilder builder) => Describe(builder, StatusCodes.Status429TooManyRequests);
}

/// <summary>503: what the endpoint needs (Redis) is unavailable; retrying later may succeed (after <c>Retry-After</c>, when given).</summary>
public sealed class ServiceUnavailableProblem(string title, string detail, TimeSpan? retryAfter = null)
    : ApiProblem(StatusCodes.Status503ServiceUnavailable, title, detail, retryAfter), IEndpointMetadataProvider
{
    public static void PopulateMetadata(MethodInfo method, EndpointBuilder builder) => Describe(builder, StatusCodes.Status503ServiceUnavailable);
}

/// <summary>
/// A request body the endpoint will not take: 415 when it is not the media type the endpoint reads, 413 past the endpoint's
/// limit, 400 when it cannot be parsed (or the connection ends it early).
/// </summary>
public sealed class RequestBodyProblem : ApiProblem, IEndpointMetadataProvider
{
    private RequestBodyProblem(int statusCode, string title, string detail)
        : base(statusCode, title, detail)
    {
    }

    public static RequestBodyProblem UnsupportedMediaType(string detail) =>
        new(StatusCodes.Status415UnsupportedMediaType, "Unsupported media type", detail);

    public static RequestBodyProblem TooLarge(string detail) =>
        new(StatusCodes.Status413PayloadTooLarge, "Request body too large", detail);

    public static RequestBodyProblem Malformed(string title, string detail) =>
        new(StatusCodes.Status400BadRequest, title, detail);

    public static void PopulateMetadata(MethodInfo method, EndpointBuilder builder) =>
        Describe(builder, StatusCodes.Status400BadRequest, StatusCodes.Status413PayloadTooLarge, StatusCodes.Status415UnsupportedMediaType);
}
