using System.Buffers;
using System.IO.Compression;
using ZstdSharp;
using ZstdSharp.Unsafe;

namespace Bookstore.Caching.Serialization;

/// <summary>
/// One-shot compression of envelope bodies. Decompression writes into a buffer of exactly the declared length
/// and never further, so a small body that expands without bound (a decompression bomb) costs at most that buffer.
/// </summary>
internal static class PayloadCompression
{
    // Levels from CompressionBenchmarks (docs/performance.md). Zstd 1, the default, compresses a 20-book page as
    // small as gzip's Optimal in half the time. Whoever picks gzip gets its usual level (Fastest cost a third more
    // bytes); whoever picks Brotli wants the smallest entries, which quality 4 gave.
    private const CompressionLevel GZipLevel = CompressionLevel.Optimal;
    private const int BrotliQuality = 4;
    private const int BrotliWindowBits = 22;
    private const int ZstdLevel = 1;

    // ZstdSharp's contexts are costly to create and not thread-safe: one of each per thread, reused.
    [ThreadStatic]
    private static Compressor? t_zstdCompressor;

    [ThreadStatic]
    private static Decompressor? t_zstdDecompressor;

    /// <summary>
    /// Compresses <paramref name="body"/> into a rented array. Returns false (and nothing to return to the pool)
    /// unless the result is strictly smaller than the body.
    /// </summary>
    public static bool TryCompress(CompressionCodec codec, ReadOnlySpan<byte> body, out byte[]? rented, out int length)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(MaxCompressedLength(codec, body.Length));
        var written = codec switch
        {
            CompressionCodec.GZip => GZipCompress(body, buffer),
            CompressionCodec.Brotli => BrotliEncoder.TryCompress(body, buffer, out var count, BrotliQuality, BrotliWindowBits) ? count : -1,
            CompressionCodec.Zstd => (t_zstdCompressor ??= new Compressor(ZstdLevel)).TryWrap(body, buffer, out var count) ? count : -1,
            _ => throw new ArgumentOutOfRangeException(nameof(codec), codec, "Not a compression codec."),
        };

        if (written < 0 || written >= body.Length)
        {
            ArrayPool<byte>.Shared.Return(buffer);
            rented = null;
            length = 0;
            return false;
        }

        rented = buffer;
        length = written;
        return true;
    }

    /// <summary>
    /// Decompresses <paramref name="source"/> into <paramref name="destination"/>, whose length is the declared
    /// body length. Output that would go past it is a lie in the header and makes the body <see cref="DecodeStatus.Corrupt"/>;
    /// output that stops short of it is <see cref="DecodeStatus.Truncated"/>.
    /// </summary>
    public static DecodeStatus TryDecompress(CompressionCodec codec, ReadOnlySpan<byte> source, Span<byte> destination)
    {
        try
        {
            return codec switch
            {
                CompressionCodec.GZip => GZipDecompress(source, destination),
                CompressionCodec.Brotli => BrotliDecompress(source, destination),
                CompressionCodec.Zstd => ZstdDecompress(source, destination),
                _ => DecodeStatus.UnknownCodec,
            };
        }
        catch (InvalidDataException)
        {
            return DecodeStatus.Corrupt;
        }
        catch (ZstdException ex)
        {
            return ex.Code == ZSTD_ErrorCode.ZSTD_error_srcSize_wrong ? DecodeStatus.Truncated : DecodeStatus.Corrupt;
        }
    }

    private static int MaxCompressedLength(CompressionCodec codec, int length) => codec switch
    {
        CompressionCodec.Brotli => BrotliEncoder.GetMaxCompressedLength(length),
        CompressionCodec.Zstd => Compressor.GetCompressBound(length),

        // Deflate's worst case is a few bytes per 16 KiB block plus the gzip header and trailer; this is well above it.
        _ => checked(length + (length >> 8) + 64),
    };

    private static int GZipCompress(ReadOnlySpan<byte> body, byte[] buffer)
    {
        using var output = new MemoryStream(buffer, 0, buffer.Length, writable: true);
        try
        {
            using (var gzip = new GZipStream(output, GZipLevel, leaveOpen: true))
            {
                gzip.Write(body);
            }
        }
        catch (NotSupportedException)
        {
            // The fixed-size stream is full: the output would not have been smaller anyway.
            return -1;
        }

        return (int)output.Position;
    }

    private static DecodeStatus GZipDecompress(ReadOnlySpan<byte> source, Span<byte> destination)
    {
        // GZipStream reads a Stream, and a span cannot back one: copy the (small, capped) compressed bytes once.
        var input = ArrayPool<byte>.Shared.Rent(source.Length);
        try
        {
            source.CopyTo(input);
            using var stream = new MemoryStream(input, 0, source.Length, writable: false);
            using var gzip = new GZipStream(stream, CompressionMode.Decompress);
            var total = 0;
            while (total < destination.Length)
            {
                var read = gzip.Read(destination[total..]);
                if (read == 0)
                {
                    return DecodeStatus.Truncated;
                }

                total += read;
            }

            // One byte more than declared is enough to know the header lied; nothing beyond it is inflated.
            Span<byte> probe = stackalloc byte[1];
            return gzip.Read(probe) == 0 ? DecodeStatus.Ok : DecodeStatus.Corrupt;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(input);
        }
    }

    private static DecodeStatus BrotliDecompress(ReadOnlySpan<byte> source, Span<byte> destination)
    {
        using var decoder = new BrotliDecoder();
        var status = decoder.Decompress(source, destination, out var consumed, out var written);
        return status switch
        {
            OperationStatus.Done when written == destination.Length && consumed == source.Length => DecodeStatus.Ok,
            OperationStatus.Done when written < destination.Length => DecodeStatus.Truncated,
            OperationStatus.NeedMoreData => DecodeStatus.Truncated,
            _ => DecodeStatus.Corrupt,
        };
    }

    private static DecodeStatus ZstdDecompress(ReadOnlySpan<byte> source, Span<byte> destination)
    {
        // A frame whose content needs more room than the declared length fails here without being inflated.
        if (!(t_zstdDecompressor ??= new Decompressor()).TryUnwrap(source, destination, out var written))
        {
            return DecodeStatus.Corrupt;
        }

        return written == destination.Length ? DecodeStatus.Ok : DecodeStatus.Truncated;
    }
}
