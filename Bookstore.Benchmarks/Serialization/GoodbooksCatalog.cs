using System.Globalization;
using System.Text;
using Bookstore.Catalog.Contracts;

namespace Bookstore.Benchmarks.Serialization;

/// <summary>
/// Real books from the goodbooks-10k data set (books.csv), read where it lies: it is never copied into the
/// repository. Found through <c>BOOKSTORE_GOODBOOKS_CSV</c>, else <c>shared/data/goodbooks-10k/books.csv</c>
/// in a folder above the working directory or the executable.
/// </summary>
internal static class GoodbooksCatalog
{
    public const string PathVariable = "BOOKSTORE_GOODBOOKS_CSV";
    private const string RelativePath = "shared/data/goodbooks-10k/books.csv";

    public static IReadOnlyList<Book> Load(int count)
    {
        var path = FindCsv();
        using var reader = new StreamReader(path, Encoding.UTF8);
        var header = ParseLine(reader.ReadLine() ?? throw new InvalidDataException($"{path} is empty."));
        var column = header.Select((name, index) => (name, index)).ToDictionary(c => c.name, c => c.index, StringComparer.Ordinal);

        var books = new List<Book>(count);
        while (books.Count < count && reader.ReadLine() is { } line)
        {
            var fields = ParseLine(line);
            books.Add(new Book(
                Id: int.Parse(fields[column["book_id"]], CultureInfo.InvariantCulture),
                Title: fields[column["title"]],
                Authors: fields[column["authors"]].Split(", ", StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
                AverageRating: double.Parse(fields[column["average_rating"]], CultureInfo.InvariantCulture),
                RatingsCount: int.Parse(fields[column["ratings_count"]], CultureInfo.InvariantCulture),
                Isbn13: Isbn13(fields[column["isbn13"]]),
                OriginalPublicationYear: Year(fields[column["original_publication_year"]]),
                LanguageCode: NullIfEmpty(fields[column["language_code"]]),
                ImageUrl: NullIfEmpty(fields[column["image_url"]])));
        }

        return books.Count == count
            ? books
            : throw new InvalidDataException($"{path} holds {books.Count} books; {count} are needed.");
    }

    private static string FindCsv()
    {
        if (Environment.GetEnvironmentVariable(PathVariable) is { Length: > 0 } configured)
        {
            return File.Exists(configured)
                ? configured
                : throw new FileNotFoundException($"{PathVariable} points to {configured}, which does not exist.", configured);
        }

        foreach (var start in new[] { Environment.CurrentDirectory, AppContext.BaseDirectory })
        {
            for (var directory = new DirectoryInfo(start); directory is not null; directory = directory.Parent)
            {
                var candidate = Path.Combine(directory.FullName, RelativePath);
                if (File.Exists(candidate))
                {
                    return candidate;
                }
            }
        }

        throw new FileNotFoundException(
            $"The goodbooks-10k books.csv was not found as {RelativePath} above {Environment.CurrentDirectory} or {AppContext.BaseDirectory}. " +
            $"Set {PathVariable} to its path.");
    }

    /// <summary>The file stores ISBN-13 as a float ("9.78043902348e+12"), so the last digits are already lost; kept as 13 digits.</summary>
    private static string? Isbn13(string field) =>
        double.TryParse(field, NumberStyles.Float, CultureInfo.InvariantCulture, out var number)
            ? ((long)number).ToString(CultureInfo.InvariantCulture)
            : null;

    private static int? Year(string field) =>
        double.TryParse(field, NumberStyles.Float, CultureInfo.InvariantCulture, out var year) ? (int)year : null;

    private static string? NullIfEmpty(string field) => field.Length == 0 ? null : field;

    /// <summary>One RFC 4180 record: commas inside double quotes, doubled quotes as a literal quote.</summary>
    private static List<string> ParseLine(string line)
    {
        var fields = new List<string>();
        var field = new StringBuilder();
        var quoted = false;
        for (var i = 0; i < line.Length; i++)
        {
            var c = line[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < line.Length && line[i + 1] == '"')
                {
                    field.Append('"');
                    i++;
                }
                else if (c == '"')
                {
                    quoted = false;
                }
                else
                {
                    field.Append(c);
                }
            }
            else if (c == '"')
            {
                quoted = true;
            }
            else if (c == ',')
            {
                fields.Add(field.ToString());
                field.Clear();
            }
            else
            {
                field.Append(c);
            }
        }

        fields.Add(field.ToString());
        return fields;
    }
}
