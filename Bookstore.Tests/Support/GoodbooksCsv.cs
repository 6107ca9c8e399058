using System.Globalization;
using System.Text;

namespace Bookstore.Tests.Support;

/// <summary>
/// goodbooks-10k-shaped CSV made by the tests, so none needs the real file: its header, and rows generated with its
/// quirks (ISBN-13s written as floats such as <c>9.78000000042e+12</c>, short and X-ending ISBNs, quoted titles holding
/// commas and doubled quotes, several authors comma-separated in one quoted field, a repeated author, unicode, years as
/// floats, BC and missing years, missing language codes and ISBNs, "nophoto" images), ratings counts falling with the
/// row number as the real file's popularity order does. Deterministic: the same rows on every machine. The real file is
/// read only by a test that needs it, from <see cref="RealFileVariable"/>.
/// </summary>
internal static class GoodbooksCsv
{
    /// <summary>The goodbooks-10k header: 23 columns.</summary>
    public const string Header =
        "book_id,goodreads_book_id,best_book_id,work_id,books_count,isbn,isbn13,authors,original_publication_year,original_title,title,language_code,average_rating,ratings_count,work_ratings_count,work_text_reviews_count,ratings_1,ratings_2,ratings_3,ratings_4,ratings_5,image_url,small_image_url";

    /// <summary>The real goodbooks-10k <c>books.csv</c>, for the tests that need it; never copied into the repository.</summary>
    public const string RealFileVariable = "BOOKSTORE_GOODBOOKS_CSV";

    private static readonly string[] Languages = ["eng", "eng", "en-US", "", "en-GB", "fre", "spa", "ger", "jpn", "ara"];

    private static readonly string[] Surnames = ["Austen", "Brontë", "Dostoyevsky", "García Márquez", "Ōe", "Søndergaard", "Nguyễn", "O'Brien", "Achebe", "Szymborska"];

    /// <summary>The real file's path from <see cref="RealFileVariable"/>, or why it cannot be used (for <c>Assert.Skip</c>).</summary>
    public static (string? Path, string? Absent) RealFile()
    {
        var path = Environment.GetEnvironmentVariable(RealFileVariable);
        return string.IsNullOrWhiteSpace(path)
            ? (null, $"{RealFileVariable} is not set: set it to the goodbooks-10k books.csv (https://github.com/zygmuntz/goodbooks-10k) to run this test on the real data.")
            : File.Exists(path) ? (path, null) : (null, $"{RealFileVariable} names '{path}', which does not exist: point it at the goodbooks-10k books.csv.");
    }

    /// <summary>Writes the header and books 1 to <paramref name="count"/> of <see cref="Book"/>.</summary>
    public static Task WriteAsync(string path, int count, CancellationToken cancellationToken) =>
        File.WriteAllLinesAsync(path, [Header, .. Enumerable.Range(1, count).Select(n => Book(n).Line)], new UTF8Encoding(false), cancellationToken);

    /// <summary>One hand-written row, for a test that needs a particular title, authors or rating.</summary>
    public static string Row(int goodreadsId, string title, string authors, string rating, string ratingsCount = "120") =>
        string.Create(CultureInfo.InvariantCulture,
            $"{goodreadsId},{goodreadsId},{goodreadsId},1,1,123,9780000000001,{authors},1999.0,x,{title},eng,{rating},{ratingsCount},1,1,1,1,1,1,1,https://example.org/{goodreadsId}.jpg,https://example.org/s.jpg");

    /// <summary>The <paramref name="n"/>-th generated book (1-based): its CSV line and what an import should make of it.</summary>
    public static GeneratedBook Book(int n)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(n, 1);
        var goodreadsId = 1_000_000 + (n * 7);
        var a = $"{(char)('A' + (n % 26))}. {Surnames[n % Surnames.Length]}";
        var b = $"{(char)('A' + ((n / 26) % 26))}. {Surnames[(n / 7) % Surnames.Length]}";

