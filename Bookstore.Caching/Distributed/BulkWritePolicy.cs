namespace Bookstore.Caching.Distributed;

/// <summary>
/// How <c>ICacheService.SetManyAsync</c> sends many entries to Redis: <see cref="BatchSize"/> writes started together
/// (the multiplexer pipelines them), up to <see cref="BatchesInFlight"/> batches unanswered, and a pause before the next
/// batch while Redis answers slowly or refuses entries, so a warming run yields to the service's reads. Register your
/// own instance to change it (<c>services.AddSingleton(new BulkWritePolicy { ... })</c>); <see cref="Default"/> otherwise.
/// </summary>
public sealed class BulkWritePolicy
{
    /// <summary>256 entries a batch, 4 batches in flight, slow at 50 ms, 100 ms after a refusal, at most 1 s.</summary>
    public static BulkWritePolicy Default { get; } = new();

    /// <summary>Entries started together and answered as one batch.</summary>
    public int BatchSize { get; init; } = 256;

    /// <summary>Batches sent before the oldest one's replies are awaited.</summary>
    public int BatchesInFlight { get; init; } = 4;

    /// <summary>
    /// Waiting this long or longer for a batch's replies is Redis under pressure (with four in flight the wait is normally
    /// well under a millisecond to a few): the next batch then waits as long as this one did.
    /// </summary>
    public TimeSpan SlowBatch { get; init; } = TimeSpan.FromMilliseconds(50);

    /// <summary>The least pause after a batch with refused entries (out of memory, say).</summary>
    public TimeSpan PauseAfterRefusal { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>The longest pause between two batches.</summary>
    public TimeSpan MaxPause { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// The pause before the next batch, given how long the writer waited for this one's replies and whether Redis refused
    /// any of its entries; <see cref="TimeSpan.Zero"/> when Redis kept up.
    /// </summary>
    public TimeSpan PauseAfter(TimeSpan wait, bool refused)
    {
        if (wait < SlowBatch && !refused)
        {
            return TimeSpan.Zero;
        }

        var pause = refused && wait < PauseAfterRefusal ? PauseAfterRefusal : wait;
        return pause > MaxPause ? MaxPause : pause;
    }

    /// <summary>Throws when a setting makes no sense (checked once, when the writer is built).</summary>
    internal void Validate()
    {
        if (BatchSize < 1 || BatchesInFlight < 1 || SlowBatch < TimeSpan.Zero || PauseAfterRefusal < TimeSpan.Zero || MaxPause < TimeSpan.Zero)
        {
            throw new InvalidOperationException(
                $"BulkWritePolicy needs BatchSize and BatchesInFlight of at least 1 and no negative time (got {BatchSize}, {BatchesInFlight}).");
        }
    }
}
