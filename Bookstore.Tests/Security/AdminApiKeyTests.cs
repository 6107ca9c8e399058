using System.ComponentModel.DataAnnotations;
using Bookstore.ServiceDefaults.Security;
using Microsoft.Extensions.Options;

namespace Bookstore.Tests.Security;

[Trait("Category", "Security")]
public sealed class AdminApiKeyTests
{
    private const string Key = "0123456789abcdef0123456789abcdef";

    [Fact]
    public void OnlyTheExactKeyMatches()
    {
        var admin = new AdminApiKey(Options.Create(new SecurityOptions { AdminApiKey = Key }));

        Assert.True(admin.IsConfigured);
        Assert.True(admin.Matches(Key));
        foreach (var wrong in new[] { Key[..^1], Key + "0", Key.ToUpperInvariant(), " " + Key, string.Empty, Key[..^1] + "g" })
        {
            Assert.False(admin.Matches(wrong), wrong);
        }

        Assert.False(admin.Matches(null));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    public void WithoutAKeyNothingMatches(string? configured)
    {
        var admin = new AdminApiKey(Options.Create(new SecurityOptions { AdminApiKey = configured }));

        Assert.False(admin.IsConfigured);
        Assert.False(admin.Matches(string.Empty));
        Assert.False(admin.Matches(configured));
    }

    [Fact]
    public void AShortKeyIsRefusedAtStartNamingTheSetting()
    {
        var tooShort = new SecurityOptions { AdminApiKey = "short" };
        var results = new List<ValidationResult>();

        Assert.False(Validator.TryValidateObject(tooShort, new ValidationContext(tooShort), results, validateAllProperties: true));
        Assert.Contains("Bookstore:Security:AdminApiKey", Assert.Single(results).ErrorMessage, StringComparison.Ordinal);

        var valid = new SecurityOptions { AdminApiKey = Key };
        Assert.True(Validator.TryValidateObject(valid, new ValidationContext(valid), [], validateAllProperties: true));
    }
}
