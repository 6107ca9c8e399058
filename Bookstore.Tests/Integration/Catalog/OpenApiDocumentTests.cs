using System.Diagnostics;
using System.Text.Json;
using Bookstore.AppHost.Redis;
using Bookstore.Tests.Support;

namespace Bookstore.Tests.Integration.Catalog;

/// <summary>
/// The document at <c>/openapi/v1.json</c> as a client generator reads it: each operation's real answers with their
/// schemas and content types, a summary on every operation, the credential each takes, and no error under
/// <c>@redocly/cli</c>'s recommended rules.
/// </summary>
[Trait("Category", "Integration")]
public sealed class OpenApiDocumentTests(ServedOpenApiDocument fixture) : IClassFixture<ServedOpenApiDocument>
{
    /// <summary>The redocly CLI version .ci/run installs.</summary>
    private const string RedoclyInstall = "npm install -g @redocly/cli@2.77.0";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private JsonElement Paths => fixture.Document.GetProperty("paths");

    [Fact]
    public void EveryOperationHasASummaryATypedSuccessAndProblemDetailsErrors()
    {
        var operations = Operations().ToList();
        Assert.True(operations.Count >= 26, $"The document lists {operations.Count} operations.");
        foreach (var (method, path, operation) in operations)
        {
            var name = $"{method.ToUpperInvariant()} {path}";
            Assert.False(string.IsNullOrWhiteSpace(operation.TryGetProperty("summary", out var summary) ? summary.GetString() : null), $"{name} has no summary.");
            Assert.True(operation.TryGetProperty("operationId", out _), $"{name} has no operationId.");

            var responses = operation.GetProperty("responses").EnumerateObject().ToList();
            Assert.Contains(responses, r => r.Name.StartsWith('2'));
            foreach (var response in responses)
            {
                var status = int.Parse(response.Name, System.Globalization.CultureInfo.InvariantCulture);
                if (status == 204)
                {
                    Assert.False(response.Value.TryGetProperty("content", out _), $"{name} 204 has a body.");
                    continue;
                }

                var content = response.Value.GetProperty("content").EnumerateObject().Single();
                Assert.True(content.Value.TryGetProperty("schema", out _), $"{name} {status} has no schema.");
                if (status >= 400)
                {
                    Assert.Equal("application/problem+json", content.Name);
                    Assert.Contains(SchemaName(content.Value.GetProperty("schema")), new[] { "ProblemDetails", "HttpValidationProblemDetails" });
                }
                else
                {
                    Assert.Equal("application/json", content.Name);
                }
            }
        }
    }

    [Theory]
    [InlineData("get", "/books", "BookPage", "200 400 429", true)]
    [InlineData("get", "/books/search", "BookPage", "200 400 429", true)]
    [InlineData("get", "/books/{id}", "Book", "200 400 404 429", false)]
    [InlineData("post", "/books", "Book", "201 400 401 413 415", true)]
    [InlineData("put", "/books/{id}", "Book", "200 400 401 404 413 415", true)]
    [InlineData("delete", "/books/{id}", "", "204 400 401 404", false)]
    [InlineData("get", "/users/{id}", "UserProfile", "200 400 404 429", false)]
    [InlineData("get", "/users/{id}/cart", "Cart", "200 400 401 403 404", false)]
    [InlineData("post", "/users/{id}/cart/items", "Cart", "200 400 401 403 404 413 415", true)]
    [InlineData("delete", "/users/{id}/cart/items/{bookId}", "Cart", "200 400 401 403 404", false)]
    [InlineData("delete", "/users/{id}/cart", "Cart", "200 400 401 403 404", false)]
    [InlineData("get", "/users/{id}/recommendations", "Recommendations", "200 400 401 403 404", true)]
    [InlineData("put", "/users/{id}/ratings/{bookId}", "", "204 400 401 403 404 413 415", true)]
    [InlineData("post", "/sessions", "SessionCreated", "201 400 401 413 415 429 503", true)]
    [InlineData("get", "/sessions/{token}", "ReaderSession", "200 401 403 404", false)]
    [InlineData("delete", "/sessions/{token}", "", "204 401 403 404", false)]
    [InlineData("post", "/visits/{page}", "VisitCount", "200 404 429 503", false)]
    [InlineData("get", "/redis/roundtrip", "RoundTripResponse", "200 401 502 503", false)]
    [InlineData("get", "/redis/health", "RedisHealthResponse", "200 429", false)]
    [InlineData("get", "/redis/metrics", "RedisMetricsResponse", "200 429", false)]
    [InlineData("get", "/cache/stats", "CacheStatsResponse", "200 429", false)]
    [InlineData("post", "/admin/import", "ImportReport", "200 400 401 413 415", false)]
    [InlineData("get", "/admin/cache/types", "CacheTypeDescription[]", "200 401", false)]
    [InlineData("post", "/admin/cache/{type}/flush", "CacheFlushResult", "200 400 401 404 409", false)]
    [InlineData("get", "/catalog/popular-books", "Book[]", "200 400 401", true)]
    [InlineData("get", "/catalog/active-readers/recommendations", "RecommendationsEntry[]", "200 400 401 503", true)]
    public void EachOperationListsTheStatusCodesItAnswers(string method, string path, string successSchema, string statusCodes, bool validates)
    {
        var responses = Paths.GetProperty(path).GetProperty(method).GetProperty("responses");
        Assert.Equal(statusCodes.Split(' '), responses.EnumerateObject().Select(r => r.Name).Order(StringComparer.Ordinal));

        var success = responses.EnumerateObject().First(r => r.Name.StartsWith('2')).Value;
        Assert.Equal(successSchema, success.TryGetProperty("content", out var content)
            ? SchemaName(content.GetProperty("application/json").GetProperty("schema"))
            : string.Empty);

        // A 400 that can carry field errors is documented with them (a plain problem is the same without "errors").
        if (responses.TryGetProperty("400", out var badRequest))
        {
            Assert.Equal(
                validates ? "HttpValidationProblemDetails" : "ProblemDetails",
                SchemaName(badRequest.GetProperty("content").GetProperty("application/problem+json").GetProperty("schema")));
        }
    }

