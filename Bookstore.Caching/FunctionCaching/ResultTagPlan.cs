using System.Collections;
using System.Globalization;
using Bookstore.Caching.Typed;

namespace Bookstore.Caching.FunctionCaching;

/// <summary>
/// Collects one call's tags from the arguments chosen at start-up by <see cref="CacheTagAttribute"/> or convention, and
/// from the result's properties named by <c>[return: CacheTag(..., Member = ...)]</c>.
/// </summary>
internal sealed class ResultTagPlan
{
    public const string UserTag = "user";
    public const string BookTag = "book";

    private static readonly Type[] IntegerTypes =
        [typeof(sbyte), typeof(byte), typeof(short), typeof(ushort), typeof(int), typeof(uint), typeof(long)];

    private readonly TagSource[] _sources;
    private readonly ResultTagSource[] _resultSources;

    public ResultTagPlan(IReadOnlyList<TagSource> sources, IReadOnlyList<ResultTagSource>? resultSources = null)
    {
        _sources = [.. sources];
        _resultSources = [.. resultSources ?? []];
    }

    /// <summary>Whether some tags come from the result, so they are known only once it is computed.</summary>
    public bool HasResultTags => _resultSources.Length > 0;

    /// <summary>Whether any call can carry a tag.</summary>
    public bool HasTags => _sources.Length > 0 || HasResultTags;

    /// <summary>The tags read from a computed result (none for a null result).</summary>
    public IEnumerable<string> CollectFromResult(object? result)
    {
        var tags = new List<string>();
        if (result is not null)
        {
            foreach (var source in _resultSources)
            {
                source.Tag.AddTo(tags, source.Read(result));
            }
        }

        return tags;
    }

    public IEnumerable<string>? Collect(object?[] args)
    {
        if (_sources.Length == 0)
        {
            return null;
        }

        var tags = new List<string>(_sources.Length);
        foreach (var source in _sources)
        {
            source.AddTo(tags, args[source.Index]);
        }

        return tags.Count == 0 ? null : tags;
    }

    /// <summary>The tag source for an explicit <see cref="CacheTagAttribute"/>, or the reason the parameter cannot carry it.</summary>
    public static TagSource? TryCreate(int index, string name, Type parameterType, out string? reason)
    {
        reason = null;
        if (name.Length == 0 || !name.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c is '-' or '_'))
        {
            reason = $"the tag name '{name}' may only contain lower-case ASCII letters, digits, '-' and '_'";
            return null;
        }

        var element = ArgumentKeyFormat.ListElementType(parameterType);
        var valueType = Nullable.GetUnderlyingType(element ?? parameterType) ?? element ?? parameterType;
        Func<object, string>? format = name switch
        {
            UserTag when IsInteger(valueType) => static v => CacheTags.User(Convert.ToInt64(v, CultureInfo.InvariantCulture)),
            BookTag when IsInteger(valueType) => static v => CacheTags.Book(Convert.ToInt64(v, CultureInfo.InvariantCulture)),
            UserTag or BookTag => null,
            _ when valueType == typeof(string) => v => name + ":" + (string)v,
            _ when IsInteger(valueType) || valueType == typeof(ulong) || valueType == typeof(Guid) =>
                v => name + ":" + ((IFormattable)v).ToString(null, CultureInfo.InvariantCulture),
            _ => null,
        };

        if (format is null)
        {
            reason = name is UserTag or BookTag
                ? $"a '{name}' tag needs an integer value (sbyte to long), or an array or IReadOnlyList<T> of them"
                : $"a '{name}' tag needs a string, integer or Guid value, or an array or IReadOnlyList<T> of them";
            return null;
        }

        return new TagSource(index, format, IsList: element is not null);
    }

    /// <summary>The convention: an integer parameter named exactly <c>userId</c> or <c>bookId</c> carries that tag.</summary>
    public static TagSource? ByConvention(int index, string? parameterName, Type parameterType)
    {
        var tag = parameterName switch
        {
            "userId" => UserTag,
            "bookId" => BookTag,
            _ => null,
        };
        var valueType = Nullable.GetUnderlyingType(parameterType) ?? parameterType;
        return tag is not null && IsInteger(valueType) ? TryCreate(index, tag, parameterType, out _) : null;
    }

    private static bool IsInteger(Type type) => IntegerTypes.Contains(type);

    /// <summary>A tag read from a property of the result: <see cref="Read"/> gets the property, <see cref="Tag"/> formats it.</summary>
    internal sealed record ResultTagSource(Func<object, object?> Read, TagSource Tag);

    internal sealed record TagSource(int Index, Func<object, string> Format, bool IsList)
    {
        public void AddTo(List<string> tags, object? value)
        {
            if (value is null)
            {
                return;
            }

            if (!IsList)
            {
                tags.Add(Format(value));
                return;
            }

            foreach (var item in (IEnumerable)value)
            {
                if (item is not null)
                {
                    tags.Add(Format(item));
                }
            }
        }
    }
}
