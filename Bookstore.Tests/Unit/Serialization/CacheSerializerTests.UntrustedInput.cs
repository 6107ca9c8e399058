using Bookstore.Caching.Configuration;
using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using Bookstore.Catalog.Contracts;
using Bookstore.Caching.Serialization;
using Bookstore.Tests.Support;
using ZstdSharp;

namespace Bookstore.Tests.Unit.Serialization;

/// <summary>Stored bytes are untrusted: whatever they are, a read is a status and never an exception.</summary>
public sealed partial class CacheSerializerTests
{
    private const int BombSize = 32 * 1024 * 1024;

    [Fact]
    public void APayloadOverMaxPayloadBytesIsTooLargeBeforeItIsRead()
    {
        var serializer = new CacheSerializer(new CacheOptions { MaxPayloadBytes = 1024, EnableCompression = false }.WithCatalogTypes());
        var bytes = new CacheSerializer(new CacheOptions { EnableCompression = false }.WithCatalogTypes()).Serialize(SampleCatalog.Page);

        Assert.True(bytes.Length > 1024);
        Assert.Equal(DecodeStatus.TooLarge, serializer.TryDeserialize<BookPage>(bytes, out var page));
        Assert.Null(page);
        Assert.Equal(DecodeStatus.TooLarge, serializer.TryDeserialize<string>(new byte[1025], out _));
    }

