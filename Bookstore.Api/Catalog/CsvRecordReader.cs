using System.Text;

namespace Bookstore.Api.Catalog;

/// <summary>One CSV record and the physical line it starts on (1-based; the header is line 1).</summary>
public readonly record struct CsvRecord(int Line, IReadOnlyList<string> Fields);

/// <summary>
/// An RFC 4180 reader: comma-separated fields, double-quoted fields may hold commas, line breaks and doubled quotes.
/// Accepts LF and CRLF. A quote that is never closed ends the input with a <see cref="FormatException"/> naming its line.
/// </summary>
public sealed class CsvRecordReader(TextReader reader)
{
    private readonly StringBuilder _field = new();
    private int _line = 1;

    public async IAsyncEnumerable<CsvRecord> ReadAllAsync([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var buffer = new char[16 * 1024];
        var fields = new List<string>();
        var inQuotes = false;
        var quoteJustClosed = false;
        var recordLine = 1;
        var recordHasContent = false;
        var pendingCr = false;
        int read;
        while ((read = await reader.ReadAsync(buffer.AsMemory(), cancellationToken)) > 0)
        {
            for (var i = 0; i < read; i++)
            {
                var c = buffer[i];
                if (pendingCr)
                {
                    pendingCr = false;
                    if (c == '\n')
                    {
                        continue;
                    }
                }

                if (inQuotes)
                {
                    if (c == '"')
                    {
                        inQuotes = false;
                        quoteJustClosed = true;
                    }
                    else
                    {
                        if (c == '\n' || c == '\r')
                        {
                            _line++;
                            pendingCr = c == '\r';
                            c = '\n';
                        }

                        _field.Append(c);
                    }

                    continue;
                }

                switch (c)
                {
                    case '"' when quoteJustClosed:
                        // A doubled quote inside a quoted field.
                        _field.Append('"');
                        inQuotes = true;
                        quoteJustClosed = false;
                        break;
                    case '"' when _field.Length == 0:
                        inQuotes = true;
                        recordHasContent = true;
                        break;
                    case ',':
                        fields.Add(_field.ToString());
                        _field.Clear();
                        quoteJustClosed = false;
                        recordHasContent = true;
                        break;
                    case '\r' or '\n':
                        pendingCr = c == '\r';
                        if (recordHasContent || _field.Length > 0)
                        {
                            fields.Add(_field.ToString());
                            yield return new CsvRecord(recordLine, fields.ToArray());
                        }

                        fields.Clear();
                        _field.Clear();
                        quoteJustClosed = false;
                        recordHasContent = false;
                        _line++;
                        recordLine = _line;
                        break;
                    default:
                        // A character after a closing quote or a stray quote mid-field is kept as text: lenient, and the row's validation decides.
                        _field.Append(c);
                        quoteJustClosed = false;
                        recordHasContent = true;
                        break;
                }
            }
        }

        if (inQuotes)
        {
            throw new FormatException($"Line {recordLine}: a quoted field is never closed.");
        }

        if (recordHasContent || _field.Length > 0)
        {
            fields.Add(_field.ToString());
            yield return new CsvRecord(recordLine, fields.ToArray());
        }
    }
}
