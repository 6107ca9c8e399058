using System.Text.RegularExpressions;
using Bookstore.Caching.Serialization;

namespace Bookstore.Tests.Unit.Serialization;

[Trait("Category", "Unit")]
public sealed partial class DecodeStatusExtensionsTests
{
    [Fact]
    public void EveryStatusHasADistinctLowerSnakeCaseErrorType()
    {
        var names = Enum.GetValues<DecodeStatus>().Select(status => status.ToErrorType()).ToList();

        Assert.Equal(names.Count, names.Distinct(StringComparer.Ordinal).Count());
        Assert.All(names, name => Assert.Matches(LowerSnakeCase(), name));
    }

    [Theory]
    [InlineData(DecodeStatus.TooLarge, "too_large")]
    [InlineData(DecodeStatus.UnknownFormat, "unknown_format")]
    [InlineData(DecodeStatus.SchemaMismatch, "schema_mismatch")]
    [InlineData(DecodeStatus.Corrupt, "corrupt")]
    public void ErrorTypesKeepTheirPublishedNames(DecodeStatus status, string expected) =>
        Assert.Equal(expected, status.ToErrorType());

    [GeneratedRegex("^[a-z]+(_[a-z]+)*$")]
    private static partial Regex LowerSnakeCase();
}
