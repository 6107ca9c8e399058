using Bookstore.Caching.Configuration;
using System.Buffers.Binary;
using System.Text;
using System.Text.Json.Serialization;
using Bookstore.Catalog.Contracts;
using Bookstore.Caching.Serialization;
using Bookstore.Tests.Support;

namespace Bookstore.Tests.Unit.Serialization;

[Trait("Category", "Unit")]
public sealed partial class CacheSerializerTests
{
    private static readonly CompressionCodec[] Codecs = [CompressionCodec.GZip, CompressionCodec.Brotli, CompressionCodec.Zstd];

    private readonly CacheSerializer _serializer = new(new CacheOptions().WithCatalogTypes());

    public static TheoryData<CompressionCodec> CompressionCodecs => [.. Codecs];

    public static TheoryData<CompressionCodec, CompressionCodec> WriterAndReaderCodecs
    {
        get
        {
            var data = new TheoryData<CompressionCodec, CompressionCodec>();
            foreach (var writer in Codecs)
            {
                foreach (var reader in Codecs.Append(CompressionCodec.None).Where(reader => reader != writer))
                {
                    data.Add(writer, reader);
                }
            }

            return data;
        }
    }

    [Fact]
    public void BookRoundTrips()
    {
        AssertRoundTrips(SampleCatalog.Book);
        AssertRoundTrips(SampleCatalog.MinimalBook);
    }

    [Fact]
    public void UnicodeTextRoundTripsInEveryField() => AssertRoundTrips(SampleCatalog.UnicodeBook);

    [Fact]
    public void BookSummaryRoundTrips() => AssertRoundTrips(SampleCatalog.Summary);

    [Fact]
    public void BookPageRoundTrips() => AssertRoundTrips(SampleCatalog.Page);

    [Fact]
    public void UserProfileRoundTripsWithItsOffset()
    {
        var copy = AssertRoundTrips(SampleCatalog.User);
        Assert.Equal(SampleCatalog.Moment.Offset, copy.CreatedAt.Offset);
    }

    [Fact]
    public void CartRoundTripsWithExactPrices()
    {
        var copy = AssertRoundTrips(SampleCatalog.Cart);
        Assert.Equal(decimal.MaxValue, copy.Items[2].UnitPrice);
    }

    [Fact]
    public void CartItemRoundTrips() => AssertRoundTrips(new CartItem(7, 3, 9.5m));

    [Fact]
    public void RecommendationsRoundTrip() => AssertRoundTrips(SampleCatalog.Recommendations);

    [Fact]
    public void NullObjectRoundTripsAsNull()
    {
        var bytes = _serializer.Serialize<Book?>(null);

        Assert.Equal(DecodeStatus.Ok, _serializer.TryDeserialize<Book?>(bytes, out var copy));
        Assert.Null(copy);
    }

