using Bookstore.Caching.Metrics;
using Bookstore.Caching.Serialization;
using ZiggyCreatures.Caching.Fusion.Serialization;

namespace Bookstore.Caching.Distributed;

/// <summary>
/// Plugs <see cref="CacheSerializer"/> into FusionCache's L2. An undecodable entry is reported as an error metric and
/// surfaces to FusionCache as an exception, which it treats as a distributed-cache miss; the next write replaces it.
/// </summary>
internal sealed class FusionCacheSerializerAdapter(CacheSerializer serializer, CacheMetrics metrics) : IFusionCacheSerializer
{
    public byte[] Serialize<T>(T? obj) => serializer.Serialize(obj);

    public T? Deserialize<T>(byte[] data)
    {
        var status = serializer.TryDeserialize<T>(data, out var value);
        if (status == DecodeStatus.Ok)
        {
            return value;
        }

        metrics.RecordError("deserialize", status.ToErrorType());
        throw new InvalidDataException($"A cached entry could not be decoded ({status.ToErrorType()}, {data.Length} bytes).");
    }

    public ValueTask<byte[]> SerializeAsync<T>(T? obj, CancellationToken token = default) => ValueTask.FromResult(Serialize(obj));

    public ValueTask<T?> DeserializeAsync<T>(byte[] data, CancellationToken token = default) => ValueTask.FromResult(Deserialize<T>(data));
}
