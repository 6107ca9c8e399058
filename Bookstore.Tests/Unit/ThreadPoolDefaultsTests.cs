using Microsoft.Extensions.Hosting;

namespace Bookstore.Tests.Unit;

/// <summary>
/// The service defaults let the thread pool run <see cref="ThreadPoolDefaults.MinWorkerThreads"/> work items at once from
/// the start (see <see cref="ThreadPoolDefaults"/> for what starved it at the core count's 2).
/// </summary>
[Trait("Category", "Unit")]
public sealed class ThreadPoolDefaultsTests
{
    [Fact]
    public void AServiceStartsWithEnoughPoolThreadsThatAPasswordCheckOrASynchronousSentinelQueryDoesNotHoldTheOthersBack()
    {
        Assert.SkipWhen(Environment.GetEnvironmentVariable(ThreadPoolDefaults.EnvironmentVariable) is not null, "the runtime's minimum was set by the environment");

        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.AddServiceDefaults();

        ThreadPool.GetMinThreads(out var workers, out _);
        Assert.True(workers >= ThreadPoolDefaults.MinWorkerThreads, $"minimum worker threads {workers}, expected at least {ThreadPoolDefaults.MinWorkerThreads}");
    }
}
