using System.ComponentModel.DataAnnotations;

namespace Bookstore.Api.Catalog;

/// <summary>Section <c>Bookstore:Catalog</c>. The database itself is <c>ConnectionStrings:catalog</c>.</summary>
public sealed class CatalogOptions : IValidatableObject
{
    public const string SectionName = "Bookstore:Catalog";

    public const string ConnectionName = "catalog";

    /// <summary>Where the SQLite file goes when <c>ConnectionStrings:catalog</c> is not given; <c>{ContentRoot}</c> is the API's content root.</summary>
    public const string DefaultSqliteConnectionString = "Data Source={ContentRoot}/.data/catalog.db";

    /// <summary>The shortest password a reader may have (the AppHost generates 24 characters for the demo readers).</summary>
    public const int MinPasswordLength = 12;

    /// <summary>The EF Core provider: <c>sqlite</c> (the only one today; PostgreSQL can be added here by configuration).</summary>
    [Required]
    public string Provider { get; set; } = "sqlite";

    /// <summary>Write the shipped seed catalog when the store holds no book.</summary>
    public bool Seed { get; set; } = true;

    /// <summary>
    /// The password of the seeded demo readers (<see cref="DemoReaderPasswords"/>). Under the AppHost it is the generated
    /// secret parameter <c>demo-reader-password</c>; elsewhere set <c>Bookstore__Catalog__DemoReaderPassword</c>. Left out,
    /// demo readers without a password cannot sign in.
    /// </summary>
    public string? DemoReaderPassword { get; set; }

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (DemoReaderPassword is { Length: > 0 and < MinPasswordLength })
        {
            yield return new ValidationResult(
                $"{SectionName}:DemoReaderPassword must be at least {MinPasswordLength} characters (the AppHost generates 24); leave it out to give the demo readers no password.",
                [nameof(DemoReaderPassword)]);
        }
    }
}
