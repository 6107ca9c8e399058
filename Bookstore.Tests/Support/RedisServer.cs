using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Bookstore.AppHost.Redis;

namespace Bookstore.Tests.Support;

/// <summary>
/// A real redis-server on a free loopback port with a password, in a temporary data folder.
/// It can be killed (SIGKILL) and started again on the same port and folder.
/// </summary>
public sealed class RedisServer : IAsyncDisposable
{
    private readonly string[] _extraArgs;
    private readonly TemporaryDirectory _data;
    private Process? _process;

    private RedisServer(int port, string[] extraArgs)
    {
        Port = port;
        _extraArgs = extraArgs;
        _data = new TemporaryDirectory("bookstore-redis-");
        Password = Convert.ToHexString(Guid.NewGuid().ToByteArray()).ToLowerInvariant();
    }

    public int Port { get; }

    public string Password { get; }

    public string DataDirectory => _data.Path;

    public string ConnectionString => $"127.0.0.1:{Port},password={Password}";

    public int? ProcessId => _process is { HasExited: false } p ? p.Id : null;

    /// <summary>Starts a server. <paramref name="extraArgs"/> are redis-server options such as <c>--maxmemory 2mb</c>.</summary>
    public static async Task<RedisServer> StartAsync(params string[] extraArgs)
    {
        var server = new RedisServer(FreePort(), extraArgs);
        await server.StartAgainAsync();
        return server;
    }

    /// <summary>Starts a server whose options depend on its port (e.g. <c>--port 0 --tls-port {port}</c>).</summary>
    public static async Task<RedisServer> StartAsync(Func<int, string[]> extraArgsForPort)
    {
        var port = FreePort();
        var server = new RedisServer(port, extraArgsForPort(port));
        await server.StartAgainAsync();
        return server;
    }

    public async Task StartAgainAsync()
    {
        if (_process is { HasExited: false })
        {
            throw new InvalidOperationException("redis-server is already running.");
        }

        var executable = RedisModeResolver.FindOnPath("redis-server")
            ?? throw new InvalidOperationException("redis-server is not on PATH; install it (apt-get install redis-server).");
        var startInfo = new ProcessStartInfo(executable)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = DataDirectory,
        };
        string[] args =
        [
            "--port", Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--bind", "127.0.0.1",
            "--requirepass", Password,
            "--dir", DataDirectory,
            "--save", string.Empty,
            "--appendonly", "no",
            "--daemonize", "no",
            "--protected-mode", "yes",
            .. _extraArgs,
        ];
        foreach (var arg in args)
        {
            startInfo.ArgumentList.Add(arg);
        }

        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var output = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var process = new Process { StartInfo = startInfo, EnableRaisingEvents = true };
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                return;
            }

            output.Enqueue(e.Data);
            if (e.Data.Contains("Ready to accept connections", StringComparison.Ordinal))
            {
                ready.TrySetResult();
            }
        };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) { output.Enqueue(e.Data); } };
        process.Exited += (_, _) => ready.TrySetException(new InvalidOperationException("redis-server exited:\n" + string.Join('\n', output)));
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;

        await ready.Task.WaitAsync(TimeSpan.FromSeconds(20));
    }

    /// <summary>Kills the server with SIGKILL, as a crash would, and waits until it is gone.</summary>
    public async Task KillAsync()
    {
        if (_process is { HasExited: false } process)
        {
            process.Kill();
            await process.WaitForExitAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        _process?.Dispose();
        _data.Dispose();
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
