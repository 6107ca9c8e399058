using System.Text;
using Microsoft.Extensions.Hosting;
using StackExchange.Redis;

namespace Bookstore.Caching.Backplane;

/// <summary>
/// The pub/sub channel on which a bulk write tells every other process which keys it just wrote, so they drop their L1
/// copies: one message per batch (a source id line, then one key per line) instead of FusionCache's one backplane message
/// per entry, which would double the commands of a warming run and make every subscriber decode one message per entry.
/// Read by <see cref="L1DropSubscriber"/>; the message carries this process's id so it ignores its own.
/// </summary>
public sealed class L1DropChannel(IConnectionMultiplexer connection)
{
    /// <summary>Under the backplane prefix, which the app user's ACL grants.</summary>
    public const string Name = BookstoreCachingExtensions.BackplaneChannelPrefix + ":bulk-set";

    public static readonly RedisChannel Channel = RedisChannel.Literal(Name);

    /// <summary>This process's id in its messages.</summary>
    public string SourceId { get; } = Guid.NewGuid().ToString("N");

    /// <summary>
    /// Publishes <paramref name="keys"/>. Fire and forget, as FusionCache's own background backplane notifications are:
    /// a lost message leaves another process's copy until its L1 duration ends.
    /// </summary>
    public void Publish(IReadOnlyList<string> keys)
    {
        if (keys.Count == 0)
        {
            return;
        }

        var message = new StringBuilder(SourceId, SourceId.Length + (keys.Count * 32));
        foreach (var key in keys)
        {
            message.Append('\n').Append(key);
        }

        _ = connection.GetSubscriber().PublishAsync(Channel, message.ToString(), CommandFlags.FireAndForget);
    }

    /// <summary>The keys of a message another process sent; none for this process's own or an empty message.</summary>
    public IEnumerable<string> KeysOf(string? message)
    {
        if (string.IsNullOrEmpty(message))
        {
            yield break;
        }

        var firstLineEnd = message.IndexOf('\n');
        var source = firstLineEnd < 0 ? message : message[..firstLineEnd];
        if (firstLineEnd < 0 || source == SourceId)
        {
            yield break;
        }

        foreach (var key in message[(firstLineEnd + 1)..].Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            yield return key;
        }
    }
}
