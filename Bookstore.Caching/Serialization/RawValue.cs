using System.Globalization;
using System.Text;
using System.Text.Unicode;

namespace Bookstore.Caching.Serialization;

/// <summary>
/// Strings, numbers, booleans and byte arrays are stored as their plain bytes, without an envelope, so Redis
/// commands (<c>INCR</c>, <c>INCRBYFLOAT</c>, <c>APPEND</c>) and <c>redis-cli</c> work on them. A typed read
/// knows it expects one of these, so the lack of a header is never ambiguous.
/// </summary>
internal static class RawValue
{
    private static ReadOnlySpan<byte> PositiveInfinity => "inf"u8;
    private static ReadOnlySpan<byte> NegativeInfinity => "-inf"u8;

    public static bool IsRaw<T>() =>
        typeof(T) == typeof(string) || typeof(T) == typeof(long) || typeof(T) == typeof(int) ||
        typeof(T) == typeof(double) || typeof(T) == typeof(bool) || typeof(T) == typeof(byte[]);

    public static byte[] Write<T>(T value)
    {
        if (value is null)
        {
            // Redis has no null string: a null is the absence of the key, which a cache expresses by not storing it.
            throw new ArgumentNullException(nameof(value), $"A null {typeof(T).Name} cannot be cached as a raw value; do not store the entry instead.");
        }

        return value switch
        {
            string text => Encoding.UTF8.GetBytes(text),
            byte[] bytes => bytes.AsSpan().ToArray(),
            long number => Format(number),
            int number => Format(number),
            double number => FormatDouble(number),
            bool flag => [flag ? (byte)'1' : (byte)'0'],
            _ => throw new InvalidOperationException($"{typeof(T)} is not a raw cache value type."),
        };
    }

    public static DecodeStatus Read<T>(ReadOnlySpan<byte> payload, out T? value)
    {
        value = default;
        if (typeof(T) == typeof(string))
        {
            // Invalid UTF-8 is someone else's bytes (for example an envelope read as a string), not text to repair.
            if (!Utf8.IsValid(payload))
            {
                return DecodeStatus.Corrupt;
            }

            value = (T)(object)Encoding.UTF8.GetString(payload);
            return DecodeStatus.Ok;
        }

        if (typeof(T) == typeof(byte[]))
        {
            value = (T)(object)payload.ToArray();
            return DecodeStatus.Ok;
        }

        if (payload.IsEmpty)
        {
            return DecodeStatus.Empty;
        }

        if (typeof(T) == typeof(long))
        {
            if (!long.TryParse(payload, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var number))
            {
                return DecodeStatus.Corrupt;
            }

            value = (T)(object)number;
            return DecodeStatus.Ok;
        }

        if (typeof(T) == typeof(int))
        {
            if (!int.TryParse(payload, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var number))
            {
                return DecodeStatus.Corrupt;
            }

            value = (T)(object)number;
            return DecodeStatus.Ok;
        }

        if (typeof(T) == typeof(double))
        {
            if (!TryParseDouble(payload, out var number))
            {
                return DecodeStatus.Corrupt;
            }

            value = (T)(object)number;
            return DecodeStatus.Ok;
        }

        if (typeof(T) == typeof(bool))
        {
            if (!TryParseBoolean(payload, out var flag))
            {
                return DecodeStatus.Corrupt;
            }

            value = (T)(object)flag;
            return DecodeStatus.Ok;
        }

        throw new InvalidOperationException($"{typeof(T)} is not a raw cache value type.");
    }

    private static byte[] Format<TNumber>(TNumber number)
        where TNumber : IUtf8SpanFormattable
    {
        Span<byte> buffer = stackalloc byte[32];
        if (!number.TryFormat(buffer, out var written, default, CultureInfo.InvariantCulture))
        {
            throw new InvalidOperationException($"Could not format {number}.");
        }

        return buffer[..written].ToArray();
    }

    /// <summary>The shortest text that parses back to the same double; infinities spelled the way Redis writes them.</summary>
    private static byte[] FormatDouble(double number) => number switch
    {
        double.PositiveInfinity => PositiveInfinity.ToArray(),
        double.NegativeInfinity => NegativeInfinity.ToArray(),
        _ => Format(number),
    };

    private static bool TryParseDouble(ReadOnlySpan<byte> payload, out double number)
    {
        if (Ascii.EqualsIgnoreCase(payload, PositiveInfinity) || Ascii.EqualsIgnoreCase(payload, "+inf"u8))
        {
            number = double.PositiveInfinity;
            return true;
        }

        if (Ascii.EqualsIgnoreCase(payload, NegativeInfinity))
        {
            number = double.NegativeInfinity;
            return true;
        }

        return double.TryParse(payload, NumberStyles.Float, CultureInfo.InvariantCulture, out number);
    }

    /// <summary>Writes 1/0 as StackExchange.Redis does for booleans; also reads true/false that a person may have SET by hand.</summary>
    private static bool TryParseBoolean(ReadOnlySpan<byte> payload, out bool flag)
    {
        if (payload.SequenceEqual("1"u8) || Ascii.EqualsIgnoreCase(payload, "true"u8))
        {
            flag = true;
            return true;
        }

        flag = false;
        return payload.SequenceEqual("0"u8) || Ascii.EqualsIgnoreCase(payload, "false"u8);
    }
}