    [Fact]
    public void OperationsThatTakeACredentialListItsRefusalsAndPublicOnesSayTheyTakeNone()
    {
        foreach (var (method, path, operation) in Operations())
        {
            var name = $"{method.ToUpperInvariant()} {path}";
            var schemes = operation.GetProperty("security").EnumerateArray().SelectMany(r => r.EnumerateObject().Select(p => p.Name)).ToHashSet();
            var statuses = operation.GetProperty("responses").EnumerateObject().Select(r => r.Name).ToHashSet();
            if (schemes.Count == 0)
            {
                // The sign-in takes its credential (a password) in the body: its 401 is that credential refused.
                if (name != "POST /sessions")
                {
                    Assert.DoesNotContain("401", statuses);
                }
            }
            else
            {
                Assert.True(statuses.Contains("401"), $"{name} takes {string.Join(" or ", schemes)} but lists no 401.");

                // The admin key is the admin, so only a reader's session can be refused for being someone else's.
                Assert.Equal(schemes.Contains("Bearer"), statuses.Contains("403"));
            }
        }
    }

    [Fact]
    public async Task RedoclyRecommendedRulesFindNoError()
    {
        var redocly = RedisModeResolver.FindOnPath("redocly")
            ?? throw new InvalidOperationException($"redocly is not on PATH; install it with '{RedoclyInstall}' (.ci/run does).");
        using var folder = new TemporaryDirectory("bookstore-openapi-lint-");
        var file = Path.Combine(folder.Path, "openapi.json");
        await File.WriteAllTextAsync(file, fixture.Text, Ct);

        var startInfo = new ProcessStartInfo(redocly, ["lint", file, "--extends", "recommended", "--format", "json"])
        {
            WorkingDirectory = folder.Path,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        startInfo.Environment["REDOCLY_TELEMETRY"] = "off";
        startInfo.Environment["REDOCLY_SUPPRESS_UPDATE_NOTICE"] = "true";
        using var process = Process.Start(startInfo)!;
        var output = process.StandardOutput.ReadToEndAsync(Ct);
        var errors = process.StandardError.ReadToEndAsync(Ct);
        await process.WaitForExitAsync(Ct);

        var report = JsonDocument.Parse(await output).RootElement;
        var problems = report.GetProperty("problems").EnumerateArray()
            .Select(p => $"{p.GetProperty("severity").GetString()} {p.GetProperty("ruleId").GetString()}: {p.GetProperty("message").GetString()} at {p.GetProperty("location")[0].GetProperty("pointer").GetString()}")
            .ToList();
        TestContext.Current.TestOutputHelper?.WriteLine($"redocly {report.GetProperty("version").GetString()}: {string.Join('\n', problems)}");
        Assert.True(
            report.GetProperty("totals").GetProperty("errors").GetInt32() == 0 && process.ExitCode == 0,
            $"redocly lint (recommended) found errors:\n{string.Join('\n', problems)}\n{await errors}");
    }

    private IEnumerable<(string Method, string Path, JsonElement Operation)> Operations() =>
        Paths.EnumerateObject().SelectMany(path => path.Value.EnumerateObject()
            .Where(op => op.Name is "get" or "put" or "post" or "delete" or "patch")
            .Select(op => (op.Name, path.Name, op.Value)));

    /// <summary><c>Book</c> for a reference to it, <c>Book[]</c> for an array of them.</summary>
    private static string SchemaName(JsonElement schema) =>
        schema.TryGetProperty("$ref", out var reference)
            ? reference.GetString()!["#/components/schemas/".Length..]
            : schema.GetProperty("type").GetString() == "array" ? SchemaName(schema.GetProperty("items")) + "[]" : schema.GetRawText();
}
