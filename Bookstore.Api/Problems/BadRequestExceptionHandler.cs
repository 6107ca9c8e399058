using Microsoft.AspNetCore.Diagnostics;

namespace Bookstore.Api.Problems;

/// <summary>
/// A request the framework cannot bind (<c>?limit=abc</c> for an <c>int?</c>, an unreadable header) throws
/// <see cref="BadHttpRequestException"/> where <c>RouteHandlerOptions.ThrowOnBadRequest</c> is on (Development), which the
/// exception handler would answer with a 500. It is the client's mistake: its own status (400) as ProblemDetails, in
/// every environment, without logging an error for it.
/// </summary>
internal sealed class BadRequestExceptionHandler(IProblemDetailsService problemDetails) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if (exception is not BadHttpRequestException badRequest)
        {
            return false;
        }

        httpContext.Response.StatusCode = badRequest.StatusCode;

        // The framework's message quotes the request's value, which may be kilobytes of anything: it is not echoed.
        return await problemDetails.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = httpContext,
            ProblemDetails =
            {
                Status = badRequest.StatusCode,
                Title = "Bad request",
                Detail = "A value in the route, the query string or a header is not of the type this endpoint expects.",
            },
        });
    }
}
