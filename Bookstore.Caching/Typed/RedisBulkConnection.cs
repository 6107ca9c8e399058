using System.Buffers;
using System.Buffers.Text;
using System.Net;
using System.Net.Sockets;
using System.Text;
using StackExchange.Redis;

namespace Bookstore.Caching.Typed;

/// <summary>
/// A plain RESP2 connection that only bulk writes use, what Redis's documentation calls mass insertion: a batch's
/// commands are framed straight into one buffer and sent with one socket write, and the replies are read back as
/// counts of <c>+OK</c>, integers and errors. StackExchange.Redis spends a message, a task, a hand-over to its writer
/// and (with OpenTelemetry's Redis instrumentation) a profiled command and a span per SET; for a warming run of 10,000
/// entries that was most of the client's time. Same endpoint, user, password, client name (with <c>-bulk</c>) and
/// database as the service's multiplexer. One bulk write at a time; not thread-safe.
/// </summary>
internal sealed class RedisBulkConnection : IDisposable
{
    private const int ReadBufferSize = 16 * 1024;
    private static readonly byte[] CrLf = "\r\n"u8.ToArray();

    private readonly NetworkStream _stream;
    private readonly byte[] _read = new byte[ReadBufferSize];
    private readonly ArrayBufferWriter<byte> _value = new(1024);
    private int _readStart;
    private int _readEnd;

    private RedisBulkConnection(Socket socket, EndPoint endPoint)
    {
        _stream = new NetworkStream(socket, ownsSocket: true);
        EndPoint = endPoint;
    }

    /// <summary>The commands framed and not sent yet.</summary>
    public ArrayBufferWriter<byte> Output { get; } = new(128 * 1024);

    public EndPoint EndPoint { get; }

