using System.Net;
using Bookstore.Api.RateLimiting;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.Hosting;

public static class RateLimitingExtensions
{
    /// <summary>
    /// ASP.NET Core's rate limiter with the API's two policies (<see cref="EndpointRateLimits"/> puts them on endpoints)
    /// and the per-user sign-in count (<see cref="SignInThrottle"/>), numbers from <c>Bookstore:RateLimits</c>.
    /// </summary>
    public static IHostApplicationBuilder AddBookstoreRateLimits(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<RateLimitOptions>().BindConfiguration(RateLimitOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<SignInThrottle>();
        builder.Services.AddRateLimiter(limiter =>
        {
            limiter.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            limiter.OnRejected = RateLimitRejection.WriteAsync;
            limiter.AddPolicy<IPAddress, SignInAddressPolicy>(EndpointRateLimits.SignInPolicy);
            limiter.AddPolicy<IPAddress, AnonymousReadPolicy>(EndpointRateLimits.AnonymousPolicy);
        });
        return builder;
    }

    /// <summary>The rate limiter's middleware, left out entirely when <c>Bookstore:RateLimits:Enabled</c> is false (no cost per request).</summary>
    public static IApplicationBuilder UseBookstoreRateLimits(this IApplicationBuilder app) =>
        app.ApplicationServices.GetRequiredService<IOptions<RateLimitOptions>>().Value.Enabled ? app.UseRateLimiter() : app;
}
