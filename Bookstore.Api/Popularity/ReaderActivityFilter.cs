using System.Globalization;

namespace Bookstore.Api.Popularity;

/// <summary>
/// Marks the reader of a <c>/users/{id}/...</c> request as active once it succeeded, so a scan of unknown or foreign ids
/// (refused with 4xx) never enters the activity set.
/// </summary>
internal sealed class ReaderActivityFilter(ReaderActivity activity) : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var result = await next(context);
        if (result is IStatusCodeHttpResult { StatusCode: < 400 }
            && context.HttpContext.Request.RouteValues["id"] is string text
            && int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var userId)
            && userId > 0)
        {
            activity.Record(userId);
        }

        return result;
    }
}
