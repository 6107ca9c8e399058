using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Bookstore.AppHost.Local;

/// <summary>Ports for the processes the AppHost runs from PATH (redis-server, prometheus), bound to loopback only.</summary>
public static class LoopbackPort
{
    /// <summary>A loopback port free right now (the OS picks it; the process started next binds it).</summary>
    public static int FindFree()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>
    /// A loopback port free right now, below the kernel's ephemeral range, for a server that is stopped and started
    /// again on the same port. A port from <see cref="FindFree"/> can come back as the source port of an outgoing
    /// connection: while the server is down, a reconnecting client could connect to itself on that very port (TCP
    /// simultaneous open), and the restarted server could not bind it. The kernel never picks ports below the range.
    /// Falls back to <see cref="FindFree"/> when there is no such range to choose from.
    /// </summary>
    public static int FindFreeBelowEphemeralRange()
    {
        var lowestEphemeral = EphemeralRangeStart();
        for (var attempt = 0; attempt < 50 && lowestEphemeral > 11_000; attempt++)
        {
            var port = Random.Shared.Next(10_000, lowestEphemeral);
            try
            {
                using var probe = new TcpListener(IPAddress.Loopback, port);
                probe.Start();
                return port;
            }
            catch (SocketException)
            {
                // Taken: another one.
            }
        }

        return FindFree();
    }

    /// <summary>
    /// A loopback port for a Redis Cluster node: the port and its cluster bus port (the port + <see cref="ClusterBusOffset"/>)
    /// both free right now and both below the kernel's ephemeral range (see <see cref="FindFreeBelowEphemeralRange"/>),
    /// and none of <paramref name="taken"/> (ports chosen for other nodes but not bound yet).
    /// </summary>
    public static int FindFreeForClusterNode(IReadOnlyCollection<int> taken)
    {
        var highest = Math.Min(EphemeralRangeStart(), 65_536) - ClusterBusOffset;
        for (var attempt = 0; attempt < 200 && highest > 11_000; attempt++)
        {
            var port = Random.Shared.Next(10_000, highest);
            if (taken.Contains(port) || taken.Contains(port + ClusterBusOffset) || taken.Contains(port - ClusterBusOffset))
            {
                continue;
            }

            try
            {
                using var probe = new TcpListener(IPAddress.Loopback, port);
                using var bus = new TcpListener(IPAddress.Loopback, port + ClusterBusOffset);
                probe.Start();
                bus.Start();
                return port;
            }
            catch (SocketException)
            {
                // Taken: another one.
            }
        }

        throw new InvalidOperationException(
            $"No free pair of loopback ports (a port and the port + {ClusterBusOffset}) was found below the ephemeral range for a Redis Cluster node.");
    }

    /// <summary>How far above its port a Redis Cluster node listens for the cluster bus (Redis's default).</summary>
    public const int ClusterBusOffset = 10_000;

    private static int EphemeralRangeStart()
    {
        try
        {
            var range = File.ReadAllText("/proc/sys/net/ipv4/ip_local_port_range").Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            return int.Parse(range[0], CultureInfo.InvariantCulture);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return 32_768;
        }
    }
}
