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
}
