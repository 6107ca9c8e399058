using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using Bookstore.Caching.Connection;

namespace Bookstore.Tests.Support;

/// <summary>
/// Records the <c>bookstore.redis.connection.events</c> of one service instance (those of its meter factory, so other
/// hosts in the process do not count), each with its <c>event</c> (failed, restored, stalled, …) and the time on
/// <paramref name="clock"/>.
/// </summary>
internal sealed class ConnectionEventListener : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly ConcurrentQueue<(TimeSpan At, string Event)> _events = new();

    public ConnectionEventListener(IMeterFactory scope, Stopwatch clock)
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == RedisConnectionManager.MeterName && instrument.Name == "bookstore.redis.connection.events" && instrument.Meter.Scope == scope)
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((_, _, tags, _) =>
        {
            foreach (var tag in tags)
            {
                if (tag.Key == "event" && tag.Value is string name)
                {
                    _events.Enqueue((clock.Elapsed, name));
                }
            }
        });
        _listener.Start();
    }

    public IReadOnlyList<(TimeSpan At, string Event)> Events => [.. _events];

    /// <summary>When the service took Redis as not answering (a call or a PING past its timeout).</summary>
    public IEnumerable<TimeSpan> Stalls => _events.Where(e => e.Event == "stalled").Select(e => e.At);

    public void Dispose() => _listener.Dispose();
}
