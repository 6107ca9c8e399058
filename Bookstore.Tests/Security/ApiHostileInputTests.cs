using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Bookstore.Caching.Keys;
using Bookstore.Tests.Integration.Catalog;
using Bookstore.Tests.Support;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Patterns;
using Microsoft.Extensions.DependencyInjection;
using StackExchange.Redis;

namespace Bookstore.Tests.Security;

/// <summary>
/// A seeded fuzz table over every endpoint the API maps (read from its <see cref="EndpointDataSource"/>, so a new
/// endpoint is covered without touching this test): hostile route values, query values, bodies and headers, sent with
/// the admin key and a valid session token so they reach validation. No answer is a 5xx, a hostile id or body is a 4xx,
/// and Redis afterwards holds no key outside the app prefix and no new key but those of valid ids.
/// </summary>
[Trait("Category", "Security")]
public sealed partial class ApiHostileInputTests(RedisFixture redisServer) : IClassFixture<RedisFixture>
{
    private const int Seed = 20261126;
    private const string AdminKey = "hostile-input-test-admin-key";

    /// <summary>Seeded random values per kind (any Unicode, printable ASCII): with the fixed ones, over 10,000 requests per environment.</summary>
    private const int RandomValuePairs = 44;

    /// <summary>Requests each environment's run must send and get an answer to (issue 17: 20,000 over the test's two runs).</summary>
    private const int MinimumRequests = 10_000;

    private static readonly string TenKilobytes = new('9', 10 * 1024);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>Values no route parameter of the API accepts: negative, huge, non-numeric, unicode, glob characters, CRLF, 10 KB.</summary>
    private static IReadOnlyList<string> HostileValues()
    {
        var random = new Random(Seed);
        List<string> values =
        [
            "-1", "0", "-2147483648", "2147483647", "2147483648", "99999999999999999999", "1e3", "0x10", "1.5",
            "abc", "NaN", "null", "true", "%00", "\0", "é", "日本語", "😀", "\u202e1", "ｉｄ",
            "*", "?", "[", "]", "*?[]", "\\", "\r\n", "\r\nSet-Cookie: a=1", "../../etc/passwd", "' OR 1=1--", "<script>", "{id}",
            "bookstore:v1:books:1", TenKilobytes,
        ];

        // Seeded random strings over the whole of the BMP and beyond, and random printable ASCII.
        for (var i = 0; i < RandomValuePairs; i++)
        {
            values.Add(string.Concat(Enumerable.Range(0, random.Next(1, 40)).Select(_ => char.ConvertFromUtf32(RandomScalar(random)))));
            values.Add(new string([.. Enumerable.Range(0, random.Next(1, 40)).Select(_ => (char)random.Next(0x21, 0x7F))]));
        }

        return values;
    }

    /// <summary>Bodies no write endpoint accepts: malformed or wrong JSON, 2 MB, deep nesting, binary, the wrong media type.</summary>
    private static IReadOnlyList<(string Name, byte[] Body, string ContentType)> HostileBodies()
    {
        var random = new Random(Seed);
        var garbage = new byte[2 * 1024 * 1024];
        random.NextBytes(garbage);
        string[] json =
        [
            "", "{", "{\"title\": ", "null", "[]", "\"text\"", "42", "{\"userId\":\"1\"}", "{\"value\":1e400}", "{\"bookId\":-1,\"quantity\":1000000}",
            "{\"$type\":\"System.Diagnostics.Process, System.Diagnostics.Process\"}", "{\"title\":\"\\u0000\\r\\n*?[]\",\"authors\":[\"\\ud800\"],\"price\":\"NaN\"}",
            "{\"a\":" + new string('[', 100_000) + new string(']', 100_000) + "}", "\uFEFF{}", "{\"title\":\"x\",\"title\":\"y\"}",
        ];
        return
        [
            .. json.Select(j => ($"json {j[..Math.Min(j.Length, 30)]}", Encoding.UTF8.GetBytes(j), "application/json")),
            ("2 MB of JSON", Encoding.UTF8.GetBytes("{\"title\":\"" + new string('x', 2 * 1024 * 1024) + "\"}"), "application/json"),
            ("2 MB of random bytes as JSON", garbage, "application/json"),
            ("2 MB of random bytes as CSV", garbage, "text/csv"),
            ("CSV without its header", Encoding.UTF8.GetBytes("1,2,3\r\n*?[],\r\n\"unterminated"), "text/csv"),
            ("form data", Encoding.UTF8.GetBytes("title=x&price=1"), "application/x-www-form-urlencoded"),
        ];
    }

