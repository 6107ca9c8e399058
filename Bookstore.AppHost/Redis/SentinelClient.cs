using System.Globalization;
using System.Net;
using StackExchange.Redis;

namespace Bookstore.AppHost.Redis;

/// <summary>
/// The AppHost's questions to the Sentinels of the replicated topology, asked as <c>bookstore-admin</c>: which node is
/// the primary now, and "fail over now". A connection, once open, is kept until the client is disposed.
/// </summary>
public sealed class SentinelClient(IReadOnlyList<int> sentinelPorts, string adminPassword) : IAsyncDisposable
{
    /// <summary>How long a Sentinel has to accept a connection or answer before the next one is asked.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(1);

    private readonly Dictionary<int, Task<ConnectionMultiplexer>> _connections = [];

    /// <summary>
    /// The primary's port as the Sentinels name it; null when none answers. Each Sentinel is asked
    /// (<c>SENTINEL MASTER bookstore</c>) and the one with the highest configuration epoch is believed: right after a
    /// failover the others learn the new primary from its leader only within a second or two.
    /// </summary>
    public async Task<int?> PrimaryPortAsync(CancellationToken cancellationToken)
    {
        (long Epoch, int Port)? newest = null;
        foreach (var port in sentinelPorts)
        {
            try
            {
                var server = await ServerAsync(port, cancellationToken).ConfigureAwait(false);
                var fields = (await server.SentinelMasterAsync(ReplicatedRedisConfiguration.ServiceName).WaitAsync(Timeout, cancellationToken).ConfigureAwait(false))
                    .ToDictionary(f => f.Key, f => f.Value, StringComparer.Ordinal);
                if (int.TryParse(fields.GetValueOrDefault("port"), NumberStyles.None, CultureInfo.InvariantCulture, out var primaryPort)
                    && long.TryParse(fields.GetValueOrDefault("config-epoch"), NumberStyles.None, CultureInfo.InvariantCulture, out var epoch)
                    && (newest is null || epoch > newest.Value.Epoch))
                {
                    newest = (epoch, primaryPort);
                }
            }
            catch (Exception ex) when (ex is RedisException or TimeoutException)
            {
                // Not running, or not answering: the others are asked.
                await ForgetAsync(port).ConfigureAwait(false);
            }
        }

        return newest?.Port;
    }

    /// <summary>
    /// <c>SENTINEL FAILOVER bookstore</c> on the first Sentinel that answers: it promotes a replica without asking the
    /// others for agreement. Throws the last Sentinel's error when none accepted it (e.g. <c>NOGOODSLAVE</c> when no
    /// replica is in sync, <c>INPROG</c> while a failover runs).
    /// </summary>
    public async Task<int> FailOverAsync(CancellationToken cancellationToken)
    {
        Exception? last = null;
        foreach (var port in sentinelPorts)
        {
            try
            {
                var server = await ServerAsync(port, cancellationToken).ConfigureAwait(false);
                await server.SentinelFailoverAsync(ReplicatedRedisConfiguration.ServiceName).WaitAsync(Timeout, cancellationToken).ConfigureAwait(false);
                return port;
            }
            catch (RedisServerException ex)
            {
                // The Sentinel answered and refused: another one would refuse for the same reason.
                throw new InvalidOperationException($"The Sentinel on 127.0.0.1:{port} refused SENTINEL FAILOVER: {ex.Message}", ex);
            }
            catch (Exception ex) when (ex is RedisException or TimeoutException)
            {
                await ForgetAsync(port).ConfigureAwait(false);
                last = ex;
            }
        }

        throw new InvalidOperationException("No Sentinel answered SENTINEL FAILOVER.", last);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var port in _connections.Keys.ToList())
        {
            await ForgetAsync(port).ConfigureAwait(false);
        }
    }

    private async Task<IServer> ServerAsync(int port, CancellationToken cancellationToken)
    {
        if (!_connections.TryGetValue(port, out var connecting))
        {
            var configuration = new ConfigurationOptions
            {
                EndPoints = { { IPAddress.Loopback, port } },
                User = RedisUsers.Admin,
                Password = adminPassword,
                CommandMap = CommandMap.Sentinel,
                AllowAdmin = true,
                AbortOnConnectFail = true,
                ConnectRetry = 1,
                ConnectTimeout = (int)Timeout.TotalMilliseconds,
                AsyncTimeout = (int)Timeout.TotalMilliseconds,
                ClientName = "bookstore-apphost-sentinel",
                TieBreaker = string.Empty,
                ConfigurationChannel = string.Empty,
            };
            connecting = ConnectionMultiplexer.ConnectAsync(configuration);
            _connections[port] = connecting;
        }

        var connection = await connecting.WaitAsync(cancellationToken).ConfigureAwait(false);
        return connection.GetServer(connection.GetEndPoints()[0]);
    }

    private async Task ForgetAsync(int port)
    {
        if (_connections.Remove(port, out var connecting) && connecting.IsCompletedSuccessfully)
        {
            await (await connecting.ConfigureAwait(false)).DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>How a node is named in log lines and reports.</summary>
    public static string Address(int port) => string.Create(CultureInfo.InvariantCulture, $"127.0.0.1:{port}");
}
