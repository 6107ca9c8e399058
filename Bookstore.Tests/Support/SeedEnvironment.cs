namespace Bookstore.Tests.Support;

/// <summary>The seed document's <c>.env</c> (<c>docs/seed.env</c>), read as a shell reads it: <c>NAME=value</c> lines, comments skipped.</summary>
internal static class SeedEnvironment
{
    public static string FilePath => Path.Combine(RedisServer.RepositoryRoot(), "docs", "seed.env");

    public static IReadOnlyDictionary<string, string> Read()
    {
        var variables = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in File.ReadAllLines(FilePath))
        {
            var text = line.Trim();
            if (text.Length == 0 || text[0] == '#')
            {
                continue;
            }

            var equals = text.IndexOf('=', StringComparison.Ordinal);
            variables.Add(text[..equals], text[(equals + 1)..]);
        }

        return variables;
    }
}
