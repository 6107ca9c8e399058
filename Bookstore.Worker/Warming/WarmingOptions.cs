using System.ComponentModel.DataAnnotations;

namespace Bookstore.Worker.Warming;

/// <summary>What the cache warmer warms and how often (section <c>Bookstore:Warming</c>).</summary>
public sealed class WarmingOptions
{
    public const string SectionName = "Bookstore:Warming";

    /// <summary>How many of the most popular books to warm.</summary>
    [Range(1, 10_000)]
    public int TopBooks { get; set; } = 200;

    /// <summary>How many of the most recently active readers get their recommendations warmed (0: none).</summary>
    [Range(0, 10_000)]
    public int ActiveReaders { get; set; } = 50;

    /// <summary>How many first pages of the popularity list (20 books each) to warm through the API.</summary>
    [Range(0, 50)]
    public int ListPages { get; set; } = 3;

    /// <summary>Minutes between two warming runs (a run also starts at once and on the dashboard command).</summary>
    [Range(1, 24 * 60)]
    public int IntervalMinutes { get; set; } = 15;

    /// <summary>Base URL of the catalog API; Aspire service discovery resolves the default.</summary>
    [Required]
    public string CatalogUrl { get; set; } = "https+http://api";
}
