using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Bookstore.AppHost.Redis;
using Bookstore.Tests.Infrastructure;
using Bookstore.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Testing;

namespace Bookstore.Tests.Security;

/// <summary>
/// The values of every secret parameter of the app model (the Redis password, and whatever secret other parts add) never
/// show where an operator or a scraper can read them: logs, metrics, HTTP responses, files in git, process arguments.
/// </summary>
[Trait("Category", "Security")]
public sealed class SecretParameterTests
{
    /// <summary>
    /// One run, with the TLS option on: the secrets take the same paths with TLS off (only <c>,ssl=true</c> differs), and
    /// the run doubles as the end-to-end proof that api and worker reach a TLS-only redis-server through the AppHost.
    /// </summary>
    [Fact(Timeout = 300_000)]
    public async Task NoSecretAppearsInLogsMetricsResponsesTrackedFilesOrRedisArgumentsOfATlsRun()
    {
        var ct = TestContext.Current.CancellationToken;
        using var data = new TemporaryDirectory("bookstore-secrets-");
        using var certificates = TestCertificates.Create();
        string[] args =
        [
            "--Bookstore:Redis:Mode=local", $"--Bookstore:Redis:DataDirectory={data.Path}", "--Bookstore:Prometheus:Mode=off",

            // The AppHost's own log at its most verbose, as someone debugging it would run it (the services: below).
            "--Logging:LogLevel:Default=Trace", "--Logging:LogLevel:Aspire.Hosting.Dcp=Trace",
            $"--Logging:LogLevel:{SecretSafeLogging.ResourceSnapshotCategory}=Trace",
            "--Bookstore:Redis:Tls:Enabled=true",
            $"--Bookstore:Redis:Tls:CertificateFile={certificates.ServerCertificateFile}",
            $"--Bookstore:Redis:Tls:KeyFile={certificates.ServerKeyFile}",
            $"--Bookstore:Redis:Tls:CaCertificateFile={certificates.CaCertificateFile}",
        ];
        var builder = await AppHostBuilder.CreateAsync(args, ct);
        builder.Services.AddFakeLogging();
        // Every log line the services can write, not only the ones their shipped levels let through.
        foreach (var service in new[] { "api", "worker" })
        {
            builder.CreateResourceBuilder<ProjectResource>(service)
                .WithEnvironment("Logging__LogLevel__Default", "Trace")
                .WithEnvironment("Logging__LogLevel__Microsoft.AspNetCore", "Trace")
                .WithEnvironment("Logging__LogLevel__Microsoft.Hosting.Lifetime", "Trace");
        }

        await using var app = await builder.BuildAsync(ct);
        var secrets = await SecretValuesAsync(app, ct);
        Assert.Contains("cache-password", secrets.Keys);
        Assert.Contains("demo-reader-password", secrets.Keys);
        Assert.All(secrets, s => Assert.True(s.Value.Length >= 16, $"'{s.Key}' is too short to search for without false matches."));

        await app.StartServicesAsync(ct);

        // The connection string the services are given carries the app user's password: the value searched for below is
        // the live one, so finding nothing means there is nothing to find.
        var connectionString = await app.GetConnectionStringAsync("cache", ct);
        Assert.EndsWith(",ssl=true", connectionString, StringComparison.Ordinal);
        Assert.Contains("password=" + secrets["cache-password"], connectionString, StringComparison.Ordinal);

        // redis-server gets the users from the 0600 users.acl as hashes only; the runtime config holds no password.
        var runtimeConfig = await File.ReadAllTextAsync(Path.Combine(data.Path, LocalRedisResource.RuntimeConfigFileName), ct);
        var users = await File.ReadAllTextAsync(Path.Combine(data.Path, RedisUsers.FileName), ct);
        Assert.Contains("tls-port", runtimeConfig, StringComparison.Ordinal);
        Assert.Contains("#" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(secrets["cache-password"]))), users, StringComparison.Ordinal);

        using var api = app.CreateHttpClient("api");
        using var worker = app.CreateHttpClient("worker");
        var exposed = new List<(string Where, string Text)>();

        // Traffic through every layer: Redis round trips, a cache-aside miss then hit, a list page, and a request that
        // carries the admin key (when the model has one) so a logged header would show.
        using (var roundTripRequest = new HttpRequestMessage(HttpMethod.Get, new Uri("/redis/roundtrip", UriKind.Relative)))
        {
            roundTripRequest.Headers.Add("X-Api-Key", secrets["api-admin-key"]);
            using var roundTrip = await api.SendAsync(roundTripRequest, ct);
            Assert.True((await roundTrip.Content.ReadFromJsonAsync<JsonElement>(ct)).GetProperty("ok").GetBoolean(), "Redis did not answer through the api.");
        }

        // A reader signs in with the demo password, and the worker's warming state is read with the admin key.
        using (var signIn = await api.PostAsJsonAsync(new Uri("/sessions", UriKind.Relative), new { userId = 1, password = secrets["demo-reader-password"] }, ct))
        {
            Assert.True(signIn.IsSuccessStatusCode, $"The demo reader did not sign in: {(int)signIn.StatusCode}.");
            exposed.Add(("POST /sessions", await signIn.Content.ReadAsStringAsync(ct)));
        }

        using (var warmingRequest = new HttpRequestMessage(HttpMethod.Get, new Uri("/warming", UriKind.Relative)))
        {
            warmingRequest.Headers.Add("X-Api-Key", secrets["api-admin-key"]);
            using var warming = await worker.SendAsync(warmingRequest, ct);
            Assert.True(warming.IsSuccessStatusCode, $"The worker refused its admin key: {(int)warming.StatusCode}.");
            exposed.Add(("worker GET /warming", await warming.Content.ReadAsStringAsync(ct)));
        }

        foreach (var path in new[] { "/books/1", "/books/1", "/books?page=1&pageSize=5", "/books/999999" })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(path, UriKind.Relative));
            if (secrets.TryGetValue("api-admin-key", out var adminKey))
            {
                request.Headers.Add("X-Api-Key", adminKey);
            }

            using var response = await api.SendAsync(request, ct);
            exposed.Add(($"GET {path}", await response.Content.ReadAsStringAsync(ct)));
        }

        foreach (var path in new[] { "/redis/health", "/redis/metrics", "/cache/stats", "/health", "/alive", "/metrics" })
        {
            exposed.Add(($"api {path}", await api.GetStringAsync(new Uri(path, UriKind.Relative), ct)));
        }

        exposed.Add(("worker /metrics", await worker.GetStringAsync(new Uri("/metrics", UriKind.Relative), ct)));

        foreach (var pid in LinuxProcesses.RedisServersIn(data.Path))
        {
            exposed.Add(($"redis-server {pid} arguments", await File.ReadAllTextAsync($"/proc/{pid}/cmdline", ct)));
        }

        Assert.Single(LinuxProcesses.RedisServersIn(data.Path));
        foreach (var file in await TrackedFilesAsync(ct))
        {
            exposed.Add(($"tracked file {file}", await File.ReadAllTextAsync(file, ct)));
        }

        foreach (var resource in app.Services.GetRequiredService<DistributedApplicationModel>().Resources)
        {
            await foreach (var batch in app.Services.GetRequiredService<ResourceLoggerService>().GetAllAsync(resource).WithCancellation(ct))
            {
                exposed.AddRange(batch.Select(line => ($"{resource.Name} log line {line.LineNumber}", line.Content)));
            }
        }

        var appHostLog = app.Services.GetRequiredService<FakeLogCollector>().GetSnapshot();
        exposed.AddRange(appHostLog.Select(r => ($"AppHost log {r.Category}", r.Message + " " + r.Exception)));

        Assert.Contains(exposed, e => e.Where.StartsWith("api log line", StringComparison.Ordinal));
        Assert.Contains(exposed, e => e.Where.StartsWith("cache log line", StringComparison.Ordinal));
        Assert.NotEmpty(appHostLog);
        TestContext.Current.SendDiagnosticMessage(
            $"Searched {exposed.Count} texts ({exposed.Sum(e => e.Text.Length)} characters) for {secrets.Count} secrets: {string.Join(", ", secrets.Keys)}.");

        var leaks = exposed
            .SelectMany(e => secrets.Where(s => e.Text.Contains(s.Value, StringComparison.Ordinal)).Select(s => $"{s.Key} in {e.Where}"))
            .ToList();
        Assert.True(leaks.Count == 0, "Secret values found: " + string.Join("; ", leaks.Take(20)));
    }

    /// <summary>Every secret parameter of the app model, by name, with the value this run uses.</summary>
    private static async Task<Dictionary<string, string>> SecretValuesAsync(DistributedApplication app, CancellationToken ct)
    {
        var secrets = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var parameter in app.Services.GetRequiredService<DistributedApplicationModel>().Resources.OfType<ParameterResource>().Where(p => p.Secret))
        {
            secrets[parameter.Name] = await parameter.GetValueAsync(ct) ?? throw new InvalidOperationException($"'{parameter.Name}' has no value.");
        }

        return secrets;
    }

    private static async Task<IReadOnlyList<string>> TrackedFilesAsync(CancellationToken ct)
    {
        var root = AppHostModelTests.RepositoryRoot();
        var startInfo = new ProcessStartInfo("git", ["-C", root, "ls-files", "-z"]) { RedirectStandardOutput = true, UseShellExecute = false };
        using var git = Process.Start(startInfo) ?? throw new InvalidOperationException("git did not start.");
        var output = await git.StandardOutput.ReadToEndAsync(ct);
        await git.WaitForExitAsync(ct);
        Assert.Equal(0, git.ExitCode);
        var files = output.Split('\0', StringSplitOptions.RemoveEmptyEntries).Select(f => Path.Combine(root, f)).Where(File.Exists).ToList();
        Assert.NotEmpty(files);
        return files;
    }
}
