using System.Text.Json.Serialization;

namespace Bookstore.Caching.Distributed;

/// <summary>
/// Source-generated metadata for plain values inside FusionCache's L2 wrapper: cached strings and numbers, the
/// timestamps FusionCache itself stores for tags, the wrapper's own members (optional timestamps, size, priority), and
/// values written as JSON already (<see cref="Serialization.EncodedJson"/>).
/// </summary>
[JsonSerializable(typeof(long))]
[JsonSerializable(typeof(long?))]
[JsonSerializable(typeof(byte?))]
[JsonSerializable(typeof(int))]
[JsonSerializable(typeof(string))]
[JsonSerializable(typeof(bool))]
[JsonSerializable(typeof(double))]
[JsonSerializable(typeof(decimal))]
[JsonSerializable(typeof(Guid))]
[JsonSerializable(typeof(DateTimeOffset))]
[JsonSerializable(typeof(int[]))]
[JsonSerializable(typeof(long[]))]
[JsonSerializable(typeof(string[]))]
[JsonSerializable(typeof(IReadOnlyList<int>))]
[JsonSerializable(typeof(Serialization.EncodedJson))]
internal sealed partial class PrimitiveJsonContext : JsonSerializerContext;
