using System.Diagnostics;
using System.Text.Json;
using Bookstore.Tests.Integration.Catalog;
using Bookstore.Tests.Support;

namespace Bookstore.Tests.Integration;

/// <summary>
/// The plumbing of <c>Bookstore.Benchmarks/bench/read-path.sh</c>, run briefly: every target measured, the table printed
/// and written as JSON, every ratio a number. It times nothing: the numbers belong in docs/performance.md, not in a test.
/// </summary>
[Trait("Category", "Integration")]
[Collection(AppHostCollection.Name)]
public sealed class ReadPathBenchmarkTests
{
    private static readonly string[] Targets =
    [
        "A", "B", "B page", "L1 hit", "L2 hit", "list page hit", "miss 10k", "miss 52", "bypass 10k", "RedisService GET", "redis-benchmark GET",
    ];

    private static readonly string[] HttpTargets = [.. Targets.Take(9)];

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact(Timeout = 300_000)]
    public async Task ABriefRunMeasuresEveryTargetAndPrintsACompleteTable()
    {
        var ct = TestContext.Current.CancellationToken;
        using var data = new TemporaryDirectory("bookstore-read-path-");
        var csv = Path.Combine(data.Path, "books.csv");
        await GoodbooksCsv.WriteAsync(csv, 300, ct);
        var json = Path.Combine(data.Path, "read-path.json");

        var (exitCode, output) = await RunScriptAsync(new Dictionary<string, string>
        {
            ["NO_BUILD"] = "1",
            ["CONFIGURATION"] = BuildConfiguration(),
            ["ROUNDS"] = "1",
            ["DURATION"] = "1",
            ["WARMUP"] = "0",
            ["CONNECTIONS"] = "8",
            ["REDIS_SOAK"] = "0",
            ["MEMORY"] = "0",
            ["BOOKSTORE_GOODBOOKS_CSV"] = csv,
            ["JSON_OUT"] = json,
        });

        Assert.True(exitCode == 0, $"read-path.sh exited with {exitCode}:\n{output}");
        Assert.Contains("| target | requests/s | p50 ms | p99 ms | x A | x B |", output, StringComparison.Ordinal);
        using var result = JsonDocument.Parse(await File.ReadAllTextAsync(json, ct));
        var root = result.RootElement;
        Assert.Equal(352, root.GetProperty("books").GetProperty("prod").GetInt32());
        Assert.Equal(52, root.GetProperty("books").GetProperty("miss52").GetInt32());

        var rows = root.GetProperty("table").EnumerateArray().ToDictionary(row => row.GetProperty("target").GetString()!);
        Assert.Equal(Targets, rows.Keys);
        foreach (var target in Targets)
        {
            var row = rows[target];
            Assert.True(row.GetProperty("rps").GetDouble() > 0, $"{target}: no requests/s");
            Assert.True(row.GetProperty("p99_ms").GetDouble() > 0, $"{target}: no p99");
            var errors = row.GetProperty("errors");
            Assert.True(errors.ValueKind == JsonValueKind.Null || errors.GetDouble() == 0, $"{target}: errors in the run");
            Assert.Contains($"| {target} | ", output, StringComparison.Ordinal);
        }

        foreach (var target in HttpTargets)
        {
            var row = rows[target];
            foreach (var field in new[] { "x_A", "x_B", "cpu_us_per_req", "alloc_b_per_req", "working_set_mb" })
            {
                Assert.True(IsNumber(row.GetProperty(field)), $"{target}: {field} is not a number");
            }
        }

        // The API's targets also count Redis commands; the misses read every book from the store (each a miss or a bypass).
        foreach (var target in HttpTargets.Skip(3))
        {
            Assert.True(IsNumber(rows[target].GetProperty("redis_cmds_per_req")), $"{target}: no Redis command count");
        }

        // The miss targets' entries expire at once, so (nearly) every answer says X-Cache: miss.
        Assert.True(rows["miss 10k"].GetProperty("miss_share").GetDouble() > 0.95, "miss 10k: answers were not misses");
        Assert.True(rows["miss 52"].GetProperty("miss_share").GetDouble() > 0.95, "miss 52: answers were not misses");

        var checks = root.GetProperty("checks").EnumerateArray().ToList();
        Assert.True(checks.Count >= 13);
        Assert.All(checks, check => Assert.True(IsNumber(check.GetProperty("measured")), $"{check.GetProperty("check")}: not a number"));
    }

    private static bool IsNumber(JsonElement value) =>
        value.ValueKind == JsonValueKind.Number && double.IsFinite(value.GetDouble());

    /// <summary>The configuration these tests were built in: the script runs the API and the baselines from the same build.</summary>
    private static string BuildConfiguration() =>
        AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Release" : "Debug";

    private static async Task<(int ExitCode, string Output)> RunScriptAsync(Dictionary<string, string> environment)
    {
        var root = RedisServer.RepositoryRoot();
        var start = new ProcessStartInfo("bash", [Path.Combine(root, "Bookstore.Benchmarks", "bench", "read-path.sh")])
        {
            WorkingDirectory = root,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync(Ct);
        var stderr = process.StandardError.ReadToEndAsync(Ct);
        try
        {
            await process.WaitForExitAsync(Ct);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        return (process.ExitCode, await stdout + "\n" + await stderr);
    }
}
