using Bookstore.Caching.Configuration;
using Bookstore.Catalog.Contracts;
using Bookstore.Caching.Serialization;
using Bookstore.Tests.Support;

namespace Bookstore.Tests.Unit.Serialization;

/// <summary>
/// Bytes written by the first version of the format (base64), pasted here once. Entries like these sit in Redis
/// across deployments: if one of these tests fails, a change broke reading existing entries. Never regenerate them;
/// a deliberate format change gets a new format version and keeps these readable or documents why not.
/// </summary>
public sealed partial class CacheSerializerTests
{
    /// <summary><see cref="SampleCatalog.Book"/>, uncompressed (below the threshold), schema version 1.</summary>
    private const string GoldenBook =
        "vAEBAAEAiQEAAHsiaWQiOjIsInRpdGxlIjoiSGFycnkgUG90dGVyIGFuZCB0aGUgU29yY2VyZXJcdTAwMjdzIFN0b25lIChIYXJyeSBQb3R0ZXIsICMxKSIsImF1dGhvcnMiOlsiSi5LLiBSb3dsaW5nIiwiTWFyeSBHcmFuZFByXHUwMEU5Il0sImF2ZXJhZ2VSYXRpbmciOjQuNDQsInJhdGluZ3NDb3VudCI6NDYwMjQ3OSwiaXNibjEzIjoiOTc4MDQzOTU1NDkzMCIsIm9yaWdpbmFsUHVibGljYXRpb25ZZWFyIjoxOTk3LCJsYW5ndWFnZUNvZGUiOiJlbmciLCJpbWFnZVVybCI6Imh0dHBzOi8vaW1hZ2VzLmdyLWFzc2V0cy5jb20vYm9va3MvMTQ3NDE1NDAyMm0vMy5qcGciLCJkZXNjcmlwdGlvbiI6IkhhcnJ5IGRpc2NvdmVycyBvbiBoaXMgZWxldmVudGggYmlydGhkYXkgdGhhdCBoZSBpcyBhIHdpemFyZC4ifQ==";

    /// <summary><see cref="SampleCatalog.Page"/> (2,498 bytes of JSON) compressed with gzip: 570 bytes stored.</summary>
    private const string GoldenPageGZip =
        "vAEBAQEAwgkAAB+LCAAAAAAABAOqVsosSc0tVrKKrlbKTFGyMtRRKsksyUlVslJyys/PVsgrzU1KLVIwVMhPUyjJSFUoTswtyElVSE4sSczJT1coSExPVdJRSiwtycgvApmi5AhmKhgq6SgFpybn56UoQESUYnWUEstSixLTU4MSSzLz0pWsjPXMdJSKwJxi5/zSvBIlK0MDAwMdpczipDxDYyUrJUtzCwMYAJmYX5SZnpmXmBNQmpSTmZxYkpmfF5maWKRkZWhpaaijlJOYl16amJ7qnJ8C8kBqXrqSjlJmbmJ6amhRjpKVUkZJSUGxlb4+WKhYL71IN7G4OLWkWC85P1c/KT8/u1jf0MTE3NjA2MzAOFffUC+rAGRCSmpxclFmAcg2JSslR1gYIAkrlGQkligUpRakJpYUKyQmF+UXF4ODCxQ+CsX5EHlQ+CXlp1QqJOfnFhSlFhenFiuUp+bk6CgkFisUpSbmoARrsUJKvp5SrQ4kXoywx4sRqfFiRFS8mKPHixHueAGZiC9ejKgeL0aDKF6MsceLManxYkxUvFigx4sx7ngBmYgvXoypHi/GgyheTLDHiwmp8WJCVLxYoseLCe54AZmIL15MqB4vJoMoXkyxx4spqfFiSkS8mKDHiinuWAGZhy9WTKkeK6aDKFbMsMeKGamxYkZMrOgZoseLGe54AZmIL14AM6N6vJgNhniJ1VECNR3A7TEQIzizKlXJChRN+SWJOUiNJYNaABE9h1rCCQAA";

