using System.Globalization;
using BenchmarkDotNet.Running;
using Bookstore.Benchmarks.Caching;
using Bookstore.Benchmarks.ReadPath;

// `hit-interleaved <rounds> <calls per round>` runs CacheHitBenchmarks' methods in interleaved rounds (the A/B run);
// `serve-baseline bare|defaults <book file> <page file> [host args]` and `redis-get <connection string> <callers> <seconds>
// <value bytes>` are the .NET halves of bench/read-path.sh; everything else goes to BenchmarkDotNet.
if (args is ["hit-interleaved", var rounds, var calls])
{
    return await CacheHitInterleaved.RunAsync(int.Parse(rounds, CultureInfo.InvariantCulture), int.Parse(calls, CultureInfo.InvariantCulture));
}

if (args is ["serve-baseline", var mode, var bookFile, var pageFile, .. var hostArgs])
{
    return await BaselineServer.RunAsync(mode, bookFile, pageFile, hostArgs);
}

if (args is ["redis-get", var redisConnection, var callers, var seconds, var valueBytes])
{
    return await RedisServiceLoad.RunAsync(
        redisConnection,
        int.Parse(callers, CultureInfo.InvariantCulture),
        double.Parse(seconds, CultureInfo.InvariantCulture),
        int.Parse(valueBytes, CultureInfo.InvariantCulture));
}

BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
return 0;
