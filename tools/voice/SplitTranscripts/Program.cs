// The default voice's corpus from every LJSpeech transcript, not only the short ones: a transcript longer than
// MAX_LENGTH characters is cut by the SentenceSplitter inference uses (sentence ends, then clause marks), so the
// teacher speaks, and the model learns, the pieces the bundled voice is later asked to speak.
// Reads NVIDIA's "path/<id>.wav|text" lines on stdin; writes "<id>\t<text>" lines (short transcripts whole,
// long ones as <id>-1, <id>-2, ...).
// Usage: dotnet run -c Release --project tools/voice/SplitTranscripts -- MAX_LENGTH < ljs_audio_text_train_filelist.txt
using System.Globalization;
using MlNetTts.Text;

if (args.Length != 1 || !int.TryParse(args[0], NumberStyles.None, CultureInfo.InvariantCulture, out var maxLength) || maxLength < 1)
{
    Console.Error.WriteLine("usage: SplitTranscripts MAX_LENGTH < FILELIST   (MAX_LENGTH: a positive number of characters)");
    return 2;
}
var splitter = new SentenceSplitter(new SentenceSplitterOptions { MaxLength = maxLength });
int lineNumber = 0;
for (var line = Console.ReadLine(); line is not null; line = Console.ReadLine())
{
    lineNumber++;
    var bar = line.IndexOf('|');
    if (bar < 0)
    {
        Console.Error.WriteLine($"SplitTranscripts: line {lineNumber} has no '|' (expected 'path/<id>.wav|text'): {line}");
        return 1;
    }
    var id = Path.GetFileNameWithoutExtension(line[..bar]);
    var text = line[(bar + 1)..].Split('|')[0].Trim();
    if (text.Length <= maxLength)
    {
        Console.WriteLine($"{id}\t{text}");
        continue;
    }
    var pieces = splitter.Split(text);
    for (int i = 0; i < pieces.Count; i++)
        Console.WriteLine($"{id}-{i + 1}\t{pieces[i]}");
}
return 0;
