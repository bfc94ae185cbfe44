using MlNetTts.Tests.Fixtures;

namespace MlNetTts.Tests.Cli;

/// <summary>The reference fixture checkpoints, found through the manifest (no file name or size hard-coded here).</summary>
internal static class CliFixtures
{
    public static string Tacotron2Checkpoint => Checkpoint("tacotron2");

    public static string WaveGlowCheckpoint => Checkpoint("waveglow");

    public static int Tacotron2MelChannels => Config("tacotron2").GetProperty("n_mel_channels").GetInt32();

    public static int WaveGlowMelChannels => Config("waveglow").GetProperty("n_mel_channels").GetInt32();

    private static System.Text.Json.JsonElement Config(string model) => ReferenceFixtures.Current.Section(model).GetProperty("config");

    private static string Checkpoint(string model) =>
        ReferenceFixtures.Current.PathOf(ReferenceFixtures.Current.Section(model).GetProperty("checkpoints").EnumerateObject().First().Name);
}