    /// <summary>Both environments: Development throws on a request it cannot bind where Production answers 400 itself.</summary>
    [Theory]
    [InlineData("Development")]
    [InlineData("Production")]
    public async Task EveryEndpointAnswersHostileInputWithoutA5xxAndWritesNoKeyButForValidIds(string environment)
    {
        var redis = await redisServer.FlushedAsync();
        using var data = new TemporaryDirectory("bookstore-catalog-");
        await using var api = new CatalogApiFactory(redis, Path.Combine(data.Path, "catalog.db"), builder => builder
            .UseEnvironment(environment)
            .UseSetting("Bookstore:Security:AdminApiKey", AdminKey)
            .UseSetting("Bookstore:Management:Port", "65000"));
        // Real HTTP through Kestrel, not the in-memory test server: what a client can send is what reaches the API, and
        // the only exception a request may end in is a refused connection.
        // Header values go out as UTF-8, so the non-ASCII ones reach the API instead of being refused by the client.
        api.UseKestrel(0);
        api.StartServer();
        var address = api.Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        using var http = new HttpClient(new SocketsHttpHandler { RequestHeaderEncodingSelector = (_, _) => Encoding.UTF8 }) { BaseAddress = new Uri(address) };
        http.DefaultRequestHeaders.Add("X-Api-Key", AdminKey);
        await using var admin = await ConnectionMultiplexer.ConnectAsync(redis.ConnectionString);
        var server = admin.GetServer(admin.GetEndPoints()[0]);

        var session = await api.SignInAsync(1, Ct);
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", session);
        var booksBefore = await api.Store.CountBooksAsync(Ct);
        var keysBefore = await KeysAsync(server);

        var endpoints = api.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .SelectMany(e => Methods(e).Select(m => new Target(e, m)))
            .ToList();
        Assert.Contains(endpoints, t => t.Pattern == "/books/{id:int}" && t.Method == "GET");
        Assert.Contains(endpoints, t => t.Pattern == "/users/{id:int}/cart/items" && t.Method == "POST");

        var values = HostileValues();
        var bodies = HostileBodies();
        var results = new List<Outcome>();
        foreach (var target in endpoints)
        {
            // Route values: every hostile value in each parameter in turn, the others valid; always a client error.
            foreach (var parameter in target.Endpoint.RoutePattern.Parameters)
            {
                foreach (var value in values)
                {
                    var url = target.Url(session, (parameter.Name, Uri.EscapeDataString(value)));
                    results.Add(await SendAsync(http, target, url, null, null, mustBeClientError: true, $"route {parameter.Name}={Show(value)}"));
                }
            }

            // Query values, on reads only (a write's query is ignored, and its valid route would change data): a value
            // over every bound parameter's length limit is a client error; the rest may be valid text, never a 5xx.
            if (target.IsRead)
            {
                var names = QueryParameters(target.Endpoint).DefaultIfEmpty("x").Append("page[]").ToList();
                foreach (var name in names)
                {
                    foreach (var value in values)
                    {
                        var url = target.Url(session) + "?" + Uri.EscapeDataString(name) + "=" + Uri.EscapeDataString(value);
                        var bound = name is not ("x" or "page[]") && QueryParameters(target.Endpoint).Contains(name);
                        results.Add(await SendAsync(http, target, url, null, null, mustBeClientError: bound && value == TenKilobytes, $"query {name}={Show(value)}"));
                    }
                }

                results.Add(await SendAsync(http, target, target.Url(session) + "?" + TenKilobytes + "=1&%00=%0d%0a&&&==", null, null, false, "query of 10 KB junk"));
            }

            // Bodies: every body here is bad for an endpoint that reads one (a client error; a CSV import may answer with
            // a report of rejected rows instead); endpoints that read none must ignore it. Deletes get none.
            var accepts = target.Endpoint.Metadata.GetMetadata<IAcceptsMetadata>()?.ContentTypes ?? [];
            if (target.Method != "DELETE")
            {
                foreach (var (name, body, contentType) in target.IsRead ? bodies.Where(b => b.Name == "2 MB of JSON") : bodies)
                {
                    var mustRefuse = accepts.Count > 0 && !(contentType == "text/csv" && accepts.Contains("text/csv"));
                    results.Add(await SendAsync(http, target, target.Url(session), body, contentType, mustRefuse, $"body {name}"));
                }
            }

            // Headers: CRLF and non-ASCII in the credentials never break a request.
            foreach (var header in (string[])["Bearer \r\nX-Injected: 1", "Bearer " + TenKilobytes, "Bearer 日本語", "Basic *?[]"])
            {
                var url = target.IsRead ? target.Url(session) : target.HarmlessUrl();
                results.Add(await SendAsync(http, target, url, null, null, false, $"Authorization {Show(header)}", header));
            }
        }

        var serverErrors = results.Where(r => r.Status >= 500 || r.Status == 0).ToList();
        var notRefused = results.Where(r => r.MustBeClientError && r.Status is (>= 0 and < 400) or >= 500).ToList();
        var keysAfter = await KeysAsync(server);
        var outsidePrefix = keysAfter.Where(k => !k.StartsWith(CacheKeyBuilder.Prefix, StringComparison.Ordinal)).ToList();
        var validIds = new HashSet<string>(["1", int.MaxValue.ToString(CultureInfo.InvariantCulture), session], StringComparer.Ordinal);
        var newKeys = keysAfter.Except(keysBefore).ToList();
        var unexpectedKeys = newKeys.Where(k => !IsKeyOfAValidId(k, validIds)).ToList();

        // Free text (author, q) is valid input cached under a hash: at most one page per distinct valid text sent.
        var validTexts = values.Select(v => v.Trim().ToLowerInvariant()).Where(v => v.Length is >= 1 and <= 100).Distinct().Count();
        var authorPages = newKeys.Count(k => k.Contains(".a-", StringComparison.Ordinal) && !k.EndsWith(".a-any", StringComparison.Ordinal));
        var searchPages = newKeys.Count(k => k.Contains(":search.q-", StringComparison.Ordinal));
        TestContext.Current.TestOutputHelper?.WriteLine(
            $"{environment}, seed {Seed}: {results.Count} requests over {endpoints.Count} endpoint methods; statuses " +
            string.Join(", ", results.GroupBy(r => r.Status).OrderBy(g => g.Key).Select(g => $"{g.Key}×{g.Count()}")) +
            $"; keys {keysBefore.Count} -> {keysAfter.Count}, the new ones (free-text hashes as <hash>):\n  " +
            string.Join("\n  ", newKeys.GroupBy(k => TextHash().Replace(k, "<hash>")).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => g.Count() == 1 ? g.Key : $"{g.Key} ×{g.Count()}")));

