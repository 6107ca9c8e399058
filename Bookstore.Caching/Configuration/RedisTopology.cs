namespace Bookstore.Caching.Configuration;

/// <summary>
/// How Redis is deployed (<c>Bookstore:Redis:Topology</c>): the AppHost starts it that way, and the services connect
/// accordingly. Replication is asynchronous in every topology: Redis stays a cache, the catalog store the source of truth.
/// </summary>
public enum RedisTopology
{
    /// <summary>One redis-server (Local and Development).</summary>
    Single,

    /// <summary>
    /// One primary, its replicas and three Sentinels (quorum 2), Production's topology. The connection string names the
    /// Sentinels and <c>serviceName=</c>; the client finds the primary through them and follows a failover.
    /// </summary>
    Replicated,

    /// <summary>Redis Cluster: three primaries, each with a replica; keys are spread over 16384 hash slots.</summary>
    Cluster,
}
