using System.Collections.Concurrent;
using Bookstore.Caching.Configuration;
using Bookstore.Caching.Keys;
using Bookstore.Caching.Typed;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Bookstore.Caching.Distributed;

/// <summary>
/// Decides where an L2 read goes when Redis has replicas (<see cref="RedisOptions.PreferReplica"/>): entries of the
/// types whose policy allows a slightly stale read (<see cref="CachePolicy.ReadFromReplica"/>: Books, BookLists, Users,
/// Recommendations, Reference) go to a replica; every other read (Cart, Sessions, Analytics, tag and stamp keys) to
/// the primary.
/// </summary>
/// <remarks>
/// A replica applies the primary's writes a little later (asynchronous replication). The read that follows a change
/// is the one that must not see the old value: a backplane message makes this process drop its L1 copy, and if the
/// next read loaded the old value from a lagging replica it would keep it in L1 for the type's whole L1 duration
/// (FusionCache even keeps the old L1 entry when the L2 copy it reads on the message has the same timestamp). So a key
/// that changed, here (a write or delete through L2) or elsewhere (a backplane message, a bulk-write drop), is read
/// from the primary for <see cref="RedisOptions.ReplicaLagAllowanceSeconds"/> afterwards.
/// </remarks>
public sealed class ReplicaReadRouting
{
    /// <summary>Above this many remembered keys, the expired ones are swept on the next change.</summary>
    private const int SweepThreshold = 10_000;

    private readonly bool _enabled;
    private readonly string[] _replicaPrefixes;
    private readonly long _allowanceTicks;
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<string, long> _changed = new(StringComparer.Ordinal);
    private long _nextSweep;

    public ReplicaReadRouting(IOptions<RedisOptions> options, CachePolicyTable policies, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(policies);
        _time = time;
        _enabled = options.Value.PreferReplica;
        _allowanceTicks = TimeSpan.FromSeconds(options.Value.ReplicaLagAllowanceSeconds).Ticks * time.TimestampFrequency / TimeSpan.TicksPerSecond;
        _replicaPrefixes = [.. policies.All.Where(p => p.ReadFromReplica).Select(p => CacheService.KeyPrefixOf(p.Type))];
    }

    /// <summary>Whether any read goes to a replica at all.</summary>
    public bool Enabled => _enabled;

    /// <summary>How many changed keys are read from the primary now (for diagnostics and tests).</summary>
    public int HeldKeys => _changed.Count;

    /// <summary>The flags of an L2 read of <paramref name="key"/>.</summary>
    public CommandFlags FlagsFor(string key)
    {
        if (!_enabled || !MayReadReplica(key))
        {
            return CommandFlags.None;
        }

        if (!_changed.IsEmpty && _changed.TryGetValue(key, out var until))
        {
            if (_time.GetTimestamp() < until)
            {
                return CommandFlags.None;
            }

            _changed.TryRemove(new KeyValuePair<string, long>(key, until));
        }

        return CommandFlags.PreferReplica;
    }

    /// <summary>The key changed (written, deleted or announced by another process): read it from the primary for a while.</summary>
    public void NoteChanged(string? key)
    {
        if (!_enabled || key is null || !MayReadReplica(key))
        {
            return;
        }

        var now = _time.GetTimestamp();
        _changed[key] = now + _allowanceTicks;
        if (_changed.Count > SweepThreshold && now >= Interlocked.Read(ref _nextSweep))
        {
            Interlocked.Exchange(ref _nextSweep, now + _allowanceTicks);
            foreach (var entry in _changed)
            {
                if (entry.Value <= now)
                {
                    _changed.TryRemove(entry);
                }
            }
        }
    }

    /// <summary>An entry of a stale-tolerant type; never its tag keys (<c>...:#tag:</c>) or stamp keys, whose reads decide freshness.</summary>
    private bool MayReadReplica(string key)
    {
        foreach (var prefix in _replicaPrefixes)
        {
            if (key.Length > prefix.Length && key.StartsWith(prefix, StringComparison.Ordinal))
            {
                return !key.Contains('#', StringComparison.Ordinal);
            }
        }

        return false;
    }
}
