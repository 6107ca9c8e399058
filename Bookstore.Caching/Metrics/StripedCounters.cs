using System.Numerics;
using System.Runtime.InteropServices;

namespace Bookstore.Caching.Metrics;

/// <summary>
/// A fixed set of 64-bit counters, each split into one cache-line-sized stripe per processor (up to 16), so concurrent
/// L1 hits on different cores increment different cache lines. An increment is one uncontended interlocked add; a
/// read sums the stripes (reads happen at metric collection and on /cache/stats, not per request).
/// </summary>
internal sealed class StripedCounters
{
    private static readonly int Stripes = (int)BitOperations.RoundUpToPowerOf2((uint)Math.Clamp(Environment.ProcessorCount, 1, 16));

    private readonly PaddedCell[] _cells;

    public StripedCounters(int counters) => _cells = new PaddedCell[counters * Stripes];

    public void Increment(int counter) =>
        Interlocked.Increment(ref _cells[(counter * Stripes) + (Thread.GetCurrentProcessorId() & (Stripes - 1))].Value);

    public long Sum(int counter)
    {
        long sum = 0;
        foreach (ref var cell in _cells.AsSpan(counter * Stripes, Stripes))
        {
            sum += Interlocked.Read(ref cell.Value);
        }

        return sum;
    }

    /// <summary>One counter stripe alone on its 64-byte cache line.</summary>
    [StructLayout(LayoutKind.Explicit, Size = 64)]
    private struct PaddedCell
    {
        [FieldOffset(0)]
        public long Value;
    }
}
