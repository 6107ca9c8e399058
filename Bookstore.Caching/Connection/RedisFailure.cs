using StackExchange.Redis;

namespace Bookstore.Caching.Connection;

/// <summary>
/// What went wrong with Redis, in a fixed vocabulary: what <c>/redis/health</c> and the health check report. Exception
/// text (host names, ports, user names, server replies) goes to the logs only.
/// </summary>
public static class RedisFailure
{
    public const string Timeout = "timeout";
    public const string ConnectionRefused = "connection_refused";
    public const string ConnectionLost = "connection_lost";
    public const string AuthFailed = "auth_failed";
    public const string PermissionDenied = "permission_denied";
    public const string Loading = "loading";
    public const string ServerError = "server_error";
    public const string NotConnected = "not_connected";
    public const string Unknown = "unknown";

    /// <summary>
    /// Two servers answer as primary (replicated topology): an old primary back from a stall before the Sentinels demoted
    /// it. Writes to it would be lost when it becomes a replica, so the cache waits until one primary is left.
    /// </summary>
    public const string TwoPrimaries = "two_primaries";

    /// <summary>The kind of <paramref name="exception"/>, one of this class's constants.</summary>
    public static string Of(Exception exception) => exception switch
    {
        TimeoutException => Timeout, // RedisTimeoutException is one too
        RedisConnectionException connection => Of(connection.FailureType),
        RedisServerException server when server.Message.StartsWith("NOAUTH", StringComparison.Ordinal)
                                        || server.Message.StartsWith("WRONGPASS", StringComparison.Ordinal) => AuthFailed,
        RedisServerException server when server.Message.StartsWith("NOPERM", StringComparison.Ordinal) => PermissionDenied,
        RedisServerException server when server.Message.StartsWith("LOADING", StringComparison.Ordinal) => Loading,
        RedisServerException => ServerError,
        _ => Unknown,
    };

    /// <summary>The kind of a failed connection, as StackExchange.Redis reports it in its connection events.</summary>
    public static string Of(ConnectionFailureType failure) => failure switch
    {
        ConnectionFailureType.UnableToConnect or ConnectionFailureType.UnableToResolvePhysicalConnection => ConnectionRefused,
        ConnectionFailureType.SocketFailure or ConnectionFailureType.SocketClosed => ConnectionLost,
        ConnectionFailureType.AuthenticationFailure => AuthFailed,
        ConnectionFailureType.Loading => Loading,
        ConnectionFailureType.ConnectionDisposed => NotConnected,
        _ => Unknown,
    };
}
