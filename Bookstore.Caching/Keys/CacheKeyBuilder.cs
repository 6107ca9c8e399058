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

    /// <summary>Longest id accepted in a key; function-cache ids hash longer argument lists below it.</summary>
    public const int MaxIdLength = 200;

    /// <summary><c>bookstore:v{schema}:</c>, the prefix FusionCache puts before every typed cache key.</summary>
    public static readonly string VersionedPrefix = string.Create(CultureInfo.InvariantCulture, $"{Prefix}v{SchemaVersion}:");

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

    /// <summary>
    /// The key without <see cref="VersionedPrefix"/>: <c>{segment}:{id}</c>. The id is an application identifier
    /// (digits, or a canonical form of lower-case letters, digits and <c>. _ - :</c>), never raw request text.
    /// </summary>
    public static string Relative(string segment, string id)
    {
        ValidateId(segment, id);
        return string.Concat(segment, ":", id);
    }

    /// <summary>The full key of a typed cache entry, <c>bookstore:v{schema}:{segment}:{id}</c>, with the id rules of <see cref="Relative"/>.</summary>
    public static string ForId(string segment, string id)
    {
        ValidateId(segment, id);
        return string.Concat(VersionedPrefix, segment, ":", id);
    }

    private static void ValidateId(string segment, string id)
    {
        ValidateSegment(segment);
        ArgumentException.ThrowIfNullOrEmpty(id);
        if (id.Length > MaxIdLength)
        {
            throw new ArgumentException($"Cache id is {id.Length} characters; at most {MaxIdLength} are allowed.", nameof(id));
        }

        foreach (var c in id)
        {
            if (!(char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c is '-' or '_' or '.' or ':'))
            {
                throw new ArgumentException(
                    $"Cache id '{id}' may only contain lower-case ASCII letters, digits, '-', '_', '.' and ':'.", nameof(id));
            }
        }
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