        // Every title ends with "(#n)", so each is unique and none is a substring of another.
        var title = (n % 6) switch
        {
            0 => $"Plain Book (#{n})",
            1 => $"The Quiet River (The River Cycle, #{n % 9 + 1}) (#{n})",
            2 => $"Ein Buch über Grün, Teil {n % 12} (#{n})",
            3 => n % 50 == 3 ? $"The \"Quoted\" Edition, Revised (#{n})" : $"Le Château de Mme Ñúñez (#{n})",
            4 => $"日本の本と物語 (#{n})",
            _ => $"Short Stories, Essays, and Letters (#{n})",
        };
        string[] authors = (n % 5) switch
        {
            0 => [a],
            1 => [a, b],
            2 => [a, "Chloé Dog-Ear", b],
            3 => [a, a],
            _ => [$"Zoë Ünal {n % 40}"],
        };
        var isbn = n % 14 == 0 ? "" : n % 10 == 0 ? $"{n % 1000:D3}55493X" : (n * 7919 % 1_000_000_000).ToString(CultureInfo.InvariantCulture);
        var (isbn13Field, isbn13) = n switch
        {
            _ when n % 17 == 0 => ("", null),
            _ when n % 97 == 0 => ($"978{n:D10}", $"978{n:D10}"),
            _ when n % 1999 == 0 => ($"{76_783_609_000L + n}.0", null),
            _ => ($"9.78{n * 13 % 1_000_000_000:D9}e+12", (string?)null),
        };
        int? year = n % 500 == 0 ? null : n % 333 == 0 ? -(n % 800) - 1 : 1800 + (n % 220);
        var language = Languages[n % Languages.Length];
        var rating = Math.Round(3.0 + (n * 37 % 200 / 100.0), 2);
        var ratingsCount = Math.Max(1, 4_800_000 / n);
        int[] stars = [ratingsCount / 20, ratingsCount / 10, ratingsCount / 5, ratingsCount / 4];
        var image = n % 3 == 0
            ? "https://s.example.org/assets/nophoto/book/111x148.png"
            : $"https://images.example.org/books/{goodreadsId}m.jpg";

        var line = string.Join(',',
            n.ToString(CultureInfo.InvariantCulture),
            goodreadsId.ToString(CultureInfo.InvariantCulture),
            goodreadsId.ToString(CultureInfo.InvariantCulture),
            (goodreadsId + 13).ToString(CultureInfo.InvariantCulture),
            (n % 300 + 1).ToString(CultureInfo.InvariantCulture),
            isbn,
            isbn13Field,
            Quoted(string.Join(", ", authors)),
            year is { } y ? y.ToString(CultureInfo.InvariantCulture) + ".0" : "",
            n % 17 == 0 ? "" : Quoted(title[..title.LastIndexOf(" (#", StringComparison.Ordinal)]),
            Quoted(title),
            language,
            rating.ToString("0.00", CultureInfo.InvariantCulture),
            ratingsCount.ToString(CultureInfo.InvariantCulture),
            (ratingsCount + (n % 1000)).ToString(CultureInfo.InvariantCulture),
            (ratingsCount / 30).ToString(CultureInfo.InvariantCulture),
            string.Join(',', stars.Select(s => s.ToString(CultureInfo.InvariantCulture))),
            (ratingsCount - stars.Sum()).ToString(CultureInfo.InvariantCulture),
            image,
            image.Replace("m.jpg", "s.jpg", StringComparison.Ordinal));
        return new GeneratedBook(line, title, [.. authors.Distinct(StringComparer.Ordinal)], rating, ratingsCount, isbn13, year, language.Length == 0 ? null : language);
    }

    /// <summary>A CSV field: quoted (inner quotes doubled) when it holds a comma or a quote, as the real file writes it.</summary>
    private static string Quoted(string value) =>
        value.Contains(',', StringComparison.Ordinal) || value.Contains('"', StringComparison.Ordinal)
            ? "\"" + value.Replace("\"", "\"\"", StringComparison.Ordinal) + "\""
            : value;
}

/// <summary>A generated goodbooks row and the book an import should make of it (ISBN-13s written as floats are dropped, repeated authors once).</summary>
internal sealed record GeneratedBook(
    string Line,
    string Title,
    IReadOnlyList<string> Authors,
    double AverageRating,
    int RatingsCount,
    string? Isbn13,
    int? Year,
    string? Language);
