using System.Text.Json;
using Bookstore.AppHost.Warming;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Bookstore.Tests.Unit;

/// <summary>How the worker's <c>/warming</c> answer becomes the health report the dashboard shows.</summary>
[Trait("Category", "Unit")]
public sealed class WarmingStateHealthCheckTests
{
    [Fact]
    public void ReadyIsHealthyAndSaysWhatWasWarmed()
    {
        var result = Describe("""
            {"phase":"Ready","runs":2,"lastWarmed":200,"lastFailed":0,"lastDurationSeconds":0.314,"lastItemsPerSecond":637.2,
             "lastCompletedAt":"2026-11-26T17:00:00+00:00","lastError":null,"lastBookIds":[1,2],"lastUserIds":[4,5,6]}
            """);

        Assert.Equal(HealthStatus.Healthy, result.Status);
        Assert.Equal("ready: 200 books and 3 readers' recommendations warmed in 0.31 s (637 books/s), run 2", result.Description);
    }

    [Theory]
    [InlineData("""{"phase":"Starting","runs":0}""", "warming: waiting for the first run")]
    [InlineData("""{"phase":"Warming","runs":1}""", "warming: run 2 in progress")]
    public void StartingAndWarmingAreDegradedAndSayWarming(string json, string description)
    {
        var result = Describe(json);

        Assert.Equal(HealthStatus.Degraded, result.Status);
        Assert.Equal(description, result.Description);
    }

    [Fact]
    public void DegradedIsUnhealthyWithTheReason()
    {
        var result = Describe("""{"phase":"Degraded","runs":0,"lastError":"Redis is not reachable."}""");

        Assert.Equal(HealthStatus.Unhealthy, result.Status);
        Assert.Equal("degraded, retrying with back-off: Redis is not reachable.", result.Description);
    }

    [Fact]
    public void AnUnknownPhaseIsUnhealthy() =>
        Assert.Equal(HealthStatus.Unhealthy, Describe("""{"phase":"Sleeping"}""").Status);

    private static HealthCheckResult Describe(string json)
    {
        using var document = JsonDocument.Parse(json);
        return WarmingStateHealthCheck.Describe(document.RootElement);
    }
}
