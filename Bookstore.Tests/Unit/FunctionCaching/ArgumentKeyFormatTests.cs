using System.Text;
using Bookstore.Caching.FunctionCaching;
using Bookstore.Catalog.Contracts;

namespace Bookstore.Tests.Unit.FunctionCaching;

[Trait("Category", "Unit")]
public sealed class ArgumentKeyFormatTests
{
    public static TheoryData<Type, object?, string> Tokens => new()
    {
        { typeof(string), "dune", "sdune" },
        { typeof(string), "", "s" },
        { typeof(string), null, "n" },
        { typeof(string), "n", "sn" },
        { typeof(string), "Dune: Part 2", "s_44une_3a_20_50art_202" },
        { typeof(string), "a.b,c", "sa_2eb_2cc" },
        { typeof(string), "a_2e", "sa_5f2e" },
        { typeof(string), "é€", "s_e9_u20ac" },
        { typeof(string), "\ud800", "s_ud800" },
        { typeof(char), 'Q', "c_51" },
        { typeof(char), 'n', "cn" },
        { typeof(bool), true, "true" },
        { typeof(bool), false, "false" },
        { typeof(sbyte), (sbyte)-5, "-5" },
        { typeof(byte), (byte)255, "255" },
        { typeof(ushort), ushort.MaxValue, "65535" },
        { typeof(uint), uint.MaxValue, "4294967295" },
        { typeof(long), long.MinValue, "-9223372036854775808" },
        { typeof(ulong), ulong.MaxValue, "18446744073709551615" },
        { typeof(double), 0.1, "0_2e1" },
        { typeof(double), -1e-5, "-1_45-05" },
        { typeof(double), double.NaN, "_4ea_4e" },
        { typeof(float), 1.5f, "1_2e5" },
        { typeof(decimal), 19.990m, "19_2e990" },
        { typeof(Guid), Guid.Parse("0f8fad5b-d9cb-469f-a165-70867728950e"), "0f8fad5bd9cb469fa16570867728950e" },
        { typeof(DateTime), new DateTime(2024, 1, 2, 3, 4, 5, DateTimeKind.Utc), "2024-01-02_5403_3a04_3a05_2e0000000_5a" },
        { typeof(DateTime), new DateTime(2024, 1, 2, 3, 4, 5, DateTimeKind.Unspecified), "2024-01-02_5403_3a04_3a05_2e0000000" },
        { typeof(DateTimeOffset), new DateTimeOffset(2024, 1, 2, 4, 4, 5, TimeSpan.FromHours(1)), "2024-01-02_5403_3a04_3a05_2e0000000_2b00_3a00" },
        { typeof(DateOnly), new DateOnly(2024, 2, 29), "2024-02-29" },
        { typeof(TimeOnly), new TimeOnly(23, 59, 58), "23_3a59_3a58_2e0000000" },
        { typeof(TimeSpan), TimeSpan.FromMinutes(90), "01_3a30_3a00" },
        { typeof(DayOfWeek), DayOfWeek.Friday, "5" },
        { typeof(int?), null, "n" },
        { typeof(int?), 42, "42" },
        { typeof(int[]), new[] { 1, -2 }, "l2.1.-2" },
        { typeof(int[]), Array.Empty<int>(), "l0" },
        { typeof(int[]), null, "n" },
        { typeof(IReadOnlyList<string?>), new[] { null, "" }, "l2.n.s" },
        { typeof(IReadOnlyList<DateOnly?>), new DateOnly?[] { new DateOnly(2024, 1, 1), null }, "l2.2024-01-01.n" },
    };

    [Theory]
    [MemberData(nameof(Tokens))]
    public void WritesTheCanonicalToken(Type type, object? value, string expected)
    {
        var writer = ArgumentKeyFormat.TryCreateWriter(type);

        Assert.NotNull(writer);
        var builder = new StringBuilder();
        writer(builder, value);
        Assert.Equal(expected, builder.ToString());
    }

    [Theory]
    [InlineData(typeof(object))]
    [InlineData(typeof(Book))]
    [InlineData(typeof(List<int>))]
    [InlineData(typeof(IEnumerable<int>))]
    [InlineData(typeof(Dictionary<string, int>))]
    [InlineData(typeof(Func<int>))]
    [InlineData(typeof(KeyValuePair<int, int>))]
    [InlineData(typeof(int[][]))]
    [InlineData(typeof(int[,]))]
    [InlineData(typeof(IReadOnlyList<Book>))]
    [InlineData(typeof(nint))]
    public void HasNoWriterForATypeWithoutACanonicalForm(Type type) =>
        Assert.Null(ArgumentKeyFormat.TryCreateWriter(type));
}
