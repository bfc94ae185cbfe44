namespace MlNetTts.Text;

/// <summary>
/// The reference's english_cleaners (tacotron2/text/cleaners.py), the text normalisation every
/// NVIDIA Tacotron 2 checkpoint was trained with: NVIDIA's transliteration to ASCII, lower case,
/// number expansion, abbreviation expansion, whitespace collapse (runs become one space; the ends
/// are not trimmed).
/// </summary>
public static class EnglishCleaners
{
    /// <summary>english_cleaners(text).</summary>
    public static string Clean(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        text = Unidecoder.Transliterate(text);
        text = text.ToLowerInvariant(); // ASCII by now, where this equals Python's str.lower()
        text = NumberNormalizer.Normalize(text);
        text = Abbreviations.Expand(text);
        return PythonText.CollapseWhitespace(text);
    }
}
