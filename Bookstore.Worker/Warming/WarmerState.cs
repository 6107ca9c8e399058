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
    IReadOnlyList<int> LastBookIds);

public sealed class WarmerState
{
    private WarmingStatus _status = new(WarmingPhase.Starting, 0, 0, 0, 0, 0, null, null, []);

    public WarmingStatus Current => Volatile.Read(ref _status);

    internal void Set(WarmingStatus status) => Volatile.Write(ref _status, status);
}
