using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Bookstore.Benchmarks.ReadPath;

/// <summary>
/// The read-path benchmark's baselines (bench/read-path.sh): a Kestrel minimal API that answers <c>GET /books/{id}</c>
/// and <c>GET /books</c> with the bytes the API answered for the same requests, read from files at start.
/// <c>bare</c> is ASP.NET Core and nothing else (A); <c>defaults</c> adds this repository's <c>AddServiceDefaults()</c>
/// and <c>MapDefaultEndpoints()</c> with the API's log levels (B), so the cost of the defaults shows apart from the cache's.
/// Both answer <c>GET /_bench/allocated</c> (the process's allocated bytes) so the script can take allocations per request.
/// </summary>
internal static class BaselineServer
{
    public static async Task<int> RunAsync(string mode, string bookFile, string pageFile, string[] hostArgs)
    {
        var withDefaults = mode switch
        {
            "bare" => false,
            "defaults" => true,
            _ => throw new ArgumentException($"Unknown baseline '{mode}': expected bare or defaults.", nameof(mode)),
        };
        var book = await File.ReadAllBytesAsync(bookFile).ConfigureAwait(false);
        var page = await File.ReadAllBytesAsync(pageFile).ConfigureAwait(false);

        var builder = WebApplication.CreateBuilder(hostArgs);
        if (withDefaults)
        {
            // As the API: console logging with its level for ASP.NET Core, OpenTelemetry, health, the management port.
            builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
            builder.AddServiceDefaults();
        }
        else
        {
            builder.Logging.ClearProviders();
        }

        var app = builder.Build();
        if (withDefaults)
        {
            app.MapDefaultEndpoints();
        }

        app.MapGet("/books/{id:int}", (int id, HttpResponse response) => Json(response, book));
        app.MapGet("/books", (HttpResponse response) => Json(response, page));
        app.MapGet("/_bench/allocated", () => GC.GetTotalAllocatedBytes(precise: false));
        await app.RunAsync().ConfigureAwait(false);
        return 0;
    }

    private static Task Json(HttpResponse response, byte[] body)
    {
        response.ContentType = "application/json; charset=utf-8";
        return response.Body.WriteAsync(body).AsTask();
    }
}
