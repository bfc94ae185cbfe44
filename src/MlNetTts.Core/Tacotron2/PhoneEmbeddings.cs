using MlNetTts.Text;
using static TorchSharp.torch;

namespace MlNetTts.Tacotron2;

/// <summary>
/// A starting point for the ARPAbet symbols of a model trained on letters only, whose phone embeddings never received
/// a gradient: each phone's row becomes the mean of the rows of the letters that usually spell it (N from "n", SH from
/// "s" and "h", EY from "a"; stress variants alike). Before fine-tuning on text transcribed with a pronunciation
/// dictionary, the encoder then reads a phone much as it read its spelling, instead of as noise.
/// </summary>
public static class PhoneEmbeddings
{
    /// <summary>The letters that most often spell each phone (without its stress digit), in American English.</summary>
    public static IReadOnlyDictionary<string, string> Spellings { get; } = new Dictionary<string, string>
    {
        ["AA"] = "o", ["AE"] = "a", ["AH"] = "ua", ["AO"] = "o", ["AW"] = "ow", ["AY"] = "i", ["B"] = "b", ["CH"] = "ch",
        ["D"] = "d", ["DH"] = "th", ["EH"] = "e", ["ER"] = "er", ["EY"] = "a", ["F"] = "f", ["G"] = "g", ["HH"] = "h",
        ["IH"] = "i", ["IY"] = "e", ["JH"] = "j", ["K"] = "k", ["L"] = "l", ["M"] = "m", ["N"] = "n", ["NG"] = "ng",
        ["OW"] = "o", ["OY"] = "oy", ["P"] = "p", ["R"] = "r", ["S"] = "s", ["SH"] = "sh", ["T"] = "t", ["TH"] = "th",
        ["UH"] = "u", ["UW"] = "u", ["V"] = "v", ["W"] = "w", ["Y"] = "y", ["Z"] = "z", ["ZH"] = "s",
    };

    /// <summary>Sets every ARPAbet row of <paramref name="model"/>'s symbol embedding from its <see cref="Spellings"/>; the letters' rows are unchanged.</summary>
    public static void FromLetters(Tacotron2Model model)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (model.Config.SymbolCount != Symbols.Count)
            throw new ArgumentException($"The model has {model.Config.SymbolCount} symbols; phone embeddings need the reference's {Symbols.Count} (letters and ARPAbet).", nameof(model));
        var weight = model.named_parameters().Single(p => p.name == "embedding.weight").parameter;
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        foreach (var phone in Symbols.ArpabetPhones)
        {
            var letters = Spellings[phone.TrimEnd('0', '1', '2')];
            var rows = tensor(letters.Select(c => (long)Symbols.IdOf(c.ToString())).ToArray(), device: weight.device);
            weight[Symbols.IdOf(Symbols.ArpabetPrefix + phone)].copy_(weight.index_select(0, rows).mean([0]));
        }
    }
}
