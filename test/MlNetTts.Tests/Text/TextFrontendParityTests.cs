using System.Text.Json;
using MlNetTts.Tests.Fixtures;
using MlNetTts.Text;

namespace MlNetTts.Tests.Text;

/// <summary>
/// Every sentence of the fixture set's text_frontend.json (NVIDIA's english_cleaners,
/// text_to_sequence and sequence_to_text): cleaned text, ids and the text of the ids must match
/// exactly. The sentences, and how many there are, come from the manifest.
/// </summary>
[TestClass]
public sealed class TextFrontendParityTests
{
    private static JsonElement Frontend()
    {
        var fixtures = ReferenceFixtures.Current;
        var file = fixtures.Section("text_frontend").GetProperty("file").GetString()!;
        using var stream = File.OpenRead(fixtures.PathOf(file));
        return JsonDocument.Parse(stream).RootElement.Clone();
    }

    private static IReadOnlyList<JsonElement> Items()
    {
        var items = Frontend().GetProperty("items").EnumerateArray().ToList();
        var expected = ReferenceFixtures.Current.Section("text_frontend").GetProperty("count").GetInt32();
        Assert.HasCount(expected, items, "text_frontend.json holds another number of sentences than the manifest says");
        return items;
    }

    private static void AssertAllMatch(string what, Func<JsonElement, string?> mismatch)
    {
        var items = Items();
        var failures = items.Select(mismatch).Where(f => f is not null).ToList();
        Assert.IsEmpty(failures, $"{what}: {items.Count - failures.Count}/{items.Count} match.\n" + string.Join("\n", failures));
    }

    [TestMethod]
    [TestCategory("Parity")]
    public void SymbolTableIsTheReferenceTableInOrder()
    {
        var frontend = Frontend();
        var reference = frontend.GetProperty("symbols").EnumerateArray().Select(s => s.GetString()!).ToList();
        Assert.AreEqual(frontend.GetProperty("n_symbols").GetInt32(), Symbols.Count);
        CollectionAssert.AreEqual(reference, Symbols.All.ToList());
    }

    [TestMethod]
    [TestCategory("Parity")]
    public void EnglishCleanersMatchesTheReferenceOnEverySentence() =>
        AssertAllMatch("cleaned text", item =>
        {
            var text = item.GetProperty("text").GetString()!;
            var expected = item.GetProperty("cleaned").GetString()!;
            var actual = EnglishCleaners.Clean(text);
            return actual == expected ? null : $"  {JsonSerializer.Serialize(text)}\n    expected {JsonSerializer.Serialize(expected)}\n    actual   {JsonSerializer.Serialize(actual)}";
        });

    [TestMethod]
    [TestCategory("Parity")]
    public void TextToSequenceMatchesTheReferenceOnEverySentence() =>
        AssertAllMatch("ids", item =>
        {
            var text = item.GetProperty("text").GetString()!;
            var expected = item.GetProperty("ids").EnumerateArray().Select(i => i.GetInt32()).ToArray();
            var actual = TextEncoder.TextToSequence(text);
            return actual.SequenceEqual(expected) ? null : $"  {JsonSerializer.Serialize(text)}\n    expected [{string.Join(",", expected)}]\n    actual   [{string.Join(",", actual)}]";
        });

    [TestMethod]
    [TestCategory("Parity")]
    public void SequenceToTextMatchesTheReferenceOnEverySentence() =>
        AssertAllMatch("sequence_to_text", item =>
        {
            var ids = item.GetProperty("ids").EnumerateArray().Select(i => i.GetInt32()).ToArray();
            var expected = item.GetProperty("sequence_to_text").GetString()!;
            var actual = TextEncoder.SequenceToText(ids);
            return actual == expected ? null : $"  ids [{string.Join(",", ids)}]\n    expected {JsonSerializer.Serialize(expected)}\n    actual   {JsonSerializer.Serialize(actual)}";
        });

    [TestMethod]
    [TestCategory("Parity")]
    public void UnderscoreQuirkItemsDifferOnlyByThePadIdsWeDrop()
    {
        // The generator's Python kept '_' (identity-comparison quirk); 'ids' is the intended output.
        // Where both are given, removing the pad ids from the quirky list must give ours.
        foreach (var item in Items())
        {
            if (!item.TryGetProperty("ids_if_underscore_kept", out var kept)) continue;
            var withoutPad = kept.EnumerateArray().Select(i => i.GetInt32()).Where(id => id != Symbols.PadId).ToArray();
            CollectionAssert.AreEqual(withoutPad, TextEncoder.TextToSequence(item.GetProperty("text").GetString()!));
        }
    }
}