    [Fact]
    public void ObjectsAreCamelCaseJsonWithoutNullsBehindTheEnvelope()
    {
        var bytes = _serializer.Serialize(SampleCatalog.MinimalBook, out var info);

        Assert.Equal(CacheEnvelope.Magic, bytes[0]);
        Assert.Equal(CacheEnvelope.FormatVersion, bytes[1]);
        Assert.Equal(CacheEnvelope.SystemTextJsonSerializerId, bytes[2]);
        Assert.Equal((byte)CompressionCodec.None, bytes[3]);
        Assert.Equal(1, BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(4)));
        Assert.Equal((uint)info.BodyLength, BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(6)));
        Assert.Equal(
            """{"id":1,"title":"T","authors":[],"averageRating":0,"ratingsCount":0}""",
            Encoding.UTF8.GetString(bytes.AsSpan(CacheEnvelope.HeaderLength)));
        Assert.Equal(new SerializedPayload(bytes.Length, bytes.Length - CacheEnvelope.HeaderLength, CompressionCodec.None, IsRaw: false), info);
    }

    [Theory]
    [InlineData("")]
    [InlineData("plain ascii")]
    [InlineData("héllo wörld — 百年の孤独 📚 𝔘𝔫𝔦𝔠𝔬𝔡𝔢")]
    [InlineData("{\"looks\":\"like json\"}")]
    public void StringsRoundTripAndAreStoredAsTheirUtf8Bytes(string value)
    {
        var bytes = _serializer.Serialize(value, out var info);

        Assert.Equal(Encoding.UTF8.GetBytes(value), bytes);
        Assert.True(info.IsRaw);
        Assert.Equal(DecodeStatus.Ok, _serializer.TryDeserialize<string>(bytes, out var copy));
        Assert.Equal(value, copy);
    }

    [Fact]
    public void LongStringsStayRawAndUncompressedSoRedisCommandsStillApply()
    {
        var value = new string('a', 10_000);

        var bytes = _serializer.Serialize(value, out var info);

        Assert.Equal(10_000, bytes.Length);
        Assert.False(info.Compressed);
    }

    [Theory]
    [InlineData(0L, "0")]
    [InlineData(42L, "42")]
    [InlineData(-1L, "-1")]
    [InlineData(long.MaxValue, "9223372036854775807")]
    [InlineData(long.MinValue, "-9223372036854775808")]
    public void LongsAreStoredAsAsciiDecimalAndRoundTrip(long value, string stored)
    {
        var bytes = _serializer.Serialize(value);

        Assert.Equal(Encoding.ASCII.GetBytes(stored), bytes);
        Assert.Equal(DecodeStatus.Ok, _serializer.TryDeserialize<long>(bytes, out var copy));
        Assert.Equal(value, copy);
    }

    [Theory]
    [InlineData(0, "0")]
    [InlineData(int.MaxValue, "2147483647")]
    [InlineData(int.MinValue, "-2147483648")]
    public void IntsAreStoredAsAsciiDecimalAndRoundTrip(int value, string stored)
    {
        var bytes = _serializer.Serialize(value);

        Assert.Equal(Encoding.ASCII.GetBytes(stored), bytes);
        Assert.Equal(DecodeStatus.Ok, _serializer.TryDeserialize<int>(bytes, out var copy));
        Assert.Equal(value, copy);
    }

    [Fact]
    public void ACounterIncrementedByRedisReadsBack()
    {
        // What INCR leaves behind after Serialize(41L) was SET.
        Assert.Equal(DecodeStatus.Ok, _serializer.TryDeserialize<long>("42"u8, out var counter));
        Assert.Equal(42L, counter);
    }

    [Theory]
    [InlineData(0.0, "0")]
    [InlineData(0.1, "0.1")]
    [InlineData(-2.5, "-2.5")]
    [InlineData(Math.PI, "3.141592653589793")]
    [InlineData(double.MaxValue, "1.7976931348623157E+308")]
    [InlineData(double.MinValue, "-1.7976931348623157E+308")]
    [InlineData(double.Epsilon, "5E-324")]
    [InlineData(1e-300, "1E-300")]
    [InlineData(double.PositiveInfinity, "inf")]
    [InlineData(double.NegativeInfinity, "-inf")]
    [InlineData(double.NaN, "NaN")]
    public void DoublesAreStoredAsInvariantRoundTrippableText(double value, string stored)
    {
        var bytes = _serializer.Serialize(value);

        Assert.Equal(stored, Encoding.ASCII.GetString(bytes));
        Assert.Equal(DecodeStatus.Ok, _serializer.TryDeserialize<double>(bytes, out var copy));
        Assert.Equal(BitConverter.DoubleToInt64Bits(value), BitConverter.DoubleToInt64Bits(copy));
    }

    [Fact]
    public void NegativeZeroKeepsItsSign()
    {
        var bytes = _serializer.Serialize(-0.0);

        Assert.Equal("-0", Encoding.ASCII.GetString(bytes));
        Assert.Equal(DecodeStatus.Ok, _serializer.TryDeserialize<double>(bytes, out var copy));
        Assert.True(double.IsNegative(copy));
    }

    [Theory]
    [InlineData("+inf", double.PositiveInfinity)]
    [InlineData("Infinity", double.PositiveInfinity)]
    [InlineData("-Infinity", double.NegativeInfinity)]
    [InlineData("1e3", 1000.0)]
    public void DoublesWrittenByRedisOrByHandAreRead(string stored, double expected)
    {
        Assert.Equal(DecodeStatus.Ok, _serializer.TryDeserialize<double>(Encoding.ASCII.GetBytes(stored), out var value));
        Assert.Equal(expected, value);
    }

    [Theory]
    [InlineData(true, "1")]
    [InlineData(false, "0")]
    public void BooleansAreStoredAsOneOrZero(bool value, string stored)
    {
        var bytes = _serializer.Serialize(value);

        Assert.Equal(stored, Encoding.ASCII.GetString(bytes));
        Assert.Equal(DecodeStatus.Ok, _serializer.TryDeserialize<bool>(bytes, out var copy));
        Assert.Equal(value, copy);
    }

    [Fact]
    public void ByteArraysPassThroughAsACopy()
    {
        byte[] value = [CacheEnvelope.Magic, CacheEnvelope.FormatVersion, 0, 255, 7];

        var bytes = _serializer.Serialize(value, out var info);

        Assert.Equal(value, bytes);
        Assert.NotSame(value, bytes);
        Assert.True(info.IsRaw);
        Assert.Equal(DecodeStatus.Ok, _serializer.TryDeserialize<byte[]>(bytes, out var copy));
        Assert.Equal(value, copy);
        Assert.Equal(DecodeStatus.Ok, _serializer.TryDeserialize<byte[]>([], out var empty));
        Assert.Empty(empty!);
    }

    [Fact]
    public void RawNullsAreRefused()
    {
        Assert.Throws<ArgumentNullException>(() => _serializer.Serialize<string?>(null));
        Assert.Throws<ArgumentNullException>(() => _serializer.Serialize<byte[]?>(null));
    }

    [Theory]
    [InlineData("abc")]
    [InlineData("4 2")]
    [InlineData(" 42")]
    [InlineData("9223372036854775808")]
    [InlineData("4.2")]
    public void TextThatIsNotALongIsCorrupt(string stored) =>
        Assert.Equal(DecodeStatus.Corrupt, _serializer.TryDeserialize<long>(Encoding.ASCII.GetBytes(stored), out _));

    [Fact]
    public void EmptyBytesAreEmptyForNumbersAndObjectsButAnEmptyString()
    {
        Assert.Equal(DecodeStatus.Empty, _serializer.TryDeserialize<long>([], out _));
        Assert.Equal(DecodeStatus.Empty, _serializer.TryDeserialize<double>([], out _));
        Assert.Equal(DecodeStatus.Empty, _serializer.TryDeserialize<Book>([], out _));
        Assert.Equal(DecodeStatus.Ok, _serializer.TryDeserialize<string>([], out var text));
        Assert.Equal(string.Empty, text);
    }

    [Fact]
    public void AnEnvelopeReadAsAStringIsCorruptNotMojibake()
    {
        var bytes = _serializer.Serialize(SampleCatalog.Book);

        Assert.Equal(DecodeStatus.Corrupt, _serializer.TryDeserialize<string>(bytes, out var text));
        Assert.Null(text);
    }

    [Fact]
    public void BodiesUpToTheThresholdAreNotCompressed()
    {
        var serializer = new CacheSerializer(new CacheOptions { CompressionThresholdBytes = 4096 }.WithCatalogTypes());

        serializer.Serialize(SampleCatalog.Page, out var info);

        Assert.InRange(info.BodyLength, 1025, 4096);
        Assert.False(info.Compressed);
        Assert.Equal(info.BodyLength + CacheEnvelope.HeaderLength, info.Length);
    }

    [Theory]
    [MemberData(nameof(CompressionCodecs))]
    public void RepetitiveBodiesAboveTheThresholdAreCompressedWithTheConfiguredCodec(CompressionCodec codec)
    {
        var serializer = new CacheSerializer(new CacheOptions { CompressionCodec = codec }.WithCatalogTypes());

        var bytes = serializer.Serialize(SampleCatalog.Page, out var info);

        Assert.True(info.Compressed);
        Assert.Equal(codec, info.Codec);
        Assert.Equal((byte)codec, bytes[3]);
        Assert.True(info.Length < info.BodyLength / 2, $"{codec}: {info.Length} stored bytes for a {info.BodyLength}-byte body");
        Assert.Equal(DecodeStatus.Ok, serializer.TryDeserialize<BookPage>(bytes, out var copy));
        Assert.Equivalent(SampleCatalog.Page, copy, strict: true);
    }

    [Theory]
    [MemberData(nameof(CompressionCodecs))]
    public void ABodyTheCodecCannotShrinkIsStoredUncompressed(CompressionCodec codec)
    {
        // Above a zero threshold, but a short body of unrelated tokens: the codec's framing outweighs any saving.
        var serializer = new CacheSerializer(new CacheOptions { CompressionCodec = codec, CompressionThresholdBytes = 0 }.WithCatalogTypes());

        var bytes = serializer.Serialize(new CartItem(918_273, 64, 5.37m), out var info);

        Assert.False(info.Compressed);
        Assert.Equal((byte)CompressionCodec.None, bytes[3]);
        Assert.Equal(DecodeStatus.Ok, serializer.TryDeserialize<CartItem>(bytes, out var copy));
        Assert.Equal(new CartItem(918_273, 64, 5.37m), copy);
    }

    [Fact]
    public void IncompressibleRandomBytesAboveTheThresholdStayUncompressed()
    {
        var random = new byte[16 * 1024];
        new Random(1234).NextBytes(random);

        var bytes = _serializer.Serialize(random, out var info);

        Assert.False(info.Compressed);
        Assert.Equal(random, bytes);
    }

    [Fact]
    public void DisabledCompressionStoresLargeBodiesUncompressed()
    {
        var serializer = new CacheSerializer(new CacheOptions { EnableCompression = false }.WithCatalogTypes());

        serializer.Serialize(SampleCatalog.Page, out var info);

        Assert.True(info.BodyLength > 1024);
        Assert.False(info.Compressed);
    }

    [Theory]
    [MemberData(nameof(WriterAndReaderCodecs))]
    public void EntriesWrittenWithOneCodecDecodeUnderAnotherDefault(CompressionCodec writerCodec, CompressionCodec readerCodec)
    {
        var writer = new CacheSerializer(new CacheOptions { CompressionCodec = writerCodec }.WithCatalogTypes());
        var reader = new CacheSerializer(new CacheOptions
        {
            CompressionCodec = readerCodec,
            EnableCompression = readerCodec != CompressionCodec.None,
        }.WithCatalogTypes());

        var bytes = writer.Serialize(SampleCatalog.Page, out var info);

        Assert.Equal(writerCodec, info.Codec);
        Assert.Equal(DecodeStatus.Ok, reader.TryDeserialize<BookPage>(bytes, out var copy));
        Assert.Equivalent(SampleCatalog.Page, copy, strict: true);
    }

    [Fact]
    public void ByteArrayOverloadsReturnTheValueOrDefault()
    {
        var bytes = _serializer.Serialize(SampleCatalog.User);

        Assert.Equal(SampleCatalog.User, _serializer.Deserialize<UserProfile>(bytes));
        Assert.Null(_serializer.Deserialize<UserProfile>(bytes[..5]));
        Assert.Equal(0L, _serializer.Deserialize<long>("x"u8.ToArray()));
    }

    [Fact]
    public void AnUnregisteredTypeFailsAtSerializeNamingTheTypeAndTheFix()
    {
        var error = Assert.Throws<InvalidOperationException>(() => _serializer.Serialize(new UnregisteredValue("x")));

        Assert.Contains(typeof(UnregisteredValue).FullName!, error.Message, StringComparison.Ordinal);
        Assert.Contains("[JsonSerializable(typeof(UnregisteredValue))]", error.Message, StringComparison.Ordinal);
        Assert.Contains(nameof(CacheOptions.JsonTypeInfoResolvers), error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AnApplicationContextAddedToTheOptionsIsUsed()
    {
        var options = new CacheOptions().WithCatalogTypes();
        options.JsonTypeInfoResolvers.Add(ApplicationJsonContext.Default);
        var serializer = new CacheSerializer(options);

        var bytes = serializer.Serialize(new ApplicationValue("kept", 3));

        Assert.Equal(DecodeStatus.Ok, serializer.TryDeserialize<ApplicationValue>(bytes, out var copy));
        Assert.Equal(new ApplicationValue("kept", 3), copy);
        Assert.Equal(DecodeStatus.Ok, serializer.TryDeserialize<Book>(serializer.Serialize(SampleCatalog.Book), out _));
    }

    [Fact]
    public void SerializingAValueOverTheCapsIsRefusedWithTheOptionToRaise()
    {
        var serializer = new CacheSerializer(new CacheOptions { MaxUncompressedBytes = 100 }.WithCatalogTypes());

        var error = Assert.Throws<InvalidOperationException>(() => serializer.Serialize(SampleCatalog.Book));

        Assert.Contains("Bookstore:Cache:MaxUncompressedBytes", error.Message, StringComparison.Ordinal);
    }

    private T AssertRoundTrips<T>(T value)
    {
        var bytes = _serializer.Serialize(value, out var info);

        Assert.Equal(bytes.Length, info.Length);
        Assert.False(info.IsRaw);
        Assert.Equal(DecodeStatus.Ok, _serializer.TryDeserialize<T>(bytes, out var copy));
        Assert.NotNull(copy);
        Assert.Equivalent(value, copy, strict: true);
        return copy;
    }
}

public sealed record UnregisteredValue(string Name);

public sealed record ApplicationValue(string Name, int Count);

[JsonSerializable(typeof(ApplicationValue))]
internal sealed partial class ApplicationJsonContext : JsonSerializerContext;
