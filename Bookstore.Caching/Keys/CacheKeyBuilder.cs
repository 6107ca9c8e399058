using System.Globalization;

namespace Bookstore.Caching.Keys;

/// <summary>
/// The one place Redis keys are built: <c>bookstore:v{schema}:{segment}:{id}</c>.
/// Segments are fixed identifiers of ours and ids are typed values, so no raw request text reaches a key.
/// </summary>
public static class CacheKeyBuilder
{
    public const string Prefix = "bookstore:";

    /// <summary>Bumped when a cached shape changes incompatibly; old entries are then simply not read.</summary>
    public const int SchemaVersion = 1;

    private static readonly string VersionedPrefix = string.Create(CultureInfo.InvariantCulture, $"{Prefix}v{SchemaVersion}:");

    public static string For(string segment, long id)
    {
        ValidateSegment(segment);
        return string.Create(CultureInfo.InvariantCulture, $"{VersionedPrefix}{segment}:{id}");
    }

    public static string For(string segment, Guid id)
    {
        ValidateSegment(segment);
        return string.Create(CultureInfo.InvariantCulture, $"{VersionedPrefix}{segment}:{id:N}");
    }

    /// <summary>A key that is one of our named singletons, e.g. <c>bookstore:v1:worker:heartbeat</c>.</summary>
    public static string ForName(string segment, string name)
    {
        ValidateSegment(segment);
        ValidateSegment(name);
        return string.Create(CultureInfo.InvariantCulture, $"{VersionedPrefix}{segment}:{name}");
    }

    private static void ValidateSegment(string segment)
    {
        ArgumentException.ThrowIfNullOrEmpty(segment);
        foreach (var c in segment)
        {
            if (!(char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c is '-' or '_' or '.'))
            {
                throw new ArgumentException(
                    $"Cache key segment '{segment}' may only contain lower-case ASCII letters, digits, '-', '_' and '.'.",
                    nameof(segment));
            }
        }
    }
}
