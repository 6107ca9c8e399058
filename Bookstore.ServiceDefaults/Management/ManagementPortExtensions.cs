using System.Globalization;
using Bookstore.ServiceDefaults.Management;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// Keeps the operational endpoints off the public port outside Development. The check is on the port the connection
/// arrived on (<see cref="ConnectionInfo.LocalPort"/>), not on the Host header: <c>RequireHost("*:port")</c> matches a
/// header any client can write, so it would let <c>Host: api:9090</c> reach <c>/metrics</c> through the public port.
/// </summary>
public static partial class ManagementPortExtensions
{
    public static TBuilder AddManagementPort<TBuilder>(this TBuilder builder)
        where TBuilder : IHostApplicationBuilder
    {
        var development = builder.Environment.IsDevelopment();
        builder.Services.AddOptions<ManagementOptions>()
            .BindConfiguration(ManagementOptions.SectionName)
            .ValidateDataAnnotations()
            .Validate(
                options => development || options.Port is not null,
                $"{ManagementOptions.SectionName}:Port is required outside Development: /health, /alive and /metrics answer only on that port. " +
                "Bind it beside the public port and name it, e.g. ASPNETCORE_URLS=\"http://+:8080;http://+:8081\" with Bookstore__Management__Port=8081 " +
                "(the AppHost does this through the resource's 'management' endpoint).")
            .ValidateOnStart();
        return builder;
    }

    /// <summary>Outside Development, a request for a management path on any other port is a 404, as if nothing were there.</summary>
    internal static WebApplication UseManagementPortRestriction(this WebApplication app, params string[] paths)
    {
        if (app.Environment.IsDevelopment())
        {
            return app;
        }

        // Reading Value validates: a missing port stops the service here, before it serves anything.
        var port = app.Services.GetRequiredService<IOptions<ManagementOptions>>().Value.Port!.Value;

        // Matched on the path, not on the routed endpoint, so the check holds wherever routing sits in the pipeline.
        // StartsWithSegments ignores case and a trailing slash, as routing does.
        app.Use((context, next) =>
        {
            if (context.Connection.LocalPort != port && IsAnyOf(context.Request.Path, paths))
            {
                context.Response.StatusCode = StatusCodes.Status404NotFound;
                return Task.CompletedTask;
            }

            return next(context);
        });

        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(ManagementPortExtensions).FullName!);
        app.Lifetime.ApplicationStarted.Register(() =>
        {
            var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
            var suffix = ":" + port.ToString(CultureInfo.InvariantCulture);
            if (!addresses.Any(address => address.TrimEnd('/').EndsWith(suffix, StringComparison.Ordinal)))
            {
                LogManagementPortNotBound(logger, port, string.Join(", ", addresses));
            }
        });

        return app;
    }

    private static bool IsAnyOf(PathString requested, string[] paths)
    {
        foreach (var path in paths)
        {
            if (requested.StartsWithSegments(path))
            {
                return true;
            }
        }

        return false;
    }

    [LoggerMessage(Level = LogLevel.Warning,
        Message = "The management port {Port} is not one the server listens on ({Addresses}): /health, /alive and /metrics cannot be reached. Add it to ASPNETCORE_URLS.")]
    private static partial void LogManagementPortNotBound(ILogger logger, int port, string addresses);
}
