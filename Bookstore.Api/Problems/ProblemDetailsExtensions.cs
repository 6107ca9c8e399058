using Bookstore.Api.Problems;

namespace Microsoft.Extensions.Hosting;

public static class ProblemDetailsExtensions
{
    /// <summary>ProblemDetails for every error answer, and the client mistakes the framework throws for answered with their 4xx.</summary>
    public static IHostApplicationBuilder AddApiProblemDetails(this IHostApplicationBuilder builder)
    {
        builder.Services.AddProblemDetails();
        builder.Services.AddExceptionHandler<BadRequestExceptionHandler>();
        return builder;
    }
}
