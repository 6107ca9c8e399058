using System.Diagnostics;
using Aspire.Hosting;
using Bookstore.AppHost.Local;
using Bookstore.AppHost.Profiles;
using Bookstore.AppHost.Redis;

namespace Bookstore.Tests.Support;

/// <summary>
/// A real redis-server on a free loopback port with a password, in a temporary data folder.
/// It can be killed (SIGKILL) and started again on the same port and folder.
/// <see cref="StartWithUsersAsync"/> starts it instead from the AppHost's rendered configuration and ACL users.
/// </summary>
public sealed class RedisServer : ITestRedis, IAsyncDisposable
{
    private readonly string[] _extraArgs;
    private readonly TemporaryDirectory _data;
    private Process? _process;

    private readonly string _readyMarker;

    private RedisServer(int port, string[] extraArgs, RedisUserPasswords? users = null, string readyMarker = "Ready to accept connections")
    {
        Port = port;
        _extraArgs = extraArgs;
        _readyMarker = readyMarker;
        _data = new TemporaryDirectory("bookstore-redis-");
        Password = NewPassword();
        Users = users;
    }

    public int Port { get; }

    /// <summary>The default user's password; with <see cref="Users"/>, the admin user's.</summary>
    public string Password { get; }

    /// <summary>The ACL users' passwords when started by <see cref="StartWithUsersAsync"/>, else null.</summary>
    public RedisUserPasswords? Users { get; }

    public string DataDirectory => _data.Path;

    /// <summary>Full access: the default user, or with ACL users the admin user.</summary>
    public string ConnectionString => Users is { } users
        ? ConnectionStringAs(RedisUsers.Admin, users.Admin)
        : $"127.0.0.1:{Port},password={Password}";

    public IReadOnlyList<KeyValuePair<string, string?>> ServiceSettings => [new("ConnectionStrings:cache", ConnectionString)];

    /// <summary>The connection string as one of the ACL users (what the AppHost gives the services and the monitor).</summary>
    public string ConnectionStringAs(string user, string password) => $"127.0.0.1:{Port},user={user},password={password}";

    public string RuntimeConfigPath => Path.Combine(DataDirectory, "redis.runtime.conf");

    public int? ProcessId => _process is { HasExited: false } p ? p.Id : null;

    /// <summary>Starts a server. <paramref name="extraArgs"/> are redis-server options such as <c>--maxmemory 2mb</c>.</summary>
    public static async Task<RedisServer> StartAsync(params string[] extraArgs)
    {
        var server = new RedisServer(LoopbackPort.FindFreeBelowEphemeralRange(), extraArgs);
        await server.StartAgainAsync();
        return server;
    }

    /// <summary>
    /// Starts redis-server exactly as the AppHost's local mode does: the runtime configuration and users.acl rendered by
    /// the AppHost's own code from redis/redis.conf and redis/users.acl, with fresh passwords for the three users.
    /// </summary>
    public static Task<RedisServer> StartWithUsersAsync(BookstoreProfile? profile = null) =>
        StartRenderedAsync(
            LoopbackPort.FindFreeBelowEphemeralRange(),
            NewUsers(),
            (configFile, directory, port) => BookstoreRedisExtensions.RenderRuntimeConfig(configFile, directory, port, profile ?? BookstoreProfile.Local));

    /// <summary>
    /// Starts one node of a Redis Cluster as the AppHost's cluster topology does (<see cref="RedisClusterBootstrap.RenderNodeConfig"/>:
    /// the single server's configuration and users plus <c>cluster-enabled yes</c>, its <c>nodes.conf</c> in its own folder),
    /// on <paramref name="port"/> (its cluster bus on the port + 10000) with the users' passwords shared by every node.
    /// </summary>
    public static Task<RedisServer> StartClusterNodeAsync(int port, RedisUserPasswords users, TimeSpan nodeTimeout) =>
        StartRenderedAsync(
            port,
            users,
            (configFile, directory, nodePort) => RedisClusterBootstrap.RenderNodeConfig(
                configFile, directory, nodePort, BookstoreProfile.Local, nodeTimeout, users.Replication ?? throw new ArgumentException("A cluster node needs the replication user's password.", nameof(users))));

    /// <summary>Fresh passwords for the ACL users; with <paramref name="replication"/>, for the replication user too.</summary>
    public static RedisUserPasswords NewUsers(bool replication = false) =>
        new(NewPassword(), NewPassword(), NewPassword()) { Replication = replication ? NewPassword() : null };