    [Fact]
    public void AHeaderDeclaringABodyOverMaxUncompressedBytesIsTooLarge()
    {
        var serializer = new CacheSerializer(new CacheOptions { MaxUncompressedBytes = 1024 }.WithCatalogTypes());
        var bytes = _serializer.Serialize(SampleCatalog.Page);

        Assert.Equal(DecodeStatus.TooLarge, serializer.TryDeserialize<BookPage>(bytes, out _));

        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(6), uint.MaxValue);
        Assert.Equal(DecodeStatus.TooLarge, _serializer.TryDeserialize<BookPage>(bytes, out _));
    }

    [Theory]
    [MemberData(nameof(CompressionCodecs))]
    public void ABombDeclaringItsRealSizeIsTooLargeWithoutBeingInflated(CompressionCodec codec)
    {
        var serializer = new CacheSerializer(new CacheOptions { MaxUncompressedBytes = 1024 * 1024 }.WithCatalogTypes());
        var bomb = Envelope(codec, BombSize, Bomb(codec));

        var allocated = AllocatedBy(() => Assert.Equal(DecodeStatus.TooLarge, serializer.TryDeserialize<BookPage>(bomb, out _)));

        Assert.True(allocated < 64 * 1024, $"{allocated} bytes allocated");
    }

    [Theory]
    [MemberData(nameof(CompressionCodecs))]
    public void ABombWhoseHeaderUnderstatesItsSizeStopsAtTheDeclaredLength(CompressionCodec codec)
    {
        var bomb = Envelope(codec, 1000, Bomb(codec));

        var allocated = AllocatedBy(() => Assert.Equal(DecodeStatus.Corrupt, _serializer.TryDeserialize<BookPage>(bomb, out _)));

        // Inflating the 32 MiB would allocate at least that much; stopping at the declared length costs a few buffers.
        Assert.True(allocated < 1024 * 1024, $"{allocated} bytes allocated");
    }

    [Theory]
    [MemberData(nameof(CompressionCodecs))]
    public void ACompressedBodyShorterThanItsHeaderSaysIsTruncated(CompressionCodec codec)
    {
        var bytes = Compressed(codec);
        var declared = BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(6));
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(6), declared + 100);

        Assert.Equal(DecodeStatus.Truncated, _serializer.TryDeserialize<BookPage>(bytes, out _));
    }

    [Theory]
    [MemberData(nameof(CompressionCodecs))]
    public void ACompressedBodyCutShortIsTruncated(CompressionCodec codec)
    {
        var bytes = Compressed(codec);

        var status = _serializer.TryDeserialize<BookPage>(bytes.AsSpan(0, bytes.Length - (bytes.Length / 3)), out var page);

        Assert.Equal(DecodeStatus.Truncated, status);
        Assert.Null(page);
    }

    [Theory]
    [MemberData(nameof(CompressionCodecs))]
    public void ACorruptCompressedBodyIsCorrupt(CompressionCodec codec)
    {
        var bytes = Compressed(codec);
        for (var i = CacheEnvelope.HeaderLength + 20; i < bytes.Length - 20; i += 7)
        {
            bytes[i] ^= 0x5A;
        }

        Assert.Equal(DecodeStatus.Corrupt, _serializer.TryDeserialize<BookPage>(bytes, out var page));
        Assert.Null(page);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(5)]
    [InlineData(CacheEnvelope.HeaderLength - 1)]
    public void AHeaderCutShortIsTruncated(int length)
    {
        var bytes = _serializer.Serialize(SampleCatalog.Book);

        Assert.Equal(DecodeStatus.Truncated, _serializer.TryDeserialize<Book>(bytes.AsSpan(0, length), out _));
    }

    [Fact]
    public void AnUncompressedBodyCutShortIsTruncated()
    {
        var bytes = _serializer.Serialize(SampleCatalog.Book);

        Assert.Equal(DecodeStatus.Truncated, _serializer.TryDeserialize<Book>(bytes.AsSpan(0, bytes.Length - 1), out _));
    }

    [Fact]
    public void AnUncompressedBodyLongerThanDeclaredIsCorrupt()
    {
        var bytes = _serializer.Serialize(SampleCatalog.Book);

        Assert.Equal(DecodeStatus.Corrupt, _serializer.TryDeserialize<Book>([.. bytes, (byte)' '], out _));
    }

    [Theory]
    [InlineData("{\"id\":1,\"title\":\"T\",\"authors\":[],\"averageRating\":0")]
    [InlineData("not json")]
    [InlineData("[1,2,3]")]
    [InlineData("{\"id\":1,\"authors\":[],\"averageRating\":0,\"ratingsCount\":0}")]
    [InlineData("{\"id\":1,\"title\":null,\"authors\":[],\"averageRating\":0,\"ratingsCount\":0}")]
    [InlineData("{\"id\":\"1\",\"title\":\"T\",\"authors\":[],\"averageRating\":0,\"ratingsCount\":0}")]
    [InlineData("{\"id\":1e400,\"title\":\"T\",\"authors\":[],\"averageRating\":0,\"ratingsCount\":0}")]
    public void JsonThatDoesNotDeserializeToTheTypeIsCorrupt(string json)
    {
        Assert.Equal(DecodeStatus.Corrupt, _serializer.TryDeserialize<Book>(Envelope(CompressionCodec.None, json), out var book));
        Assert.Null(book);
    }

    [Fact]
    public void TypeMetadataInAPayloadIsNeverHonoured()
    {
        const string json = """
            {"$type":"System.Diagnostics.Process, System.Diagnostics.Process","$id":"1",
             "id":1,"title":"T","authors":[],"averageRating":0,"ratingsCount":0}
            """;

        // Our types are not polymorphic, so "$type" and "$id" are unknown properties, skipped like any other.
        Assert.Equal(DecodeStatus.Ok, _serializer.TryDeserialize<Book>(Envelope(CompressionCodec.None, json), out var book));
        Assert.IsType<Book>(book);
        Assert.Equivalent(SampleCatalog.MinimalBook, book, strict: true);
    }

    [Fact]
    public void TheSerializerNeverWritesTypeMetadata()
    {
        var json = Encoding.UTF8.GetString(new CacheSerializer(new CacheOptions { EnableCompression = false }.WithCatalogTypes()).Serialize(SampleCatalog.Page));

        Assert.DoesNotContain("$type", json, StringComparison.Ordinal);
        Assert.DoesNotContain("Bookstore", json, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0x00)]
    [InlineData((byte)'{')]
    [InlineData(0xBD)]
    public void ForeignBytesAreAnUnknownFormat(byte first)
    {
        var bytes = _serializer.Serialize(SampleCatalog.Book);
        bytes[0] = first;

        Assert.Equal(DecodeStatus.UnknownFormat, _serializer.TryDeserialize<Book>(bytes, out _));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(2)]
    [InlineData(255)]
    public void AnUnknownFormatVersionIsAnUnknownFormat(byte version)
    {
        var bytes = _serializer.Serialize(SampleCatalog.Book);
        bytes[1] = version;

        Assert.Equal(DecodeStatus.UnknownFormat, _serializer.TryDeserialize<Book>(bytes, out _));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(CacheEnvelope.BinarySerializerId)]
    [InlineData(200)]
    public void AnUnknownSerializerIdIsAnUnknownSerializer(byte serializerId)
    {
        var bytes = _serializer.Serialize(SampleCatalog.Book);
        bytes[2] = serializerId;

        Assert.Equal(DecodeStatus.UnknownSerializer, _serializer.TryDeserialize<Book>(bytes, out _));
    }

    [Theory]
    [InlineData(4)]
    [InlineData(255)]
    public void AnUnknownCodecIdIsAnUnknownCodec(byte codec)
    {
        var bytes = _serializer.Serialize(SampleCatalog.Book);
        bytes[3] = codec;

        Assert.Equal(DecodeStatus.UnknownCodec, _serializer.TryDeserialize<Book>(bytes, out _));
    }

    [Fact]
    public void AnEntryWrittenForAnotherSchemaVersionIsASchemaMismatch()
    {
        var bytes = new CacheSerializer(new CacheOptions { SchemaVersion = 2 }.WithCatalogTypes()).Serialize(SampleCatalog.Book);

        Assert.Equal(DecodeStatus.SchemaMismatch, _serializer.TryDeserialize<Book>(bytes, out var book));
        Assert.Null(book);
    }

    [Fact]
    public void MutatedPayloadsNeverThrow()
    {
        var random = new Random(20251126);
        var samples = new List<byte[]> { _serializer.Serialize(SampleCatalog.Book) };
        samples.AddRange(Codecs.Select(Compressed));
        var statuses = new HashSet<DecodeStatus>();

        foreach (var sample in samples)
        {
            for (var round = 0; round < 300; round++)
            {
                var bytes = sample.AsSpan(0, random.Next(sample.Length + 1)).ToArray();
                for (var flips = random.Next(1, 4); flips > 0 && bytes.Length > 0; flips--)
                {
                    bytes[random.Next(bytes.Length)] = (byte)random.Next(256);
                }

                statuses.Add(_serializer.TryDeserialize<BookPage>(bytes, out _));
            }
        }

        Assert.Contains(DecodeStatus.Truncated, statuses);
        Assert.Contains(DecodeStatus.Corrupt, statuses);
    }

    private static readonly Dictionary<CompressionCodec, byte[]> Bombs = [];

    /// <summary>32 MiB of zeros, compressed: a few KiB at most that a careless reader would inflate in full.</summary>
    private static byte[] Bomb(CompressionCodec codec)
    {
        lock (Bombs)
        {
            if (!Bombs.TryGetValue(codec, out var bomb))
            {
                var zeros = new byte[BombSize];
                Bombs[codec] = bomb = codec switch
                {
                    CompressionCodec.GZip => GZip(zeros),
                    CompressionCodec.Brotli => Brotli(zeros),

                    // Streamed, so the frame does not announce its content size: only the output cap can stop it.
                    _ => ZstdStreamed(zeros),
                };
            }

            return bomb;
        }
    }

    private static byte[] GZip(byte[] data)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.SmallestSize))
        {
            gzip.Write(data);
        }

        return output.ToArray();
    }

    private static byte[] Brotli(byte[] data)
    {
        using var output = new MemoryStream();
        using (var brotli = new BrotliStream(output, CompressionLevel.Fastest))
        {
            brotli.Write(data);
        }

        return output.ToArray();
    }

    private static byte[] ZstdStreamed(byte[] data)
    {
        using var output = new MemoryStream();
        using (var zstd = new CompressionStream(output, level: 3))
        {
            zstd.Write(data);
        }

        return output.ToArray();
    }

    private static byte[] Compressed(CompressionCodec codec)
    {
        var bytes = new CacheSerializer(new CacheOptions { CompressionCodec = codec }.WithCatalogTypes()).Serialize(SampleCatalog.Page, out var info);
        Assert.Equal(codec, info.Codec);
        return bytes;
    }

    private static byte[] Envelope(CompressionCodec codec, string json)
    {
        var body = Encoding.UTF8.GetBytes(json);
        return Envelope(codec, body.Length, body);
    }

    /// <summary>Builds an envelope by hand from the documented layout, so a header can say anything.</summary>
    private static byte[] Envelope(CompressionCodec codec, int declaredLength, byte[] body)
    {
        var bytes = new byte[CacheEnvelope.HeaderLength + body.Length];
        bytes[0] = CacheEnvelope.Magic;
        bytes[1] = CacheEnvelope.FormatVersion;
        bytes[2] = CacheEnvelope.SystemTextJsonSerializerId;
        bytes[3] = (byte)codec;
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(4), 1);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(6), (uint)declaredLength);
        body.CopyTo(bytes.AsSpan(CacheEnvelope.HeaderLength));
        return bytes;
    }

    private static long AllocatedBy(Action action)
    {
        var before = GC.GetAllocatedBytesForCurrentThread();
        action();
        return GC.GetAllocatedBytesForCurrentThread() - before;
    }
}
