using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;

namespace Bookstore.Tests.Unit.FunctionCaching;

/// <summary>The key ids the decorator hands to ICacheService, observed through the recording cache.</summary>
[Trait("Category", "Unit")]
public sealed partial class ResultKeyPlanTests : IDisposable
{
    // Changing the key scheme moves every cached result; if this fails on purpose, say so in the change and in docs.
    private const string GoldenBookDetailsId = "get-book-details-async.58d9056367657c93.42";

    private readonly FunctionCachingHost _host = new();

    public void Dispose() => _host.Dispose();

    [Fact]
    public async Task BookDetailsKeyIsTheGoldenOne()
    {
        await _host.Books.GetBookDetailsAsync(42);

        Assert.Equal(GoldenBookDetailsId, _host.LastId);
    }

    [Fact]
    public async Task MethodPartIsTheDocumentedHashOfTheDeclaringSignature()
    {
        await _host.Books.GetBookDetailsAsync(42);

        var signature = "Bookstore.Tests.Unit.FunctionCaching.IBookLookup.GetBookDetailsAsync(System.Int32):Bookstore.Catalog.Contracts.Book";
        Assert.Equal($"get-book-details-async.{SignatureHash(signature)}.42", _host.LastId);
    }

    [Fact]
    public async Task EveryKeyableTypeGivesTheDocumentedCanonicalFormHashedPastTheCap()
    {
        await _host.Arguments.EveryTypeAsync(
            true, 'Q', -5, 255, -300, 65535, 42, 4_000_000_000, long.MinValue, ulong.MaxValue, 0.1, 1.5f, 19.990m,
            Guid.Parse("0f8fad5b-d9cb-469f-a165-70867728950e"),
            new DateTime(2024, 1, 2, 3, 4, 5, DateTimeKind.Utc),
            new DateTimeOffset(2024, 1, 2, 4, 4, 5, TimeSpan.FromHours(1)),
            new DateOnly(2024, 2, 29),
            new TimeOnly(23, 59, 58),
            TimeSpan.FromMinutes(90),
            DayOfWeek.Friday,
            null,
            "Dune: Part 2",
            [1, -2],
            [new DateOnly(2024, 1, 1), null]);

        var canonical = string.Join('.', "true", "c_51", "-5", "255", "-300", "65535", "42", "4000000000", "-9223372036854775808",
            "18446744073709551615", "0_2e1", "1_2e5", "19_2e990", "0f8fad5bd9cb469fa16570867728950e", "2024-01-02_5403_3a04_3a05_2e0000000_5a",
            "2024-01-02_5403_3a04_3a05_2e0000000_2b00_3a00", "2024-02-29", "23_3a59_3a58_2e0000000", "01_3a30_3a00", "5", "n",
            "s_44une_3a_20_50art_202", "l2.1.-2", "l2.2024-01-01.n");
        var signature = "Bookstore.Tests.Unit.FunctionCaching.IKeyableArguments.EveryTypeAsync(System.Boolean,System.Char,System.SByte,System.Byte," +
                        "System.Int16,System.UInt16,System.Int32,System.UInt32,System.Int64,System.UInt64,System.Double,System.Single,System.Decimal," +
                        "System.Guid,System.DateTime,System.DateTimeOffset,System.DateOnly,System.TimeOnly,System.TimeSpan,System.DayOfWeek," +
                        "System.Nullable`1<System.Int32>,System.String,System.Int32[]," +
                        "System.Collections.Generic.IReadOnlyList`1<System.Nullable`1<System.DateOnly>>):System.Int32";
        Assert.Equal($"every-type-async.{SignatureHash(signature)}-{Sha256Hex(canonical)}", _host.LastId);
    }

    [Fact]
    public async Task KeysAreTheSameInSeparatelyBuiltServiceProviders()
    {
        using var other = new FunctionCachingHost();

        foreach (var host in new[] { _host, other })
        {
            await host.Books.GetBookDetailsAsync(42);
            await host.Books.GetUserRecommendationsAsync(7, 3);
            await host.Books.SearchAsync("Dune", null, TestContext.Current.CancellationToken);
            await host.Arguments.PairAsync("a", null);
        }

        Assert.Equal(_host.Cache.Calls.Select(c => c.Id), other.Cache.Calls.Select(c => c.Id));
        Assert.Equal(4, _host.Cache.Calls.Select(c => c.Id).Distinct().Count());
    }

    [Fact]
    public async Task TwoMethodsWithIdenticalArgumentsGetDifferentKeys()
    {
        await _host.Books.GetBookDetailsAsync(42);
        await _host.Books.GetBookByLegacyIdAsync(42);

        Assert.NotEqual(_host.Cache.Calls[0].Id, _host.Cache.Calls[1].Id);
        Assert.Equal(1, _host.Log.Count("GetBookDetailsAsync"));
        Assert.Equal(1, _host.Log.Count("GetBookByLegacyIdAsync"));
    }

    [Fact]
    public async Task KeyPrefixLabelsTheKey()
    {
        await _host.Books.SearchAsync("dune", "en", TestContext.Current.CancellationToken);

        Assert.Matches(@"^search\.[0-9a-f]{16}\.sdune\.sen$", _host.LastId);
    }

