using System.Globalization;
using BenchmarkDotNet.Running;
using Bookstore.Benchmarks.Warming;

// `warm-throughput <connection string> <books>` is the .NET half of bench/warming-throughput.sh;
// everything else goes to BenchmarkDotNet.
if (args is ["warm-throughput", var connectionString, var count])
{
    return await WarmingThroughput.RunAsync(connectionString, int.Parse(count, CultureInfo.InvariantCulture));
}

BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
return 0;
