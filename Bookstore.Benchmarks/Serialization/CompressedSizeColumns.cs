using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace Bookstore.Benchmarks.Serialization;

/// <summary>Adds each variant's compressed size and its size against the JSON body to the results table.</summary>
internal sealed class CompressedSizeColumns : ManualConfig
{
    public CompressedSizeColumns() => AddColumn(new SizeColumn(relative: false), new SizeColumn(relative: true));

    private sealed class SizeColumn(bool relative) : IColumn
    {
        // Computed in the host process, which prints the table: the sizes do not depend on timing.
        private static readonly Lazy<IReadOnlyDictionary<string, int>> Sizes = new(() =>
            CompressionBenchmarks.Variants.ToDictionary(v => v.Key, v => v.Value(CompressionBenchmarks.Body).Length, StringComparer.Ordinal));

        public string Id => relative ? "SizeVsJson" : "StoredBytes";

        public string ColumnName => relative ? "Size/JSON" : "Stored bytes";

        public bool AlwaysShow => true;

        public ColumnCategory Category => ColumnCategory.Custom;

        public int PriorityInCategory => relative ? 1 : 0;

        public bool IsNumeric => true;

        public UnitType UnitType => relative ? UnitType.Dimensionless : UnitType.Size;

        public string Legend => relative
            ? "Compressed size divided by the uncompressed JSON body size"
            : "Compressed size of the 20-book page body in bytes";

        public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

        public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
        {
            var name = benchmarkCase.Descriptor.WorkloadMethod.Name;
            var variant = name.StartsWith("Decompress", StringComparison.Ordinal) ? name["Decompress".Length..] : name["Compress".Length..];
            if (!Sizes.Value.TryGetValue(variant, out var size))
            {
                return "-";
            }

            return relative
                ? ((double)size / CompressionBenchmarks.Body.Length).ToString("0.000", System.Globalization.CultureInfo.InvariantCulture)
                : size.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        public bool IsAvailable(Summary summary) => true;

        public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;
    }
}
