namespace Bookstore.Api.Catalog;

/// <summary>
/// The small catalog a fresh store starts with: classics (titles, authors, first publication years and languages
/// written for this project), a few users and their ratings. Deterministic: the same rows on every machine.
/// Ratings counts, averages and prices are made up by formula; they only need to differ so sorting shows something.
/// </summary>
public sealed class CatalogSeed
{
    private static readonly (string Title, string[] Authors, int Year, string Language)[] Classics =
    [
        ("Pride and Prejudice", ["Jane Austen"], 1813, "eng"),
        ("Emma", ["Jane Austen"], 1815, "eng"),
        ("Persuasion", ["Jane Austen"], 1817, "eng"),
        ("Sense and Sensibility", ["Jane Austen"], 1811, "eng"),
        ("Jane Eyre", ["Charlotte Brontë"], 1847, "eng"),
        ("Wuthering Heights", ["Emily Brontë"], 1847, "eng"),
        ("Middlemarch", ["George Eliot"], 1871, "eng"),
        ("Great Expectations", ["Charles Dickens"], 1861, "eng"),
        ("A Tale of Two Cities", ["Charles Dickens"], 1859, "eng"),
        ("Bleak House", ["Charles Dickens"], 1853, "eng"),
        ("Oliver Twist", ["Charles Dickens"], 1838, "eng"),
        ("Moby-Dick", ["Herman Melville"], 1851, "en-US"),
        ("The Scarlet Letter", ["Nathaniel Hawthorne"], 1850, "en-US"),
        ("Adventures of Huckleberry Finn", ["Mark Twain"], 1884, "en-US"),
        ("The Adventures of Tom Sawyer", ["Mark Twain"], 1876, "en-US"),
        ("Little Women", ["Louisa May Alcott"], 1868, "en-US"),
        ("The Picture of Dorian Gray", ["Oscar Wilde"], 1890, "eng"),
        ("Frankenstein", ["Mary Shelley"], 1818, "eng"),
        ("Dracula", ["Bram Stoker"], 1897, "eng"),
        ("The Strange Case of Dr Jekyll and Mr Hyde", ["Robert Louis Stevenson"], 1886, "eng"),
        ("Treasure Island", ["Robert Louis Stevenson"], 1883, "eng"),
        ("The Time Machine", ["H. G. Wells"], 1895, "eng"),
        ("The War of the Worlds", ["H. G. Wells"], 1898, "eng"),
        ("Heart of Darkness", ["Joseph Conrad"], 1899, "eng"),
        ("Alice's Adventures in Wonderland", ["Lewis Carroll"], 1865, "eng"),
        ("The Hound of the Baskervilles", ["Arthur Conan Doyle"], 1902, "eng"),
        ("A Study in Scarlet", ["Arthur Conan Doyle"], 1887, "eng"),
        ("Ulysses", ["James Joyce"], 1922, "eng"),
        ("Dubliners", ["James Joyce"], 1914, "eng"),
        ("Mrs Dalloway", ["Virginia Woolf"], 1925, "eng"),
        ("To the Lighthouse", ["Virginia Woolf"], 1927, "eng"),
        ("The Great Gatsby", ["F. Scott Fitzgerald"], 1925, "en-US"),
        ("Les Misérables", ["Victor Hugo"], 1862, "fre"),
        ("Notre-Dame de Paris", ["Victor Hugo"], 1831, "fre"),
        ("Madame Bovary", ["Gustave Flaubert"], 1857, "fre"),
        ("Le Comte de Monte-Cristo", ["Alexandre Dumas", "Auguste Maquet"], 1844, "fre"),
        ("Les Trois Mousquetaires", ["Alexandre Dumas", "Auguste Maquet"], 1844, "fre"),
        ("Vingt mille lieues sous les mers", ["Jules Verne"], 1870, "fre"),
        ("Le Tour du monde en quatre-vingts jours", ["Jules Verne"], 1872, "fre"),
        ("Candide", ["Voltaire"], 1759, "fre"),
        ("Don Quijote de la Mancha", ["Miguel de Cervantes"], 1605, "spa"),
        ("Die Verwandlung", ["Franz Kafka"], 1915, "ger"),
        ("Der Process", ["Franz Kafka"], 1925, "ger"),
        ("Die Leiden des jungen Werthers", ["Johann Wolfgang von Goethe"], 1774, "ger"),
        ("Kinder- und Hausmärchen", ["Jacob Grimm", "Wilhelm Grimm"], 1812, "ger"),
        ("Anna Karenina", ["Leo Tolstoy"], 1878, "rus"),
        ("War and Peace", ["Leo Tolstoy"], 1869, "rus"),
        ("Crime and Punishment", ["Fyodor Dostoevsky"], 1866, "rus"),
        ("The Brothers Karamazov", ["Fyodor Dostoevsky"], 1880, "rus"),
        ("Dead Souls", ["Nikolai Gogol"], 1842, "rus"),
        ("I promessi sposi", ["Alessandro Manzoni"], 1827, "ita"),
        ("The Divine Comedy", ["Dante Alighieri"], 1320, "ita"),
    ];

    private static readonly (string Name, string Email)[] Readers =
    [
        ("Ada Reader", "ada@example.org"),
        ("Ben Margins", "ben@example.org"),
        ("Chloé Dog-Ear", "chloe@example.org"),
        ("Dmitri Spine", "dmitri@example.org"),
        ("Eun-ji Shelf", "eunji@example.org"),
    ];

    public static CatalogSeed Default { get; } = new();

    public int BookCount => Classics.Length;

    public IEnumerable<BookInput> Books() => Classics.Select((book, i) => new BookInput(
        book.Title,
        book.Authors,
        Price: 4.99m + (i % 10),
        OriginalPublicationYear: book.Year,
        LanguageCode: book.Language,
        Description: $"{book.Title}, first published in {book.Year}."));

    /// <summary>Average rating and ratings count of the n-th seed book (0-based).</summary>
    public static (double AverageRating, int RatingsCount) Popularity(int index) =>
        (Math.Round(3.5 + (index * 37 % 15) / 10.0, 2), 500 + (index * 7919 % 90_000));

    /// <summary>The e-mail addresses of the seeded readers (the demo readers, <see cref="DemoReaderPasswords"/>).</summary>
    public IEnumerable<string> ReaderEmails => Readers.Select(r => r.Email);

    public IEnumerable<UserEntity> Users(DateTimeOffset createdAt) =>
        Readers.Select(r => new UserEntity { DisplayName = r.Name, Email = r.Email, CreatedAt = createdAt });

    /// <summary>Each user rates every third book, starting at a different one; values 1 to 5.</summary>
    public static IEnumerable<(int UserIndex, int BookIndex, int Value)> Ratings(int userCount, int bookCount)
    {
        for (var u = 0; u < userCount; u++)
        {
            for (var b = u; b < bookCount; b += 3)
            {
                yield return (u, b, 1 + ((u * 3 + b * 7) % 5));
            }
        }
    }
}