    /// <summary>
    /// Connects to <paramref name="endPoint"/> and authenticates as <paramref name="configuration"/> says, within its
    /// connect timeout. Plain TCP only: the caller uses the multiplexer where TLS or a tunnel is configured.
    /// </summary>
    /// <exception cref="IOException">Redis refused the login, the client name or the database.</exception>
    /// <exception cref="SocketException">No connection.</exception>
    /// <exception cref="OperationCanceledException">The connect timeout passed or <paramref name="cancellationToken"/> was cancelled.</exception>
    public static async Task<RedisBulkConnection> OpenAsync(EndPoint endPoint, ConfigurationOptions configuration, CancellationToken cancellationToken)
    {
        // An IP endpoint's own family (a host without IPv6 cannot open the dual-mode socket a host name needs).
        var socket = endPoint is IPEndPoint ip
            ? new Socket(ip.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true }
            : new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        RedisBulkConnection? connection = null;
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(configuration.ConnectTimeout);
            await socket.ConnectAsync(endPoint, timeout.Token).ConfigureAwait(false);
            connection = new RedisBulkConnection(socket, endPoint);

            var commands = new List<string[]>(3);
            if (configuration.Password is { } password)
            {
                commands.Add(configuration.User is { } user ? ["AUTH", user, password] : ["AUTH", password]);
            }

            if (!string.IsNullOrEmpty(configuration.ClientName))
            {
                commands.Add(["CLIENT", "SETNAME", configuration.ClientName + "-bulk"]);
            }

            if (configuration.DefaultDatabase is { } database and not 0)
            {
                commands.Add(["SELECT", database.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
            }

            foreach (var command in commands)
            {
                connection.WriteArrayHeader(command.Length);
                foreach (var part in command)
                {
                    connection.WriteBulk(part);
                }
            }

            await connection.FlushAsync(timeout.Token).ConfigureAwait(false);
            foreach (var command in commands)
            {
                var reply = await connection.ReadRepliesAsync(1, timeout.Token).ConfigureAwait(false);

                // The name only labels the connection in CLIENT LIST: an ACL that refuses it does not stop the writes.
                if (reply.Errors > 0 && command[0] != "CLIENT")
                {
                    // The error names the problem (WRONGPASS, NOPERM, ERR DB index...), never the password.
                    throw new IOException($"Redis refused the bulk connection's {command[0]}: {reply.FirstError}");
                }
            }

            return connection;
        }
        catch
        {
            if (connection is null)
            {
                socket.Dispose();
            }
            else
            {
                connection.Dispose();
            }

            throw;
        }
    }

    public void WriteArrayHeader(int count) => WriteHeader((byte)'*', count);

    public void WriteBulk(ReadOnlySpan<byte> value)
    {
        WriteLengthPrefix(value.Length);
        var span = Output.GetSpan(value.Length + 2);
        value.CopyTo(span);
        CrLf.CopyTo(span[value.Length..]);
        Output.Advance(value.Length + 2);
    }

    public void WriteBulk(string value)
    {
        var length = Encoding.UTF8.GetByteCount(value);
        WriteLengthPrefix(length);
        var span = Output.GetSpan(length + 2);
        Encoding.UTF8.GetBytes(value, span);
        CrLf.CopyTo(span[length..]);
        Output.Advance(length + 2);
    }

    public void WriteBulk(long value)
    {
        Span<byte> digits = stackalloc byte[20];
        Utf8Formatter.TryFormat(value, digits, out var length);
        WriteBulk(digits[..length]);
    }

    /// <summary>Frames the bytes <paramref name="encode"/> writes as one bulk string (their length is known only afterwards).</summary>
    public void WriteBulk<TState>(TState state, Action<TState, IBufferWriter<byte>> encode)
    {
        _value.ResetWrittenCount();
        encode(state, _value);
        WriteBulk(_value.WrittenSpan);
    }

    /// <summary>Sends what was framed.</summary>
    public async ValueTask FlushAsync(CancellationToken cancellationToken)
    {
        if (Output.WrittenCount > 0)
        {
            await _stream.WriteAsync(Output.WrittenMemory, cancellationToken).ConfigureAwait(false);
            Output.ResetWrittenCount();
        }
    }

    /// <summary>Reads the next <paramref name="count"/> replies, which must be simple strings, integers or errors.</summary>
    /// <exception cref="IOException">The connection closed, or a reply of another kind came.</exception>
    public async ValueTask<ReplyCounts> ReadRepliesAsync(int count, CancellationToken cancellationToken)
    {
        var counts = new ReplyCounts();
        var remaining = count;
        while (true)
        {
            remaining -= ParseAvailable(remaining, ref counts);
            if (remaining == 0)
            {
                return counts;
            }

            if (_readStart > 0)
            {
                _read.AsSpan(_readStart, _readEnd - _readStart).CopyTo(_read);
                _readEnd -= _readStart;
                _readStart = 0;
            }

            if (_readEnd == _read.Length)
            {
                throw new IOException($"A Redis reply line longer than {ReadBufferSize} bytes.");
            }

            var read = await _stream.ReadAsync(_read.AsMemory(_readEnd), cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                throw new IOException("Redis closed the bulk connection.");
            }

            _readEnd += read;
        }
    }

    public void Dispose() => _stream.Dispose();

    private void WriteLengthPrefix(int length) => WriteHeader((byte)'$', length);

    /// <summary>A RESP header line: <paramref name="marker"/>, the number in ASCII digits, CRLF.</summary>
    private void WriteHeader(byte marker, int number)
    {
        var span = Output.GetSpan(16);
        span[0] = marker;
        Utf8Formatter.TryFormat(number, span[1..], out var digits);
        CrLf.CopyTo(span[(1 + digits)..]);
        Output.Advance(digits + 3);
    }

    private int ParseAvailable(int max, ref ReplyCounts counts)
    {
        var parsed = 0;
        while (parsed < max)
        {
            var buffered = _read.AsSpan(_readStart, _readEnd - _readStart);
            var end = buffered.IndexOf(CrLf);
            if (end < 0)
            {
                break;
            }

            switch (buffered[0])
            {
                case (byte)'+':
                    counts.Ok++;
                    break;
                case (byte)':':
                    // PUBLISH's receiver count: an answer, neither a written entry nor an error.
                    break;
                case (byte)'-':
                    counts.Errors++;
                    counts.FirstError ??= Encoding.UTF8.GetString(buffered[1..end]);
                    break;
                default:
                    throw new IOException($"Unexpected Redis reply type '{(char)buffered[0]}' on the bulk connection.");
            }

            _readStart += end + 2;
            parsed++;
        }

        return parsed;
    }

    internal struct ReplyCounts
    {
        public int Ok;
        public int Errors;
        public string? FirstError;
    }
}
