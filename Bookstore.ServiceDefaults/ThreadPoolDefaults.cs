namespace Microsoft.Extensions.Hosting;

/// <summary>
/// Raises the thread pool's minimum worker threads at start, to <see cref="MinWorkerThreads"/>. The pool runs at most its
/// minimum of work items at once (the core count: 2 here) and adds a thread only about every half second while work
/// waits. Work that holds a pool thread without giving it back at once then delays everything behind it, the handling of
/// Redis answers included, until the 500 ms cache timeout takes Redis for stalled. Measured on this service: a sign-in's
/// password check (ASP.NET Core Identity, PBKDF2, ~130 ms of CPU) held one of the two, and StackExchange.Redis asks the
/// Sentinels for the primary after a failover with synchronous calls on pool threads (seven blocked at once were seen),
/// which made queued work wait 1–1.6 s. With more threads allowed at once, the operating system shares the cores
/// between them instead. Left as it is when the runtime was given a minimum (<see cref="RuntimeSetting"/> in
/// runtimeconfig.json, or <see cref="EnvironmentVariable"/>), or when the minimum is already higher.
/// </summary>
public static class ThreadPoolDefaults
{
    public const int MinWorkerThreads = 32;

    public const string RuntimeSetting = "System.Threading.ThreadPool.MinThreads";

    public const string EnvironmentVariable = "DOTNET_ThreadPool_ForceMinWorkerThreads";

    /// <summary>Raises the minimum worker threads as described above; returns the minimum in force afterwards.</summary>
    public static int RaiseMinWorkerThreads()
    {
        ThreadPool.GetMinThreads(out var workers, out var completionPorts);
        if (workers >= MinWorkerThreads || AppContext.GetData(RuntimeSetting) is not null || Environment.GetEnvironmentVariable(EnvironmentVariable) is not null)
        {
            return workers;
        }

        return ThreadPool.SetMinThreads(MinWorkerThreads, completionPorts) ? MinWorkerThreads : workers;
    }
}
