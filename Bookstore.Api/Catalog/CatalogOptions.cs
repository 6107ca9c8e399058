using System.ComponentModel.DataAnnotations;

namespace Bookstore.Api.Catalog;

/// <summary>Section <c>Bookstore:Catalog</c>. The database itself is <c>ConnectionStrings:catalog</c>.</summary>
public sealed class CatalogOptions
{
    public const string SectionName = "Bookstore:Catalog";

    public const string ConnectionName = "catalog";

    /// <summary>Where the SQLite file goes when <c>ConnectionStrings:catalog</c> is not given; <c>{ContentRoot}</c> is the API's content root.</summary>
    public const string DefaultSqliteConnectionString = "Data Source={ContentRoot}/.data/catalog.db";

    /// <summary>The EF Core provider: <c>sqlite</c> (the only one today; PostgreSQL can be added here by configuration).</summary>
    [Required]
    public string Provider { get; set; } = "sqlite";

    /// <summary>Write the shipped seed catalog when the store holds no book.</summary>
    public bool Seed { get; set; } = true;
}
