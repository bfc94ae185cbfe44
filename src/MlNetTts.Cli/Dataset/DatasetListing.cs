namespace MlNetTts.Cli.Dataset;

/// <summary>The clips of a dataset listing and the problems found while reading it.</summary>
/// <param name="Layout">LJSpeech or file list.</param>
/// <param name="ListingPath">The metadata.csv or file list read.</param>
/// <param name="Entries">Well-formed lines, in file order.</param>
/// <param name="Problems">Malformed lines and duplicate ids.</param>
internal sealed record DatasetListing(DatasetLayout Layout, string ListingPath, IReadOnlyList<DatasetEntry> Entries, IReadOnlyList<DatasetProblem> Problems)
{
    /// <summary>
    /// Reads a dataset: a folder with <c>metadata.csv</c> and <c>wavs/</c> (LJSpeech), a <c>metadata.csv</c> file, or a
    /// NVIDIA file list (<c>path|text</c>, first field ending in .wav) whose paths are relative to <paramref name="audioRoot"/>.
    /// </summary>
    /// <exception cref="FileNotFoundException">Neither a listing file nor a folder with metadata.csv.</exception>
    public static DatasetListing Read(string path, string? audioRoot)
    {
        string listing = Directory.Exists(path) ? Path.Combine(path, "metadata.csv") : path;
        if (!File.Exists(listing))
            throw new FileNotFoundException(Directory.Exists(path)
                ? $"{path}: not an LJSpeech folder (no metadata.csv in it)."
                : $"{path}: no such dataset listing (give an LJSpeech folder, its metadata.csv, or a 'path|text' file list).", listing);
        string[] lines = File.ReadAllLines(listing);
        var first = lines.FirstOrDefault(l => l.Trim().Length > 0) ?? "";
        bool fileList = first.Split('|')[0].Trim().EndsWith(".wav", StringComparison.OrdinalIgnoreCase);
        var layout = fileList ? DatasetLayout.FileList : DatasetLayout.LjSpeech;
        string root = fileList
            ? Path.GetFullPath(audioRoot ?? Directory.GetCurrentDirectory())
            : Path.GetFullPath(audioRoot ?? Path.Combine(Path.GetDirectoryName(Path.GetFullPath(listing))!, "wavs"));

        var entries = new List<DatasetEntry>();
        var problems = new List<DatasetProblem>();
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < lines.Length; i++)
        {
            int lineNo = i + 1;
            string line = lines[i].TrimEnd('\r');
            if (line.Trim().Length == 0) continue;
            string[] fields = line.Split('|');
            if (fields.Length < 2 || fields[0].Trim().Length == 0)
            {
                problems.Add(new DatasetProblem(ProblemKinds.MalformedLine, ProblemSeverity.Error, lineNo, null, listing,
                    fileList ? "expected 'audio path|text'" : "expected 'id|text|normalized text'"));
                continue;
            }
            string first0 = fields[0].Trim();
            string id = fileList ? Path.GetFileNameWithoutExtension(first0) : first0;
            string audio = fileList ? Path.GetFullPath(Path.Combine(root, first0)) : Path.Combine(root, first0 + ".wav");
            // LJSpeech: the normalized column (numbers spelled out) when present, else the raw text.
            string text = !fileList && fields.Length >= 3 && fields[2].Trim().Length > 0 ? fields[2] : fields[1];
            if (seen.TryGetValue(id, out int firstLine))
            {
                problems.Add(new DatasetProblem(ProblemKinds.DuplicateId, ProblemSeverity.Error, lineNo, id, listing, $"id '{id}' already listed on line {firstLine}"));
                continue;
            }
            seen[id] = lineNo;
            entries.Add(new DatasetEntry(lineNo, id, audio, text));
        }
        return new DatasetListing(layout, Path.GetFullPath(listing), entries, problems);
    }
}
