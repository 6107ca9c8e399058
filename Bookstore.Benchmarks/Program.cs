using System.Globalization;
using BenchmarkDotNet.Running;
using Bookstore.Benchmarks.Caching;
using Bookstore.Benchmarks.ReadPath;
using Bookstore.Benchmarks.Warming;

// `bulk-read <catalog connection string> <books> <rounds>` is the .NET half of bench/warm-run.sh;
// `bulk-write <connection string> <books> <passes>` is the write stage alone, for a profiler;
// `hit-interleaved <rounds> <calls per round>` runs CacheHitBenchmarks' methods in interleaved rounds (the A/B run);
// `serve-baseline bare|defaults <book file> <page file> [host args]` and `redis-get <connection string> <callers> <seconds>
// <value bytes>` are the .NET halves of bench/read-path.sh; everything else goes to BenchmarkDotNet.
if (args is ["bulk-read", var catalog, var books, var bulkRounds])
{
    return await BulkReadComparison.RunAsync(catalog, int.Parse(books, CultureInfo.InvariantCulture), int.Parse(bulkRounds, CultureInfo.InvariantCulture));
}

if (args is ["bulk-write", var redis, var writeBooks, var passes])
{
    return await BulkWriteLoop.RunAsync(redis, int.Parse(writeBooks, CultureInfo.InvariantCulture), int.Parse(passes, CultureInfo.InvariantCulture));
}

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

BenchmarkSwitcher.FromAssembly(typeof(BulkReadComparison).Assembly).Run(args);
return 0;
