using StackExchange.Redis;

namespace Bookstore.Caching.Redis;

/// <summary>
/// The keys of a multi-key command (MGET, MSET, UNLINK) split so that each command keeps to one hash slot, as Redis
/// Cluster requires: a command over keys of two slots is refused (CROSSSLOT), and StackExchange.Redis refuses it before
/// sending. The commands of the groups are sent together, and the multiplexer pipelines them to their nodes. Without a
/// cluster every key is in the one group, and the command stays one command.
/// </summary>
internal static class HashSlotGroups
{
    /// <summary>The positions in <paramref name="keys"/> of each group, in their order in <paramref name="keys"/>.</summary>
    public static IReadOnlyList<int[]> Of(IConnectionMultiplexer connection, bool cluster, IReadOnlyList<RedisKey> keys)
    {
        if (!cluster)
        {
            return [[.. Enumerable.Range(0, keys.Count)]];
        }

        var groups = new Dictionary<int, List<int>>();
        for (var i = 0; i < keys.Count; i++)
        {
            var slot = connection.HashSlot(keys[i]);
            if (!groups.TryGetValue(slot, out var group))
            {
                groups[slot] = group = [];
            }

            group.Add(i);
        }

        return [.. groups.Values.Select(group => group.ToArray())];
    }
}
