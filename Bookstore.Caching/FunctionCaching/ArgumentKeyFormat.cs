using System.Collections.Frozen;
using System.Globalization;
using System.Reflection;
using System.Text;

namespace Bookstore.Caching.FunctionCaching;

/// <summary>Appends one argument's token to a key id being built; the value is boxed as the proxy received it.</summary>
internal delegate void ArgumentWriter(StringBuilder builder, object? value);

/// <summary>
/// The canonical, injective text of keyable arguments. Every token uses only <c>[a-z0-9_-]</c> and never '.', so
/// tokens can be joined with '.' without any boundary ambiguity: ("a.b","c") and ("a","b.c") cannot meet.
/// </summary>
/// <remarks>
/// Tokens, per static parameter type (the type is fixed per position, so tokens only need to differ within a type):
/// null <c>n</c>; string <c>s</c> + escaped text (so "" is <c>s</c>, never <c>n</c>); char <c>c</c> + escaped char;
/// bool <c>true</c>/<c>false</c>; integers and enums their invariant decimal value; double/float <c>R</c> text,
/// decimal invariant text, DateTime/DateTimeOffset/DateOnly/TimeOnly <c>O</c> text (local DateTime and every
/// DateTimeOffset in UTC), TimeSpan <c>c</c> text, each escaped; Guid 32 hex digits; a list <c>l{count}</c> followed by
/// its element tokens. Escaping keeps <c>[a-z0-9-]</c> and writes any other UTF-16 unit as <c>_hh</c> (≤ 0xff) or
/// <c>_uhhhh</c>, which works on code units so even lone surrogates stay distinct.
/// </remarks>
internal static class ArgumentKeyFormat
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    private static readonly FrozenDictionary<Type, ArgumentWriter> Scalars = new Dictionary<Type, ArgumentWriter>
    {
        [typeof(string)] = static (b, v) => AppendEscaped(b.Append('s'), (string)v!),
        [typeof(char)] = static (b, v) =>
        {
            var c = (char)v!;
            AppendEscaped(b.Append('c'), new ReadOnlySpan<char>(in c));
        },
        [typeof(bool)] = static (b, v) => b.Append((bool)v! ? "true" : "false"),
        [typeof(sbyte)] = AppendInteger,
        [typeof(byte)] = AppendInteger,
        [typeof(short)] = AppendInteger,
        [typeof(ushort)] = AppendInteger,
        [typeof(int)] = AppendInteger,
        [typeof(uint)] = AppendInteger,
        [typeof(long)] = AppendInteger,
        [typeof(ulong)] = AppendInteger,
        [typeof(double)] = static (b, v) => AppendEscaped(b, ((double)v!).ToString("R", Invariant)),
        [typeof(float)] = static (b, v) => AppendEscaped(b, ((float)v!).ToString("R", Invariant)),
        [typeof(decimal)] = static (b, v) => AppendEscaped(b, ((decimal)v!).ToString(Invariant)),
        [typeof(Guid)] = static (b, v) => b.Append(((Guid)v!).ToString("N", Invariant)),
        [typeof(DateTime)] = static (b, v) =>
        {
            // A local time's "O" text carries the machine's offset; its UTC form names the same instant on every machine.
            var time = (DateTime)v!;
            AppendEscaped(b, (time.Kind == DateTimeKind.Local ? time.ToUniversalTime() : time).ToString("O", Invariant));
        },
        [typeof(DateTimeOffset)] = static (b, v) => AppendEscaped(b, ((DateTimeOffset)v!).ToUniversalTime().ToString("O", Invariant)),
        [typeof(DateOnly)] = static (b, v) => AppendEscaped(b, ((DateOnly)v!).ToString("O", Invariant)),
        [typeof(TimeOnly)] = static (b, v) => AppendEscaped(b, ((TimeOnly)v!).ToString("O", Invariant)),
        [typeof(TimeSpan)] = static (b, v) => AppendEscaped(b, ((TimeSpan)v!).ToString("c", Invariant)),
    }.ToFrozenDictionary();

    private static readonly MethodInfo CreateListWriterMethod =
        typeof(ArgumentKeyFormat).GetMethod(nameof(CreateListWriter), BindingFlags.NonPublic | BindingFlags.Static)!;

    /// <summary>What a start-up error tells the developer is keyable.</summary>
    public const string KeyableTypes =
        "bool, char, integers, double, float, decimal, string, Guid, DateTime, DateTimeOffset, DateOnly, TimeOnly, TimeSpan, " +
        "enums, Nullable<T> of these, and T[] or IReadOnlyList<T> of these";

    /// <summary>The writer for a parameter type, or null when the type has no canonical form.</summary>
    public static ArgumentWriter? TryCreateWriter(Type type)
    {
        var element = ListElementType(type);
        if (element is null)
        {
            return TryCreateScalarWriter(type);
        }

        var elementWriter = TryCreateScalarWriter(element);
        return elementWriter is null
            ? null
            : (ArgumentWriter)CreateListWriterMethod.MakeGenericMethod(element).Invoke(null, [elementWriter])!;
    }

    /// <summary>The element type when <paramref name="type"/> is <c>T[]</c> or <see cref="IReadOnlyList{T}"/>; otherwise null.</summary>
    public static Type? ListElementType(Type type)
    {
        if (type.IsSZArray)
        {
            return type.GetElementType();
        }

        return type.IsGenericType && type.GetGenericTypeDefinition() == typeof(IReadOnlyList<>)
            ? type.GetGenericArguments()[0]
            : null;
    }

    /// <summary>
    /// Appends <paramref name="text"/> keeping <c>[a-z0-9-]</c> and escaping every other UTF-16 unit, so the result
    /// never holds '.' and decodes back to exactly one text.
    /// </summary>
    public static StringBuilder AppendEscaped(StringBuilder builder, ReadOnlySpan<char> text)
    {
        foreach (var c in text)
        {
            if (char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '-')
            {
                builder.Append(c);
            }
            else if (c <= '\u00ff')
            {
                builder.Append('_').Append(HexDigit(c >> 4)).Append(HexDigit(c & 0xf));
            }
            else
            {
                builder.Append("_u").Append(HexDigit(c >> 12)).Append(HexDigit((c >> 8) & 0xf)).Append(HexDigit((c >> 4) & 0xf)).Append(HexDigit(c & 0xf));
            }
        }

        return builder;
    }

    private static char HexDigit(int value) => (char)(value < 10 ? '0' + value : 'a' + value - 10);

    private static ArgumentWriter? TryCreateScalarWriter(Type type)
    {
        var underlying = Nullable.GetUnderlyingType(type) ?? type;
        ArgumentWriter? writer = underlying.IsEnum
            ? static (b, v) => b.Append(((Enum)v!).ToString("D"))
            : Scalars.GetValueOrDefault(underlying);
        if (writer is null)
        {
            return null;
        }

        return (b, v) =>
        {
            if (v is null)
            {
                b.Append('n');
            }
            else
            {
                writer(b, v);
            }
        };
    }

    private static void AppendInteger(StringBuilder builder, object? value) =>
        builder.Append(((IFormattable)value!).ToString(null, Invariant));

    private static ArgumentWriter CreateListWriter<TElement>(ArgumentWriter elementWriter) => (b, v) =>
    {
        if (v is null)
        {
            b.Append('n');
            return;
        }

        // Arrays implement IReadOnlyList<T>, so one cast serves both supported shapes.
        var list = (IReadOnlyList<TElement>)v;
        b.Append('l').Append(list.Count.ToString(Invariant));
        for (var i = 0; i < list.Count; i++)
        {
            elementWriter(b.Append('.'), list[i]);
        }
    };
}
