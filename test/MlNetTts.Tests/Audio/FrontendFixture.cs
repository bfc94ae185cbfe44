using System.Globalization;
using System.Text.RegularExpressions;
using MlNetTts.Tests.Fixtures;

namespace MlNetTts.Tests.Audio;

/// <summary>
/// The audio front end's configuration as the fixture manifest states it. The manifest records the
/// TacotronSTFT arguments only in the description of <c>frontend.mel</c>
/// ("TacotronSTFT(filter, hop, win, N mels, rate, fmin F, fmax F)") and the second filter bank's fmax in
/// its description ("... fmax=F ..."); they are read from there so another fixture set's values are used.
/// </summary>
internal sealed record FrontendFixture(int FilterLength, int HopLength, int WinLength, int MelChannels, int SampleRate, double FMin, double FMax)
{
    public const string Audio = "frontend.audio_3s";
    public const string Mel = "frontend.mel";
    public const string Magnitude = "frontend.stft_magnitude";
    public const string MelBasis = "frontend.mel_basis";
    public const string MelBasisOtherFMax = "frontend.mel_basis_fmax7000";
    public const string Window = "frontend.hann_window";

    private static readonly Lazy<FrontendFixture> Shared = new(Read);

    public static FrontendFixture Current => Shared.Value;

    /// <summary>fmax of the second filter bank (<see cref="MelBasisOtherFMax"/>), from its description.</summary>
    public static double OtherFMax
    {
        get
        {
            var description = ReferenceFixtures.Current.TensorEntry(MelBasisOtherFMax).GetProperty("description").GetString()!;
            var match = Regex.Match(description, @"fmax\s*=\s*([0-9.]+)");
            Assert.IsTrue(match.Success, $"cannot read fmax from the description of {MelBasisOtherFMax}: '{description}'");
            return double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
        }
    }

    private static FrontendFixture Read()
    {
        var description = ReferenceFixtures.Current.TensorEntry(Mel).GetProperty("description").GetString()!;
        var match = Regex.Match(description,
            @"TacotronSTFT\(\s*(\d+)\s*,\s*(\d+)\s*,\s*(\d+)\s*,\s*(\d+)\s*mels\s*,\s*(\d+)\s*,\s*fmin\s*([0-9.]+)\s*,\s*fmax\s*([0-9.]+)\s*\)");
        Assert.IsTrue(match.Success, $"cannot read the TacotronSTFT arguments from the description of {Mel}: '{description}'");
        int Int(int g) => int.Parse(match.Groups[g].Value, CultureInfo.InvariantCulture);
        double Real(int g) => double.Parse(match.Groups[g].Value, CultureInfo.InvariantCulture);
        return new FrontendFixture(Int(1), Int(2), Int(3), Int(4), Int(5), Real(6), Real(7));
    }
}
