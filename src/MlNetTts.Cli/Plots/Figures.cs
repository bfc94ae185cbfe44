using MlNetTts.IO;
using ScottPlot;

namespace MlNetTts.Cli.Plots;

/// <summary>
/// The PNG figures of mlnet-tts (ScottPlot, rendered with SkiaSharp; no display or fonts package needed): mel
/// spectrogram, attention alignment, loss curves. Files are written atomically.
/// </summary>
internal static class Figures
{
    /// <summary>Default figure size in pixels.</summary>
    public const int Width = 1000, Height = 500;

    /// <summary>A log-mel [channel, frame] as a heat map, low channels at the bottom.</summary>
    public static void Mel(string path, float[,] mel, string title)
    {
        var plot = new Plot();
        var map = plot.Add.Heatmap(ToDouble(mel));
        map.Colormap = new ScottPlot.Colormaps.Viridis();
        map.FlipVertically = true;
        plot.Add.ColorBar(map).Label = "log magnitude";
        plot.Title(title);
        plot.XLabel("frame");
        plot.YLabel("mel channel");
        plot.Axes.Margins(0, 0);
        Save(plot, path);
    }

    /// <summary>Attention weights [decoder step, encoder step], drawn with decoder steps along x (the usual alignment picture).</summary>
    public static void Alignment(string path, float[,] alignment, string title)
    {
        int steps = alignment.GetLength(0), inputs = alignment.GetLength(1);
        var transposed = new double[inputs, steps];
        for (int t = 0; t < steps; t++)
            for (int i = 0; i < inputs; i++)
                transposed[i, t] = alignment[t, i];
        var plot = new Plot();
        var map = plot.Add.Heatmap(transposed);
        map.Colormap = new ScottPlot.Colormaps.Viridis();
        map.FlipVertically = true;
        plot.Add.ColorBar(map).Label = "attention weight";
        plot.Title(title);
        plot.XLabel("decoder step");
        plot.YLabel("encoder step (symbol)");
        plot.Axes.Margins(0, 0);
        Save(plot, path);
    }

    /// <summary>Training loss per step as a line, validation loss as points joined by a line.</summary>
    public static void Loss(string path, LossLog log, string title)
    {
        var plot = new Plot();
        var train = log.Rows.Where(r => r.TrainLoss is not null).ToList();
        var validation = log.Rows.Where(r => r.ValidationLoss is not null).ToList();
        if (train.Count > 0)
        {
            var line = plot.Add.Scatter(train.Select(r => (double)r.Step).ToArray(), train.Select(r => r.TrainLoss!.Value).ToArray());
            line.LegendText = "training loss";
            line.MarkerSize = train.Count == 1 ? 6 : 0;
        }
        if (validation.Count > 0)
        {
            var points = plot.Add.Scatter(validation.Select(r => (double)r.Step).ToArray(), validation.Select(r => r.ValidationLoss!.Value).ToArray());
            points.LegendText = "validation loss";
            points.MarkerSize = 6;
        }
        plot.ShowLegend();
        plot.Title(title);
        plot.XLabel("step");
        plot.YLabel("loss");
        Save(plot, path);
    }

    private static void Save(Plot plot, string path)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(path));
        if (directory is not null) Directory.CreateDirectory(directory);
        AtomicFile.WriteAllBytes(path, plot.GetImageBytes(Width, Height, ImageFormat.Png));
    }

    private static double[,] ToDouble(float[,] values)
    {
        var result = new double[values.GetLength(0), values.GetLength(1)];
        for (int r = 0; r < values.GetLength(0); r++)
            for (int c = 0; c < values.GetLength(1); c++)
                result[r, c] = values[r, c];
        return result;
    }
}
