using System.Globalization;
using BenchmarkDotNet.Running;
using Bookstore.Benchmarks.Caching;
using Bookstore.Benchmarks.Warming;

// `warm-throughput <connection string> <books> [api url]` is the .NET half of bench/warming-throughput.sh;
// `hit-interleaved <rounds> <calls per round>` runs CacheHitBenchmarks' methods in interleaved rounds (the A/B run);
// everything else goes to BenchmarkDotNet.
if (args is ["warm-throughput", var connectionString, var count, .. var api] && api.Length <= 1)
{
    return await WarmingThroughput.RunAsync(connectionString, int.Parse(count, CultureInfo.InvariantCulture), api.FirstOrDefault());
}

if (args is ["hit-interleaved", var rounds, var calls])
{
    return await CacheHitInterleaved.RunAsync(int.Parse(rounds, CultureInfo.InvariantCulture), int.Parse(calls, CultureInfo.InvariantCulture));
}

BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
return 0;