    public static TheoryData<string?, string?, string?, string?> CollidingLookingPairs => new()
    {
        { "a,b", "c", "a", "b,c" },
        { "a.b", "c", "a", "b.c" },
        { "a_2eb", null, "a.b", null },
        { null, "", "", null },
        { null, null, "", "" },
        { "n", null, null, "n" },
        { null, "x", "n", "x" },
        { "Dune", "", "dune", "" },
        { "é", "", "e", "" },
        { "\ud800", "", "\ud801", "" },
        { "s", "", "", "s" },
    };

    [Theory]
    [MemberData(nameof(CollidingLookingPairs))]
    public async Task DifferentArgumentsNeverShareAKey(string? first1, string? second1, string? first2, string? second2)
    {
        await _host.Arguments.PairAsync(first1, second1);
        await _host.Arguments.PairAsync(first2, second2);

        Assert.NotEqual(_host.Cache.Calls[0].Id, _host.Cache.Calls[1].Id);
        Assert.Equal(2, _host.Log.Count("PairAsync"));
    }

    [Fact]
    public async Task NullEmptyAndNullElementListsNeverShareAKey()
    {
        await _host.Books.CountByAuthorsAsync(null, null);
        await _host.Books.CountByAuthorsAsync([], null);
        await _host.Books.CountByAuthorsAsync([null], null);
        await _host.Books.CountByAuthorsAsync([""], null);
        await _host.Books.CountByAuthorsAsync(null, []);
        await _host.Books.CountByAuthorsAsync(["a", "b"], null);
        await _host.Books.CountByAuthorsAsync(["a.b"], null);
        await _host.Books.CountByAuthorsAsync(["b", "a"], null);

        Assert.Equal(8, _host.Cache.Calls.Select(c => c.Id).Distinct().Count());
        Assert.Equal(8, _host.Log.Count("CountByAuthorsAsync"));
    }

    [Fact]
    public async Task EqualInstantsShareAKey()
    {
        var local = DateTime.SpecifyKind(new DateTime(2024, 6, 1, 12, 0, 0, DateTimeKind.Unspecified), DateTimeKind.Local);

        await _host.Arguments.InstantAsync(new DateTimeOffset(2024, 1, 2, 4, 4, 5, TimeSpan.FromHours(1)), local);
        await _host.Arguments.InstantAsync(new DateTimeOffset(2024, 1, 2, 3, 4, 5, TimeSpan.Zero), local.ToUniversalTime());

        Assert.Equal(_host.Cache.Calls[0].Id, _host.Cache.Calls[1].Id);
        Assert.Equal(1, _host.Log.Count("InstantAsync"));
    }

    [Theory]
    [InlineData("Ünïcödé ✓ 📚")]
    [InlineData("../../etc/passwd")]
    [InlineData("bookstore:v1:books:1 *?[]{}\r\n\t\"'\\")]
    [InlineData("\0\u007f\u00a0\uffff")]
    public async Task IdsHoldOnlyLowerCaseLettersDigitsDotsDashesAndUnderscores(string text)
    {
        await _host.Arguments.PairAsync(text, text.ToUpperInvariant());
        await _host.Arguments.ManyAsync(text, text, text, text, text, text, text, text);

        Assert.All(_host.Cache.Calls, call => Assert.Matches(SafeId(), call.Id));
    }

    [Fact]
    public async Task IdsUpToTheCapStayReadableAndLongerOnesAreHashed()
    {
        // "many-async." + 16 hex + "." is 28 characters, and "l1.s" + the text follows.
        var fits = new string('x', 168);
        var tooLong = fits + "x";

        await _host.Arguments.ManyAsync(fits);
        await _host.Arguments.ManyAsync(tooLong);
        await _host.Arguments.ManyAsync(tooLong + "y");

        var ids = _host.Cache.Calls.Select(c => c.Id).ToArray();
        var methodPart = ids[0][..27];
        Assert.Equal(200, ids[0].Length);
        Assert.Equal($"{methodPart}.l1.s{fits}", ids[0]);
        Assert.Equal($"{methodPart}-{Sha256Hex("l1.s" + tooLong)}", ids[1]);
        Assert.Equal($"{methodPart}-{Sha256Hex("l1.s" + tooLong + "y")}", ids[2]);
        Assert.Equal(3, _host.Log.Count("ManyAsync"));
    }

    [Fact]
    public async Task AVeryLongArgumentListIsHashedToAShortId()
    {
        var values = Enumerable.Range(0, 1000).Select(i => $"value-{i}").ToArray();

        await _host.Arguments.ManyAsync(values);

        Assert.Matches(@"^many-async\.[0-9a-f]{16}-[0-9a-f]{64}$", _host.LastId);
        Assert.True(_host.LastId.Length <= 200);
    }

    private static string SignatureHash(string signature) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes("bookstore-cache-result-v1|" + signature)))[..16];

    private static string Sha256Hex(string canonical) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(canonical)));

    [GeneratedRegex("^[a-z0-9._-]+$")]
    private static partial Regex SafeId();
}