        Assert.True(serverErrors.Count == 0, "5xx, no answer or an exception:\n" + string.Join('\n', serverErrors.Take(40)));
        var answered = results.Count(r => r.Status > 0);
        Assert.True(answered >= MinimumRequests, $"{answered} requests answered of {results.Count} sent; the fuzz table must send at least {MinimumRequests}.");
        Assert.True(notRefused.Count == 0, "hostile input not refused with a 4xx:\n" + string.Join('\n', notRefused.Take(40)));
        Assert.True(outsidePrefix.Count == 0, "keys outside the bookstore: prefix: " + string.Join(", ", outsidePrefix.Take(20)));
        Assert.True(unexpectedKeys.Count == 0, "new keys that belong to no valid id: " + string.Join(", ", unexpectedKeys.Take(20)));
        Assert.InRange(authorPages, 1, validTexts);
        Assert.InRange(searchPages, 1, validTexts);
        Assert.Equal(booksBefore, await api.Store.CountBooksAsync(Ct));
    }

    private static async Task<Outcome> SendAsync(
        HttpClient http, Target target, string url, byte[]? body, string? contentType, bool mustBeClientError, string input, string? authorization = null)
    {
        using var request = new HttpRequestMessage(new HttpMethod(target.Method), new Uri(url, UriKind.Relative));
        if (body is not null)
        {
            request.Content = new ByteArrayContent(body);
            request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType!);
        }

        if (authorization is not null)
        {
            request.Headers.TryAddWithoutValidation("Authorization", authorization);
        }

        try
        {
            using var response = await http.SendAsync(request, Ct);
            return new Outcome(target, input, (int)response.StatusCode, mustBeClientError);
        }
        catch (HttpRequestException ex) when (ex.InnerException is System.Net.Sockets.SocketException { SocketErrorCode: System.Net.Sockets.SocketError.ConnectionRefused })
        {
            // Nothing listening: not an answer of the API, and not a failure of it.
            return new Outcome(target, input + " (connection refused)", -1, mustBeClientError);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !Ct.IsCancellationRequested)
        {
            // Anything else (an exception that escaped the API's error handling, a broken response) is a failure.
            return new Outcome(target, input + $" (exception: {ex.GetType().Name}: {ex.Message})", 0, mustBeClientError);
        }
    }

    private static IEnumerable<string> Methods(RouteEndpoint endpoint) =>
        endpoint.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? ["GET"];

    /// <summary>The endpoint's parameters bound from the query string (not the route, the body or services).</summary>
    private static IEnumerable<string> QueryParameters(RouteEndpoint endpoint) =>
        endpoint.Metadata.GetOrderedMetadata<IParameterBindingMetadata>()
            .Where(p => endpoint.RoutePattern.GetParameter(p.Name) is null
                && (p.ParameterInfo.ParameterType == typeof(string) || p.HasTryParse))
            .Select(p => p.Name);

    private static async Task<List<string>> KeysAsync(IServer server)
    {
        var keys = new List<string>();
        await foreach (var key in server.KeysAsync(pattern: "*", pageSize: 500))
        {
            keys.Add(key.ToString());
        }

        return keys;
    }

    /// <summary>
    /// A key of a shape the API writes, whose id (if it has one) is one the fuzz run sent in a valid form. The server
    /// monitor's lease and snapshot (<c>monitor:lease</c>, <c>monitor:server</c>) are written on its own timer, not by a
    /// request: CI once saw the snapshot appear during the run.
    /// </summary>
    private static bool IsKeyOfAValidId(string key, HashSet<string> validIds)
    {
        var match = KnownKeyShape().Match(key);
        return match.Success && (!match.Groups["id"].Success || validIds.Contains(match.Groups["id"].Value));
    }

    [GeneratedRegex(
        @"^bookstore:(?:v1:(?:(?:books|users|cart|recommendations|sessions):(?<id>[0-9a-f]+)" +
        @"|recommendations:get-user-recommendations-async\.[0-9a-f]{16}\.(?<id>\d+)\.\d+" +
        @"|book-lists:(?:p\d+\.s\d+\.(?:popularity|rating|title|year)\.l-[a-z0-9-]+\.y-(?:any|-?\d+)\.a-(?:any|[0-9a-f]{32})|search\.q-[0-9a-f]{32}\.p\d+\.s\d+)" +
        @"|(?:books|book-lists|users|cart|recommendations|sessions):#tag:[^\s]+" +
        @"|__fc:t:[a-z0-9:._-]+|probe:[0-9a-f]{32}|views:books|activity:readers|monitor:(?:server|lease))" +
        @"|views:book:(?<id>\d+)|visits:page:(?:home|search|cart))$")]
    private static partial Regex KnownKeyShape();

    [GeneratedRegex("[0-9a-f]{32}")]
    private static partial Regex TextHash();

    private static string Show(string value) =>
        (value.Length > 24 ? value[..24] + $"…({value.Length} chars)" : value).Replace("\r", "\\r", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);

    private static int RandomScalar(Random random)
    {
        while (true)
        {
            var scalar = random.Next(1, 0x110000);
            if (scalar is < 0xD800 or > 0xDFFF)
            {
                return scalar;
            }
        }
    }

    private sealed record Target(RouteEndpoint Endpoint, string Method)
    {
        public static readonly string UnusedId = int.MaxValue.ToString(CultureInfo.InvariantCulture);

        public bool IsRead => Method == "GET";

        public string Pattern => Endpoint.RoutePattern.RawText ?? "";

        /// <summary>The route with valid values (the session's user, book 1) in every parameter but those given.</summary>
        public string Url(string session, params (string Name, string Value)[] overrides) => Url(session, harmless: false, overrides);

        /// <summary>
        /// A route a request may carry to a write endpoint without changing anything when it gets through: ids no row has
        /// and a well-formed token no session has (a valid route plus a bad header must not delete book 1 or end the session).
        /// </summary>
        public string HarmlessUrl() => Url(new string('f', 64), harmless: true, []);

        private string Url(string session, bool harmless, (string Name, string Value)[] overrides)
        {
            var path = new StringBuilder();
            foreach (var segment in Endpoint.RoutePattern.PathSegments)
            {
                path.Append('/');
                foreach (var part in segment.Parts)
                {
                    path.Append(part switch
                    {
                        RoutePatternLiteralPart literal => literal.Content,
                        RoutePatternSeparatorPart separator => separator.Content,
                        RoutePatternParameterPart parameter => overrides.FirstOrDefault(o => o.Name == parameter.Name).Value ?? ValidValue(parameter.Name, session, harmless),
                        _ => "",
                    });
                }
            }

            return path.Length == 0 ? "/" : path.ToString();
        }

        private static string ValidValue(string name, string session, bool harmless) => name switch
        {
            "token" => session,
            "documentName" => "v1",
            "page" => "home",
            "type" => "books",
            _ => harmless ? UnusedId : "1",
        };
    }

    private sealed record Outcome(Target Target, string Input, int Status, bool MustBeClientError)
    {
        public override string ToString() => $"{Target.Method} {Target.Pattern} {Input}: {Status}";
    }
}
