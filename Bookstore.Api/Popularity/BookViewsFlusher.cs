using Microsoft.Extensions.Options;

namespace Bookstore.Api.Popularity;

/// <summary>
/// Sends the views <see cref="BookViews"/> counted to Redis every <see cref="PopularityOptions.ViewFlushInterval"/>
/// (on <see cref="TimeProvider"/>'s clock), and once more when the service stops.
/// </summary>
public sealed partial class BookViewsFlusher(BookViews views, TimeProvider time, IOptions<PopularityOptions> options, ILogger<BookViewsFlusher> logger)
    : BackgroundService
{
    /// <summary>How long the last flush may take when the service stops.</summary>
    private static readonly TimeSpan FinalFlushTimeout = TimeSpan.FromSeconds(2);

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(FinalFlushTimeout);
        try
        {
            await views.FlushAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            LogFinalFlushAbandoned(FinalFlushTimeout.TotalSeconds);
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.ViewFlushInterval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                await views.FlushAsync(stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping: StopAsync sends what is left.
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "The last book views were not sent: Redis did not answer within {Seconds} s of the stop")]
    private partial void LogFinalFlushAbandoned(double seconds);
}
