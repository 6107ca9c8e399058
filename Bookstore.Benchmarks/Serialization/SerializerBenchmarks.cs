using Bookstore.Caching.Configuration;
using System.Text.Json;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using Bookstore.Catalog.Contracts;
using Bookstore.Caching.Serialization;
using Nerdbank.MessagePack;

namespace Bookstore.Benchmarks.Serialization;

/// <summary>
/// System.Text.Json with source generation (the baseline) against Nerdbank.MessagePack, on one book and on a
/// 20-book page of real data; plus the whole <see cref="CacheSerializer"/> path (envelope, pooled buffers,
/// compression off) to show its overhead over bare JSON. The binary format is adopted only if it deserializes
/// at least twice as fast.
/// </summary>
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
public class SerializerBenchmarks
{
    private readonly MessagePackSerializer _messagePack = new();
    private readonly CacheSerializer _cacheSerializer = new(new CacheOptions { EnableCompression = false, JsonTypeInfoResolvers = { CatalogJsonContext.Default } });
    private Book _book = null!;
    private BookPage _page = null!;
    private byte[] _bookJson = [];
    private byte[] _pageJson = [];
    private byte[] _bookMessagePack = [];
    private byte[] _pageMessagePack = [];
    private byte[] _bookPayload = [];
    private byte[] _pagePayload = [];

    [GlobalSetup]
    public void Setup()
    {
        var books = GoodbooksCatalog.Load(20);
        _book = books[0];
        _page = new BookPage(books, Page: 1, PageSize: 20, TotalCount: 10_000);
        _bookJson = JsonSerializer.SerializeToUtf8Bytes(_book, CatalogJsonContext.Default.Book);
        _pageJson = JsonSerializer.SerializeToUtf8Bytes(_page, CatalogJsonContext.Default.BookPage);
        _bookMessagePack = _messagePack.Serialize<Book, MessagePackShapes>(_book);
        _pageMessagePack = _messagePack.Serialize<BookPage, MessagePackShapes>(_page);
        _bookPayload = _cacheSerializer.Serialize(_book);
        _pagePayload = _cacheSerializer.Serialize(_page);

        Console.WriteLine($"// sizes in bytes: book json={_bookJson.Length} msgpack={_bookMessagePack.Length} payload={_bookPayload.Length}; " +
                          $"page json={_pageJson.Length} msgpack={_pageMessagePack.Length} payload={_pagePayload.Length}");
    }

    [Benchmark(Baseline = true), BenchmarkCategory("Serialize book")]
    public byte[] JsonSerializeBook() => JsonSerializer.SerializeToUtf8Bytes(_book, CatalogJsonContext.Default.Book);

    [Benchmark, BenchmarkCategory("Serialize book")]
    public byte[] MessagePackSerializeBook() => _messagePack.Serialize<Book, MessagePackShapes>(_book);

    [Benchmark, BenchmarkCategory("Serialize book")]
    public byte[] CacheSerializerSerializeBook() => _cacheSerializer.Serialize(_book);

    [Benchmark(Baseline = true), BenchmarkCategory("Deserialize book")]
    public Book? JsonDeserializeBook() => JsonSerializer.Deserialize(_bookJson, CatalogJsonContext.Default.Book);

    [Benchmark, BenchmarkCategory("Deserialize book")]
    public Book? MessagePackDeserializeBook() => _messagePack.Deserialize<Book, MessagePackShapes>(_bookMessagePack);

    [Benchmark, BenchmarkCategory("Deserialize book")]
    public Book? CacheSerializerDeserializeBook() => _cacheSerializer.Deserialize<Book>(_bookPayload);

    [Benchmark(Baseline = true), BenchmarkCategory("Serialize page")]
    public byte[] JsonSerializePage() => JsonSerializer.SerializeToUtf8Bytes(_page, CatalogJsonContext.Default.BookPage);

    [Benchmark, BenchmarkCategory("Serialize page")]
    public byte[] MessagePackSerializePage() => _messagePack.Serialize<BookPage, MessagePackShapes>(_page);

    [Benchmark, BenchmarkCategory("Serialize page")]
    public byte[] CacheSerializerSerializePage() => _cacheSerializer.Serialize(_page);

    [Benchmark(Baseline = true), BenchmarkCategory("Deserialize page")]
    public BookPage? JsonDeserializePage() => JsonSerializer.Deserialize(_pageJson, CatalogJsonContext.Default.BookPage);

    [Benchmark, BenchmarkCategory("Deserialize page")]
    public BookPage? MessagePackDeserializePage() => _messagePack.Deserialize<BookPage, MessagePackShapes>(_pageMessagePack);

    [Benchmark, BenchmarkCategory("Deserialize page")]
    public BookPage? CacheSerializerDeserializePage() => _cacheSerializer.Deserialize<BookPage>(_pagePayload);
}
