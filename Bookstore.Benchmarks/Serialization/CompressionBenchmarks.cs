using Bookstore.Caching.Configuration;
using System.IO.Compression;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using Bookstore.Catalog.Contracts;
using Bookstore.Caching.Serialization;
using ZstdSharp;

namespace Bookstore.Benchmarks.Serialization;

/// <summary>
/// Compresses and decompresses the JSON body of a 20-book page of real data, as <see cref="CacheSerializer"/>
/// would store it: gzip (the seed document's choice, the baseline) against Brotli and Zstandard at fast levels.
/// The size columns give each variant's stored bytes and its size against the uncompressed JSON.
/// </summary>
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
[Config(typeof(CompressedSizeColumns))]
public class CompressionBenchmarks
{
    private const string Compress = nameof(Compress);
    private const string Decompress = nameof(Decompress);

    private static readonly Lazy<byte[]> SharedBody = new(LoadBody);

    private readonly Compressor _zstd1 = new(1);
    private readonly Compressor _zstd3 = new(3);
    private readonly Decompressor _zstdDecompressor = new();
    private byte[] _body = [];
    private byte[] _output = [];
    private Dictionary<string, byte[]> _compressed = [];

    /// <summary>The variants measured, by the name their benchmarks end with.</summary>
    public static IReadOnlyDictionary<string, Func<byte[], byte[]>> Variants { get; } = new Dictionary<string, Func<byte[], byte[]>>(StringComparer.Ordinal)
    {
        ["GZipOptimal"] = body => GZip(body, CompressionLevel.Optimal),
        ["GZipFastest"] = body => GZip(body, CompressionLevel.Fastest),
        ["BrotliQ1"] = body => Brotli(body, 1),
        ["BrotliQ4"] = body => Brotli(body, 4),
        ["Zstd1"] = body => Zstd(body, 1),
        ["Zstd3"] = body => Zstd(body, 3),
    };

    /// <summary>The uncompressed JSON body of the page, exactly as the serializer writes it.</summary>
    public static byte[] Body => SharedBody.Value;

    [GlobalSetup]
    public void Setup()
    {
        _body = Body;
        _output = new byte[_body.Length];
        _compressed = Variants.ToDictionary(variant => variant.Key, variant => variant.Value(_body), StringComparer.Ordinal);
        Console.WriteLine($"// JSON body: {_body.Length} bytes; " +
                          string.Join("; ", _compressed.Select(c => $"{c.Key}: {c.Value.Length} bytes ({(double)c.Value.Length / _body.Length:P1})")));
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _zstd1.Dispose();
        _zstd3.Dispose();
        _zstdDecompressor.Dispose();
    }

    [Benchmark(Baseline = true), BenchmarkCategory(Compress)]
    public int CompressGZipOptimal() => GZip(_body, CompressionLevel.Optimal).Length;

    [Benchmark, BenchmarkCategory(Compress)]
    public int CompressGZipFastest() => GZip(_body, CompressionLevel.Fastest).Length;

    [Benchmark, BenchmarkCategory(Compress)]
    public int CompressBrotliQ1() => Brotli(_body, 1).Length;

    [Benchmark, BenchmarkCategory(Compress)]
    public int CompressBrotliQ4() => Brotli(_body, 4).Length;

    [Benchmark, BenchmarkCategory(Compress)]
    public int CompressZstd1() => _zstd1.Wrap(_body).Length;

    [Benchmark, BenchmarkCategory(Compress)]
    public int CompressZstd3() => _zstd3.Wrap(_body).Length;

    [Benchmark(Baseline = true), BenchmarkCategory(Decompress)]
    public int DecompressGZipOptimal() => GUnzip(_compressed["GZipOptimal"], _output);

    [Benchmark, BenchmarkCategory(Decompress)]
    public int DecompressGZipFastest() => GUnzip(_compressed["GZipFastest"], _output);

    [Benchmark, BenchmarkCategory(Decompress)]
    public int DecompressBrotliQ1() => Unbrotli(_compressed["BrotliQ1"], _output);

    [Benchmark, BenchmarkCategory(Decompress)]
    public int DecompressBrotliQ4() => Unbrotli(_compressed["BrotliQ4"], _output);

    [Benchmark, BenchmarkCategory(Decompress)]
    public int DecompressZstd1() => _zstdDecompressor.Unwrap(_compressed["Zstd1"], _output);

    [Benchmark, BenchmarkCategory(Decompress)]
    public int DecompressZstd3() => _zstdDecompressor.Unwrap(_compressed["Zstd3"], _output);

    private static byte[] LoadBody()
    {
        var books = GoodbooksCatalog.Load(20);
        var serializer = new CacheSerializer(new CacheOptions { EnableCompression = false, JsonTypeInfoResolvers = { CatalogJsonContext.Default } });
        var payload = serializer.Serialize(new BookPage(books, Page: 1, PageSize: 20, TotalCount: 10_000));
        return payload[CacheEnvelope.HeaderLength..];
    }

    private static byte[] GZip(byte[] body, CompressionLevel level)
    {
        using var output = new MemoryStream(body.Length);
        using (var gzip = new GZipStream(output, level, leaveOpen: true))
        {
            gzip.Write(body);
        }

        return output.ToArray();
    }

    private static int GUnzip(byte[] compressed, byte[] output)
    {
        using var gzip = new GZipStream(new MemoryStream(compressed, writable: false), CompressionMode.Decompress);
        gzip.ReadExactly(output);
        return output.Length;
    }

    private static byte[] Brotli(byte[] body, int quality)
    {
        var output = new byte[BrotliEncoder.GetMaxCompressedLength(body.Length)];
        return BrotliEncoder.TryCompress(body, output, out var written, quality, window: 22)
            ? output[..written]
            : throw new InvalidOperationException("Brotli could not compress the body.");
    }

    private static int Unbrotli(byte[] compressed, byte[] output) =>
        BrotliDecoder.TryDecompress(compressed, output, out var written)
            ? written
            : throw new InvalidOperationException("Brotli could not decompress the body.");

    private static byte[] Zstd(byte[] body, int level)
    {
        using var compressor = new Compressor(level);
        return compressor.Wrap(body).ToArray();
    }
}
