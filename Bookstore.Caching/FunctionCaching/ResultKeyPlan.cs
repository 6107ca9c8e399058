using System.Reflection;
using System.Security.Cryptography;
using System.Text;

namespace Bookstore.Caching.FunctionCaching;

/// <summary>
/// Builds one method's key id: <c>{prefix}.{signature hash}</c>, then <c>.{argument tokens}</c> when the method has
/// keyable arguments, or <c>-{SHA-256 of the argument tokens}</c> when the id would pass <see cref="MaxIdLength"/>.
/// </summary>
/// <remarks>
/// The prefix holds no '.', and the 16 hex digits of the signature hash are followed by '.', '-' or the end, so a
/// hashed id can never equal a plain one whatever the arguments. Only <c>[a-z0-9._-]</c> appears (no ':'), so the id
/// passes <see cref="Keys.CacheKeyBuilder"/>'s segment rules and is safe as a Redis key part.
/// </remarks>
internal sealed class ResultKeyPlan
{
    /// <summary>The longest id handed to the cache; longer argument lists are replaced by their hash.</summary>
    public const int MaxIdLength = 200;

    public const int MaxPrefixLength = 64;

    /// <summary>Part of every signature hash, so a change of the token scheme moves every function-cache key at once.</summary>
    public const string SchemeVersion = "bookstore-cache-result-v1";

    private readonly string _methodPart;
    private readonly (int Index, ArgumentWriter Write)[] _arguments;

    public ResultKeyPlan(string prefix, string signature, IReadOnlyList<(int Index, ArgumentWriter Write)> arguments)
    {
        _methodPart = prefix + "." + SignatureHash(signature);
        _arguments = [.. arguments];
    }

    public string Build(object?[] args)
    {
        if (_arguments.Length == 0)
        {
            return _methodPart;
        }

        var builder = new StringBuilder(_methodPart.Length + 16 * _arguments.Length).Append(_methodPart).Append('.');
        var argumentsStart = builder.Length;
        for (var i = 0; i < _arguments.Length; i++)
        {
            if (i > 0)
            {
                builder.Append('.');
            }

            var (index, write) = _arguments[i];
            write(builder, args[index]);
        }

        if (builder.Length <= MaxIdLength)
        {
            return builder.ToString();
        }

        // Tokens are ASCII, so their UTF-8 bytes are the canonical form one for one.
        var hash = SHA256.HashData(Encoding.ASCII.GetBytes(builder.ToString(argumentsStart, builder.Length - argumentsStart)));
        return _methodPart + "-" + Convert.ToHexStringLower(hash);
    }

    /// <summary>
    /// The signature in the form hashed into the key: interface, method, parameter types and result type, with type
    /// names free of assembly versions so the key survives a runtime or package upgrade.
    /// </summary>
    public static string Signature(Type service, MethodInfo method, Type resultType) =>
        $"{TypeName(service)}.{method.Name}({string.Join(",", method.GetParameters().Select(p => TypeName(p.ParameterType)))}):{TypeName(resultType)}";

    /// <summary>The first 8 bytes of SHA-256 over the scheme version and signature, as 16 lower-case hex digits.</summary>
    public static string SignatureHash(string signature) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(SchemeVersion + "|" + signature)).AsSpan(0, 8));

    /// <summary>The default prefix: the method name in kebab case, cut to <see cref="MaxPrefixLength"/>.</summary>
    public static string DefaultPrefix(string methodName)
    {
        var builder = new StringBuilder(methodName.Length + 8);
        for (var i = 0; i < methodName.Length; i++)
        {
            var c = methodName[i];
            if (char.IsAsciiLetterUpper(c))
            {
                var previous = i > 0 ? methodName[i - 1] : '\0';
                var next = i + 1 < methodName.Length ? methodName[i + 1] : '\0';
                var startsWord = char.IsAsciiLetterLower(previous) || char.IsAsciiDigit(previous) ||
                                 (char.IsAsciiLetterUpper(previous) && char.IsAsciiLetterLower(next));
                if (startsWord && builder.Length > 0)
                {
                    builder.Append('-');
                }

                builder.Append(char.ToLowerInvariant(c));
            }
            else if (IsPrefixChar(c))
            {
                builder.Append(c);
            }
        }

        // The signature hash keeps methods apart, so a cut or emptied label loses nothing but readability.
        var prefix = builder.ToString(0, Math.Min(builder.Length, MaxPrefixLength)).TrimEnd('-');
        return prefix.Length == 0 ? "method" : prefix;
    }

    public static bool IsValidPrefix(string prefix) =>
        prefix.Length is > 0 and <= MaxPrefixLength && prefix.All(IsPrefixChar);

    private static bool IsPrefixChar(char c) => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c is '-' or '_';

    /// <summary>A type's name without assembly-qualified generic arguments (which <see cref="Type.FullName"/> has).</summary>
    public static string TypeName(Type type)
    {
        if (type.IsArray)
        {
            var rank = type.IsSZArray ? "[]" : "[" + new string(',', type.GetArrayRank() - 1) + "]";
            return TypeName(type.GetElementType()!) + rank;
        }

        if (type.IsByRef || type.IsPointer)
        {
            return TypeName(type.GetElementType()!) + (type.IsByRef ? "&" : "*");
        }

        if (type.IsConstructedGenericType)
        {
            return $"{TypeName(type.GetGenericTypeDefinition())}<{string.Join(",", type.GetGenericArguments().Select(TypeName))}>";
        }

        return type.FullName ?? type.Name;
    }
}
