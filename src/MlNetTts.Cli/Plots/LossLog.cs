using System.Globalization;

namespace MlNetTts.Cli.Plots;

/// <summary>
/// A training log as <c>plot loss</c> reads it: CSV with the header <c>step,epoch,train_loss,val_loss</c> (columns
/// found by name, in any order; extra columns ignored), one row per logged step; an empty cell means "not measured at
/// this step" (validation usually runs once per epoch). Numbers use '.' as decimal separator.
/// </summary>
internal sealed record LossLog(IReadOnlyList<LossLog.Row> Rows)
{
    /// <summary>Required header columns.</summary>
    public static readonly string[] Columns = ["step", "epoch", "train_loss", "val_loss"];

    /// <summary>One logged step.</summary>
    public sealed record Row(long Step, double? Epoch, double? TrainLoss, double? ValidationLoss);

    /// <summary>Reads <paramref name="path"/>.</summary>
    /// <exception cref="InvalidDataException">A column is missing or a cell is not a number; the message names file and line.</exception>
    public static LossLog Read(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such loss log.", path);
        var lines = File.ReadAllLines(path);
        if (lines.Length == 0) throw new InvalidDataException($"{path}: empty; expected the header '{string.Join(",", Columns)}'.");
        var header = lines[0].Split(',').Select(h => h.Trim().ToLowerInvariant()).ToList();
        var index = Columns.ToDictionary(c => c, c => header.IndexOf(c));
        var missing = index.Where(kv => kv.Value < 0).Select(kv => kv.Key).ToList();
        if (missing.Count > 0)
            throw new InvalidDataException($"{path}: the header lacks {string.Join(", ", missing)}; expected '{string.Join(",", Columns)}'.");
        var rows = new List<Row>();
        for (int i = 1; i < lines.Length; i++)
        {
            if (lines[i].Trim().Length == 0) continue;
            var cells = lines[i].Split(',');
            double? Cell(string column)
            {
                int at = index[column];
                string text = at < cells.Length ? cells[at].Trim() : "";
                if (text.Length == 0) return null;
                if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double value))
                    throw new InvalidDataException($"{path}, line {i + 1}: {column} '{text}' is not a number.");
                return value;
            }
            var step = Cell("step") ?? throw new InvalidDataException($"{path}, line {i + 1}: no step.");
            rows.Add(new Row((long)step, Cell("epoch"), Cell("train_loss"), Cell("val_loss")));
        }
        if (rows.Count == 0) throw new InvalidDataException($"{path}: no rows after the header.");
        return new LossLog(rows);
    }
}
