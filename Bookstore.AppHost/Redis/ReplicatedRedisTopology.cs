using System.Collections.Concurrent;

namespace Bookstore.AppHost.Redis;

/// <summary>
/// The replicated topology's processes as the AppHost laid them out for this run (their loopback ports), and which
/// node is the primary. At a fresh start node 1 is; after that only the Sentinels know, so a process that starts again
/// while the AppHost runs asks them first: a data node must not come back as a second primary.
/// </summary>
public sealed class ReplicatedRedisTopology(IReadOnlyList<int> dataNodePorts, IReadOnlyList<int> sentinelPorts)
{
    private readonly ConcurrentDictionary<int, bool> _started = new();
    private int _lastKnownPrimaryPort = dataNodePorts[0];

    /// <summary>The data nodes' ports; the first is the primary at a fresh start.</summary>
    public IReadOnlyList<int> DataNodePorts { get; } = dataNodePorts;

    public IReadOnlyList<int> SentinelPorts { get; } = sentinelPorts;

    /// <summary>The primary the AppHost saw last (the role watcher reports it), node 1 until then.</summary>
    public int LastKnownPrimaryPort => Volatile.Read(ref _lastKnownPrimaryPort);

    public void ObservePrimary(int port) => Volatile.Write(ref _lastKnownPrimaryPort, port);

    /// <summary>
    /// The primary a process starting on <paramref name="port"/> must follow. Its first start in this run: node 1. A
    /// start after that: the primary the Sentinels name (asked as <c>bookstore-admin</c>), or, when none answers, the
    /// last one the AppHost saw. When they name the very data node that is starting, it has just gone down and they
    /// have not promoted a replica yet: it waits for them (at most <paramref name="failoverWait"/>, by default Sentinel's
    /// down-after time and failover timeout) and follows the new primary, and starts as the primary only if none came.
    /// </summary>
    public async Task<PrimaryChoice> PrimaryForStartAsync(
        int port, string adminPassword, CancellationToken cancellationToken, TimeSpan? failoverWait = null)
    {
        if (_started.TryAdd(port, true))
        {
            return new(DataNodePorts[0], PrimaryChoiceSource.FreshStart);
        }

        await using var sentinels = new SentinelClient(SentinelPorts, adminPassword);
        var named = await sentinels.PrimaryPortAsync(cancellationToken).ConfigureAwait(false);
        if (named is null)
        {
            return new(LastKnownPrimaryPort, PrimaryChoiceSource.LastSeen);
        }

        var timings = SentinelTimings.Default;
        var deadline = DateTime.UtcNow + (failoverWait ?? TimeSpan.FromMilliseconds(timings.DownAfterMilliseconds + timings.FailoverTimeoutMilliseconds));
        while (named == port && DataNodePorts.Contains(port) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(250), cancellationToken).ConfigureAwait(false);
            named = await sentinels.PrimaryPortAsync(cancellationToken).ConfigureAwait(false) ?? named;
        }

        return new(named.Value, named == port ? PrimaryChoiceSource.NoFailover : PrimaryChoiceSource.Sentinels);
    }

    /// <summary>The primary's port as the Sentinels name it now (asked as <c>bookstore-admin</c>); fails when none answers.</summary>
    public async Task<int> CurrentPrimaryPortAsync(string adminPassword, CancellationToken cancellationToken)
    {
        await using var sentinels = new SentinelClient(SentinelPorts, adminPassword);
        return await sentinels.PrimaryPortAsync(cancellationToken).ConfigureAwait(false)
            ?? throw new InvalidOperationException("No Sentinel answered, so the primary is not known: are the cache's Sentinels running?");
    }
}

/// <summary>Where the AppHost learnt which node is the primary.</summary>
public enum PrimaryChoiceSource
{
    /// <summary>The AppHost's first start of this process: node 1 is the primary.</summary>
    FreshStart,

    /// <summary>A Sentinel named it.</summary>
    Sentinels,

    /// <summary>No Sentinel answered: the primary the AppHost saw last.</summary>
    LastSeen,

    /// <summary>The Sentinels still name the starting node itself: no replica was promoted while it was down.</summary>
    NoFailover,
}

/// <summary>The primary a starting process follows, and where that came from (for its log line).</summary>
public sealed record PrimaryChoice(int Port, PrimaryChoiceSource Source)
{
    public string Describe() => Source switch
    {
        PrimaryChoiceSource.FreshStart => $"node 1 ({SentinelClient.Address(Port)}) at a fresh start",
        PrimaryChoiceSource.Sentinels => $"{SentinelClient.Address(Port)}, as the Sentinels name it",
        PrimaryChoiceSource.NoFailover => $"{SentinelClient.Address(Port)}, which the Sentinels still name: no replica was promoted while it was down",
        _ => $"{SentinelClient.Address(Port)}, the primary last seen (no Sentinel answered)",
    };
}