    /// <summary><see cref="SampleCatalog.Page"/> compressed with Brotli: 479 bytes stored.</summary>
    private const string GoldenPageBrotli =
        "vAEBAgEAwgkAAIvgBACAqqqq6v90FZCzprmpqZlFuN48/XBJyIA8JATEQdxMUk0z1FQMVMQyITMg4KnO9y5Tpv0xbOVhMBjACKxDsFisYB23x1TCtl2Igo8MccWv+MBsvCvG1w/MK0bv0LIVxohfRd6hnvuDG3iQX2Abg9J+FIaFjIokOCgxOqTTNmmK8RVvp23SwKPDF16krnA7MF/HN4f0hxsl/k6Wa8IYutlhG8x39C5nNYy+73uHWR/VB4x4fXrul8d/9uhQWk65Uvl2PkpeyLLUn0wNo79evcNCNZ2U+C4rY0SuCR3mnRL/aAUjbmaHxssl75RYu9S+kCqbdovsl4fIu178OD6FPsx92C+++30kdLiyLi0flqVixBso7UdhWFmXlg/LUsE2Mmh8MJkCLU1UwTaGNxonqMCZ+UnbGB6y/oNF9qOxKiv85VIckEJjKrCQUZEExx3HFVbp8NN1szFQGQQy8PJEYGDK1HI3DDphsAYEKkEggZdnAoEpU8vdEHRCsAaMVEaBjLxcCYxMmVruhlEnjNaAicokkImPsRmBiSkzy80w6YTJGjBTmQUyc+6d70ZgZsrUcjfMOmH24443h9+H8fyT5eZ8yf+5qu1ejMpdzmoYfd/3/ec=";

    /// <summary><see cref="SampleCatalog.Page"/> compressed with Zstandard: 437 bytes stored.</summary>
    private const string GoldenPageZstd =
        "vAEBAwEAwgkAACi1L/1gwggNDQAmWUshIE3VAbz4sVfPh7tfKsZ/ZZkC2A9cyPwg0cQSRHAAYADjQABCAEEADcGrGFadyJtGWLVLB3bB7Ut/5sSrth9L+jzy5EY7ShC/9jO1wXWpbAaaIn1wJ1i3HSecq5ZbBy7FgtuHesKlCKv2Rb1u2/GCfjy9iOOqtVgst5JbIXI4uYGRmQwiR/BB6at2IQIBi3XLVsQ8XIUgyHI7o8kLXq5aDOb2RXDyQT+WAdqPpX+XDetPbqmlTn6mDqzbyOGUoGy+nVX7JAdjHRBDFoawgNbW8Q/uzAF5Y/zsfwaQz/jjcC/N+azbKBP6MQQDFUjk6T0BEZZbxbAsy7KMZVkURVGaoiittbZorTHGmABjLEmSJCBJElWxhjv6kVvqs6oYO0K//1tKkDcq4Tij/Uz/NyBwgzQl1zCJIaptEMbBXrkmgDpHmUZo380IJlkiUQ6RYo7K5mKzTEQgr4hVBEGdR1kj7UOYjxRdhSEo8eg1rC3I+bAiqRyCYh6V5toMEZ8rYlViUwOPljxveAwZuaw3IA+WYLF/zyjh4C+uP1TyFaM=";

    /// <summary>The raw long -9,007,199,254,740,993 (2^53 + 1, which a double could not hold).</summary>
    private const string GoldenLong = "LTkwMDcxOTkyNTQ3NDA5OTM=";

    [Fact]
    public void GoldenBookStillDecodes()
    {
        Assert.Equal(DecodeStatus.Ok, _serializer.TryDeserialize<Book>(Convert.FromBase64String(GoldenBook), out var book));
        Assert.Equivalent(SampleCatalog.Book, book, strict: true);
    }

    [Fact]
    public void GoldenBookIsStillWhatThisVersionWrites() =>
        Assert.Equal(GoldenBook, Convert.ToBase64String(_serializer.Serialize(SampleCatalog.Book)));

    [Theory]
    [InlineData(GoldenPageGZip, CompressionCodec.GZip)]
    [InlineData(GoldenPageBrotli, CompressionCodec.Brotli)]
    [InlineData(GoldenPageZstd, CompressionCodec.Zstd)]
    public void GoldenCompressedPagesStillDecodeWhateverTheDefaultCodec(string golden, CompressionCodec codec)
    {
        var bytes = Convert.FromBase64String(golden);
        Assert.Equal((byte)codec, bytes[3]);

        foreach (var readerCodec in Codecs)
        {
            var reader = new CacheSerializer(new CacheOptions { CompressionCodec = readerCodec }.WithCatalogTypes());
            Assert.Equal(DecodeStatus.Ok, reader.TryDeserialize<BookPage>(bytes, out var page));
            Assert.Equivalent(SampleCatalog.Page, page, strict: true);
        }
    }

    [Fact]
    public void GoldenLongStillDecodes()
    {
        var bytes = Convert.FromBase64String(GoldenLong);

        Assert.Equal("-9007199254740993"u8.ToArray(), bytes);
        Assert.Equal(DecodeStatus.Ok, _serializer.TryDeserialize<long>(bytes, out var value));
        Assert.Equal(-9_007_199_254_740_993L, value);
    }
}
