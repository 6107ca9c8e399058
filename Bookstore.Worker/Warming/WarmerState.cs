using System.Text.Json.Serialization;

namespace Bookstore.Worker.Warming;

[JsonConverter(typeof(JsonStringEnumConverter<WarmingPhase>))]
public enum WarmingPhase
{
    Starting,
    Warming,
    Ready,
    Degraded,
}

/// <summary>The warmer's progress, read by <c>GET /warming</c>, the health check and the logs.</summary>
public sealed record WarmingStatus(
    WarmingPhase Phase,
    int Runs,
    int LastWarmed,
    int LastFailed,
    double LastDurationSeconds,
    double LastItemsPerSecond,
    DateTimeOffset? LastCompletedAt,
    string? LastError,
    IReadOnlyList<int> LastBookIds)
{
    /// <summary>Readers whose recommendations the last run wrote (those it could not are counted in <see cref="LastRecommendationsFailed"/>).</summary>
    public IReadOnlyList<int> LastUserIds { get; init; } = [];

    /// <summary>Recommendation lists the last run could not write.</summary>
    public int LastRecommendationsFailed { get; init; }

    /// <summary>How long the last run's books took to fetch from the catalog API (request to the array cut into books).</summary>
    public double LastFetchSeconds { get; init; }

    /// <summary>How long the last run's books took to write, from the first write to the last one Redis acknowledged.</summary>
    public double LastWriteSeconds { get; init; }
}

public sealed class WarmerState
{
    private WarmingStatus _status = new(WarmingPhase.Starting, 0, 0, 0, 0, 0, null, null, []);

    public WarmingStatus Current => Volatile.Read(ref _status);

    internal void Set(WarmingStatus status) => Volatile.Write(ref _status, status);
}
