using MlNetTts.Nn;
using static TorchSharp.torch;

namespace MlNetTts.Audio;

/// <summary>
/// Unsharp masking of a log-mel along time: <c>mel + amount * (mel - smooth(mel))</c>, where smooth is the
/// [1/4, 1/2, 1/4] moving average of each channel over neighbouring frames (edge frames repeated; silence, such as
/// the pause between two sentences, is an edge too). A small
/// Tacotron 2 predicts mels whose frame-to-frame changes are smaller than its teacher's (the bundled voice's:
/// 12% under the teacher's own mels after Griffin-Lim); restoring that contrast before Griffin-Lim makes it easier
/// to understand. Slow changes and each channel's level are kept: a constant or linearly changing channel is
/// unchanged; the fastest alternation (frame to frame) is scaled by 1 + amount.
/// </summary>
/// <remarks>Not part of NVIDIA's inference: amount 0 (the default everywhere) leaves the mel untouched.</remarks>
public static class MelSharpening
{
    /// <summary>
    /// The sharpened log-mel, (mels, frames) or (batch, mels, frames), same dtype and device; with
    /// <paramref name="amount"/> 0, or fewer than 3 frames, <paramref name="logMel"/> itself. Every frame of the
    /// input counts, so pass a batch item cut to its own length, not its padding.
    /// </summary>
    public static Tensor Apply(Tensor logMel, double amount)
    {
        ArgumentNullException.ThrowIfNull(logMel);
        Check(amount, nameof(amount));
        TensorCheck.Floating(logMel, nameof(logMel));
        if (logMel.dim() is not (2 or 3))
            throw new ArgumentException($"MelSharpening: the log-mel must be (mels, frames) or (batch, mels, frames); got {TensorCheck.Describe(logMel)}.", nameof(logMel));
        if (amount == 0 || logMel.shape[^1] < 3) return logMel;

        using var scope = NewDisposeScope();
        var frames = logMel.shape[^1];
        // Centre frame minus the mean of its two neighbours is 2 x (mel - smooth(mel)); edges repeat their own frame.
        var previous = cat([logMel.narrow(-1, 0, 1), logMel.narrow(-1, 0, frames - 1)], -1);
        var next = cat([logMel.narrow(-1, 1, frames - 1), logMel.narrow(-1, frames - 1, 1)], -1);
        // Silence (every channel at the front end's floor, as the pause TextSynthesizer puts between sentences) is
        // an edge too: speech next to it repeats its own frame, and it stays silent. Sharpened against the floor, the
        // first and last frame of each sentence would jump (amount 1.5: about e^(0.75 x 3.75), 16 times louder) and click.
        var silent = (logMel <= MelSpectrogram.SilenceLogMel + 1e-3f).all(-2, keepdim: true);
        var none = zeros_like(silent.narrow(-1, 0, 1));
        previous = where(cat([none, silent.narrow(-1, 0, frames - 1)], -1), logMel, previous);
        next = where(cat([silent.narrow(-1, 1, frames - 1), none], -1), logMel, next);
        var detail = where(silent, zeros_like(logMel), logMel - (previous + next) * 0.5);
        return (logMel + detail * (amount / 2)).MoveToOuterDisposeScope();
    }

    /// <summary>Whether <paramref name="amount"/> is a finite number &gt;= 0 (0 = off).</summary>
    public static bool IsValidAmount(double amount) => amount >= 0 && !double.IsInfinity(amount);

    /// <summary>Throws unless <paramref name="amount"/> is a finite number &gt;= 0, naming <paramref name="name"/>.</summary>
    public static void Check(double amount, string name)
    {
        if (!IsValidAmount(amount))
            throw new ArgumentOutOfRangeException(name, amount, "mel sharpening must be a finite number >= 0 (0 = off).");
    }
}
