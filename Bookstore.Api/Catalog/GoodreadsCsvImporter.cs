using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace Bookstore.Api.Catalog;

/// <summary>A rejected row: its physical line in the file (the header is line 1) and what was wrong with it.</summary>
public sealed record ImportError(int Line, string Message);

public sealed record ImportReport(int Rows, int Added, int Updated, int Unchanged, int Rejected, IReadOnlyList<ImportError> Errors, double ElapsedMs);

/// <summary>
/// Imports a goodreads-style CSV (the goodbooks-10k <c>books.csv</c> header). Every row is validated; bad rows are
/// collected with their line numbers and skipped, never thrown on the first one. Good rows are upserted by
/// <c>goodreads_book_id</c> in batches, so importing the same file twice adds and changes nothing.
/// The HTTP endpoint and the command line both call this class.
/// </summary>
public sealed partial class GoodreadsCsvImporter(ICatalogStore store, ILogger<GoodreadsCsvImporter> logger)
{
    /// <summary>The most errors a report lists; the count of rejected rows is always complete.</summary>
    public const int MaxReportedErrors = 1000;

    private const int BatchSize = 1000;

    private static readonly string[] RequiredColumns = ["goodreads_book_id", "title", "authors", "average_rating", "ratings_count"];

    public async Task<ImportReport> ImportFileAsync(string path, CancellationToken cancellationToken)
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"The catalog CSV '{path}' does not exist; give the path of a goodreads-style books.csv.", path);
        }

        using var reader = new StreamReader(path, detectEncodingFromByteOrderMarks: true);
        return await ImportAsync(reader, cancellationToken);
    }

    public async Task<ImportReport> ImportAsync(TextReader csv, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var errors = new List<ImportError>();
        int rows = 0, rejected = 0, added = 0, updated = 0, unchanged = 0;
        var batch = new List<ImportedBook>(BatchSize);
        Columns? columns = null;

        void Reject(int line, string message)
        {
            rejected++;
            if (errors.Count < MaxReportedErrors)
            {
                errors.Add(new ImportError(line, message));
            }
        }

        async Task FlushAsync()
        {
            if (batch.Count == 0)
            {
                return;
            }

            var counts = await store.UpsertImportedBooksAsync(batch, cancellationToken);
            added += counts.Added;
            updated += counts.Updated;
            unchanged += counts.Unchanged;
            batch.Clear();
        }

        try
        {
            await foreach (var record in new CsvRecordReader(csv).ReadAllAsync(cancellationToken))
            {
                if (columns is null)
                {
                    columns = Columns.From(record.Fields, out var missing);
                    if (columns is null)
                    {
                        Reject(record.Line, $"The header lacks the column(s) {string.Join(", ", missing)}.");
                        break;
                    }

                    continue;
                }

                rows++;
                if (Validate(record, columns, out var book) is { } problem)
                {
                    Reject(record.Line, problem);
                    continue;
                }

                batch.Add(book!);
                if (batch.Count == BatchSize)
                {
                    await FlushAsync();
                }
            }
        }
        catch (FormatException ex)
        {
            Reject(0, ex.Message);
        }

        await FlushAsync();
        if (columns is null && rejected == 0)
        {
            Reject(1, "The file is empty: a header line is expected.");
        }

        var report = new ImportReport(rows, added, updated, unchanged, rejected, errors, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        LogImported(rows, added, updated, unchanged, rejected, report.ElapsedMs);
        return report;
    }

    private static string? Validate(CsvRecord record, Columns columns, out ImportedBook? book)
    {
        book = null;
        var f = record.Fields;
        if (f.Count != columns.Count)
        {
            return $"Expected {columns.Count} fields, found {f.Count}.";
        }

        if (!int.TryParse(f[columns.GoodreadsId], NumberStyles.None, CultureInfo.InvariantCulture, out var goodreadsId) || goodreadsId <= 0)
        {
            return $"goodreads_book_id '{Clip(f[columns.GoodreadsId])}' is not a positive integer.";
        }

        var title = f[columns.Title].Trim();
        if (title.Length == 0)
        {
            return "title is empty.";
        }

        if (title.Length > 1000)
        {
            return "title is longer than 1000 characters.";
        }

        // A few rows name the same author twice; the store links an author once, so duplicates are dropped here to keep re-imports idempotent.
        var authors = f[columns.Authors].Split(", ", StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Distinct(StringComparer.Ordinal).ToArray();
        if (authors.Length == 0)
        {
            return "authors is empty.";
        }

        if (authors.Any(a => a.Length > 300))
        {
            return "an author name is longer than 300 characters.";
        }

        if (!double.TryParse(f[columns.AverageRating], NumberStyles.Float, CultureInfo.InvariantCulture, out var rating) || rating is < 0 or > 5 || double.IsNaN(rating))
        {
            return $"average_rating '{Clip(f[columns.AverageRating])}' is not a number between 0 and 5.";
        }

        if (!int.TryParse(f[columns.RatingsCount], NumberStyles.None, CultureInfo.InvariantCulture, out var ratingsCount))
        {
            return $"ratings_count '{Clip(f[columns.RatingsCount])}' is not a non-negative integer.";
        }

        int? year = null;
        if (columns.Year is { } yearColumn && f[yearColumn].Length > 0)
        {
            // The goodbooks file writes years as floats ("1997.0"); negative years are BC.
            if (!double.TryParse(f[yearColumn], NumberStyles.Float, CultureInfo.InvariantCulture, out var y) || y != Math.Floor(y) || y is < -5000 or > 2100)
            {
                return $"original_publication_year '{Clip(f[yearColumn])}' is not a year between -5000 and 2100.";
            }

            year = (int)y;
        }

        string? language = columns.Language is { } languageColumn && f[languageColumn].Trim() is { Length: > 0 } code ? code : null;
        if (language is { Length: > 16 })
        {
            return $"language_code '{Clip(language)}' is longer than 16 characters.";
        }

        string? imageUrl = columns.ImageUrl is { } imageColumn && f[imageColumn].Trim() is { Length: > 0 } url ? url : null;
        if (imageUrl is { Length: > 2000 })
        {
            return "image_url is longer than 2000 characters.";
        }

        // The goodbooks file stores many ISBN-13s as floats (9.78043902348e+12), which lost their last digits: those are dropped, not guessed.
        string? isbn13 = columns.Isbn13 is { } isbnColumn && Isbn13Pattern().IsMatch(f[isbnColumn]) ? f[isbnColumn] : null;

        book = new ImportedBook(goodreadsId, title, authors, rating, ratingsCount, isbn13, year, language, imageUrl);
        return null;
    }

    private static string Clip(string value) => value.Length <= 40 ? value : value[..40] + "…";

    [GeneratedRegex("^[0-9]{13}$")]
    private static partial Regex Isbn13Pattern();

    [LoggerMessage(Level = LogLevel.Information, Message = "Catalog import: {Rows} rows, {Added} added, {Updated} updated, {Unchanged} unchanged, {Rejected} rejected in {ElapsedMs:F0} ms")]
    private partial void LogImported(int rows, int added, int updated, int unchanged, int rejected, double elapsedMs);

    private sealed record Columns(int Count, int GoodreadsId, int Title, int Authors, int AverageRating, int RatingsCount, int? Isbn13, int? Year, int? Language, int? ImageUrl)
    {
        public static Columns? From(IReadOnlyList<string> header, out IReadOnlyList<string> missing)
        {
            var index = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
            for (var i = 0; i < header.Count; i++)
            {
                index.TryAdd(header[i].Trim(), i);
            }

            missing = [.. RequiredColumns.Where(c => !index.ContainsKey(c))];
            if (missing.Count > 0)
            {
                return null;
            }

            int? Optional(string name) => index.TryGetValue(name, out var i) ? i : null;
            return new Columns(
                header.Count,
                index["goodreads_book_id"],
                index["title"],
                index["authors"],
                index["average_rating"],
                index["ratings_count"],
                Optional("isbn13"),
                Optional("original_publication_year"),
                Optional("language_code"),
                Optional("image_url"));
        }
    }
}
