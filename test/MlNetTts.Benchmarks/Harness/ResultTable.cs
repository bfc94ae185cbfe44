using System.Text;
using System.Text.Json;

namespace MlNetTts.Benchmarks.Harness;

/// <summary>A printed table of measurements that can also be written as JSON.</summary>
public sealed class ResultTable
{
    private readonly List<string[]> _rows = new();

    public ResultTable(string title, params string[] columns)
    {
        Title = title;
        Columns = columns;
    }

    public string Title { get; }

    public IReadOnlyList<string> Columns { get; }

    public IReadOnlyList<string[]> Rows => _rows;

    public void Add(params object[] cells)
    {
        if (cells.Length != Columns.Count)
            throw new ArgumentException($"Row has {cells.Length} cells; table '{Title}' has {Columns.Count} columns.", nameof(cells));
        _rows.Add(cells.Select(c => c switch
        {
            double d => d.ToString("G4", System.Globalization.CultureInfo.InvariantCulture),
            float f => f.ToString("G4", System.Globalization.CultureInfo.InvariantCulture),
            _ => Convert.ToString(c, System.Globalization.CultureInfo.InvariantCulture) ?? "",
        }).ToArray());
    }

    /// <summary>Markdown-style table, columns padded to width.</summary>
    public override string ToString()
    {
        var widths = Columns.Select((c, i) => Math.Max(c.Length, _rows.Count == 0 ? 0 : _rows.Max(r => r[i].Length))).ToArray();
        var sb = new StringBuilder().AppendLine($"## {Title}");
        sb.AppendLine("| " + string.Join(" | ", Columns.Select((c, i) => c.PadRight(widths[i]))) + " |");
        sb.AppendLine("|" + string.Join("|", widths.Select(w => new string('-', w + 2))) + "|");
        foreach (var row in _rows)
            sb.AppendLine("| " + string.Join(" | ", row.Select((c, i) => c.PadRight(widths[i]))) + " |");
        return sb.ToString();
    }

    /// <summary>
    /// The table plus when and where it was measured (UTC time, torch threads, cores, the 1/5/15-minute load average
    /// where /proc/loadavg exists): the machine is shared, so a regression check needs the load next to the figures.
    /// </summary>
    public string ToJson() => JsonSerializer.Serialize(new
    {
        title = Title,
        recordedUtc = DateTime.UtcNow.ToString("o", System.Globalization.CultureInfo.InvariantCulture),
        machine = Environment.MachineName,
        cores = Environment.ProcessorCount,
        torchThreads = TorchSharp.torch.get_num_threads(),
        loadAverage = LoadAverage(),
        columns = Columns,
        rows = _rows,
    }, new JsonSerializerOptions { WriteIndented = true });

    /// <summary>"1-min 5-min 15-min" from /proc/loadavg, or null where there is none.</summary>
    private static string? LoadAverage()
    {
        try
        {
            return File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : null;
        }
        catch (IOException)
        {
            return null;
        }
    }
}