    private static async Task<RedisServer> StartRenderedAsync(int port, RedisUserPasswords users, Func<string, string, int, string> renderConfig)
    {
        var server = new RedisServer(port, [], users);
        var repository = RepositoryRoot();
        var rendered = RedisUsers.Render(await File.ReadAllTextAsync(Path.Combine(repository, "redis", RedisUsers.FileName)), users);
        await File.WriteAllTextAsync(Path.Combine(server.DataDirectory, RedisUsers.FileName), rendered);
        await File.WriteAllTextAsync(server.RuntimeConfigPath, renderConfig(Path.Combine(repository, "redis", "redis.conf"), server.DataDirectory, server.Port));
        await server.StartAgainAsync();
        return server;
    }

    /// <summary>Starts a server whose options depend on its port (e.g. <c>--port 0 --tls-port {port}</c>).</summary>
    /// <summary>
    /// A data node of the replicated topology as the AppHost starts one: the profile's configuration, the users of
    /// <paramref name="users"/> (replication and Sentinel users included), and the replication settings; a replica of
    /// <paramref name="primaryPort"/> when one is given.
    /// </summary>
    public static async Task<RedisServer> StartReplicatedNodeAsync(RedisUserPasswords users, int? primaryPort, BookstoreProfile? profile = null)
    {
        var server = new RedisServer(LoopbackPort.FindFreeBelowEphemeralRange(), [], users);
        var repository = RepositoryRoot();
        await File.WriteAllTextAsync(
            Path.Combine(server.DataDirectory, RedisUsers.FileName),
            RedisUsers.Render(await File.ReadAllTextAsync(Path.Combine(repository, "redis", RedisUsers.FileName)), users));
        server._profile = profile ?? BookstoreProfile.Local;
        await server.RenderNodeConfigAsync(primaryPort);
        await server.StartAgainAsync();
        return server;
    }

    /// <summary>A Sentinel of the replicated topology watching <paramref name="primaryPort"/>, configured as the AppHost configures one.</summary>
    public static async Task<RedisServer> StartSentinelAsync(RedisUserPasswords users, int primaryPort, SentinelTimings? timings = null)
    {
        var server = new RedisServer(LoopbackPort.FindFreeBelowEphemeralRange(), ["--sentinel"], users, readyMarker: "Sentinel ID is");
        await File.WriteAllTextAsync(
            server.RuntimeConfigPath,
            ReplicatedRedisConfiguration.RenderSentinelConfig(server.Port, server.DataDirectory, primaryPort, users, timings));
        await server.StartAgainAsync();
        return server;
    }

    /// <summary>Renders a data node's configuration again, as a replica of <paramref name="primaryPort"/> (or a primary), before a restart.</summary>
    public Task RenderNodeConfigAsync(int? primaryPort)
    {
        var profile = _profile ?? throw new InvalidOperationException("Not a replicated data node.");
        var repository = RepositoryRoot();
        return File.WriteAllTextAsync(
            RuntimeConfigPath,
            BookstoreRedisExtensions.RenderRuntimeConfig(Path.Combine(repository, "redis", "redis.conf"), DataDirectory, Port, profile)
            + ReplicatedRedisConfiguration.DataNodeSettings(primaryPort, Users!.Replication!));
    }

    private BookstoreProfile? _profile;

    private System.Collections.Concurrent.ConcurrentQueue<string> _output = new();

    /// <summary>What the process has written since it was last started (Redis and Sentinel log their events there).</summary>
    public IReadOnlyList<string> Output => [.. _output];

    /// <summary>Sends a signal (STOP, CONT, KILL) to the process.</summary>
    public async Task SignalAsync(string signal)
    {
        using var kill = Process.Start("kill", ["-" + signal, (ProcessId ?? throw new InvalidOperationException("redis-server is not running.")).ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        await kill.WaitForExitAsync();
        if (kill.ExitCode != 0)
        {
            throw new InvalidOperationException($"kill -{signal} failed with {kill.ExitCode}.");
        }
    }

    public static async Task<RedisServer> StartAsync(Func<int, string[]> extraArgsForPort)
    {
        var port = LoopbackPort.FindFreeBelowEphemeralRange();
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
        string[] args = Users is not null ? [RuntimeConfigPath, .. _extraArgs] :
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
        var output = _output = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var process = new Process { StartInfo = startInfo, EnableRaisingEvents = true };
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                return;
            }

            output.Enqueue(e.Data);
            if (e.Data.Contains(_readyMarker, StringComparison.Ordinal))
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

    /// <summary>Whether the process has exited (after a SIGKILL, say).</summary>
    public bool HasExited => _process is not { HasExited: false };

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        _process?.Dispose();
        _data.Dispose();
    }

    private static string NewPassword() => Convert.ToHexString(Guid.NewGuid().ToByteArray()).ToLowerInvariant();

    /// <summary>The repository checkout the tests run from (where Bookstore.Aspire.sln is).</summary>
    internal static string RepositoryRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Bookstore.Aspire.sln")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName ?? throw new InvalidOperationException("Bookstore.Aspire.sln not found above the test output.");
    }
}
