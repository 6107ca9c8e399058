namespace Bookstore.AppHost.Redis;

/// <summary>How the AppHost provides the <c>cache</c> resource (<c>Bookstore:Redis:Mode</c>).</summary>
public enum RedisMode
{
    /// <summary>A container if a container runtime answers, else a local <c>redis-server</c>, else fail at once.</summary>
    Auto,

    /// <summary>Aspire's Redis container with our configuration, a data volume and a generated password.</summary>
    Container,

    /// <summary>The <c>redis-server</c> binary on PATH, run as an executable resource on loopback.</summary>
    Local,

    /// <summary>A Redis that already runs elsewhere, given as <c>ConnectionStrings:cache</c>; nothing is started.</summary>
    External,
}
