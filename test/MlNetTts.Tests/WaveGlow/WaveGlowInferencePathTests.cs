using MlNetTts.Nn;
using MlNetTts.Tests.Fixtures;
using MlNetTts.WaveGlow;
using static TorchSharp.torch;

namespace MlNetTts.Tests.WaveGlow;

/// <summary>The faster inference formulations compute what NVIDIA's op order computes.</summary>
[TestClass]
public sealed class WaveGlowInferencePathTests
{
    private static readonly WaveNetConfig SmallWn = new() { NLayers = 4, NChannels = 32, KernelSize = 3 };

    [TestMethod]
    [DataRow(true, 37, DisplayName = "weight norm, libtorch products")]
    [DataRow(false, 37, DisplayName = "folded, libtorch products")]
    [DataRow(false, 64, DisplayName = "folded, PointwiseGemm (steps a multiple of 32)")]
    public void WaveNetInferMatchesForwardInFloat32(bool weightNorm, int steps)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        manual_seed(3);
        var wn = new WaveNet(2, 24, SmallWn, weightNorm);
        foreach (var p in wn.parameters()) p.normal_(0, 0.2);
        var audio = randn(2, 2, steps);
        var spect = randn(2, steps, 24).permute(0, 2, 1);
        var expected = wn.call(audio, spect);
        var taps = empty(2, wn.KernelSize * wn.Channels, steps);
        var weights = wn.PrepareInference(null, steps);
        Assert.AreEqual(steps % 32 == 0 && MlNetTts.Nn.PointwiseGemm.IsSupported, weights.Packed, "packed for PointwiseGemm");
        var actual = wn.Infer(audio, spect.contiguous(), weights, taps);
        TensorAssert.Close(expected, actual, 1e-5, 1e-5, "stacked-tap inference against forward");
    }

    [TestMethod]
    [DataRow(false, DisplayName = "in_layer and conditioning as two products")]
    [DataRow(true, DisplayName = "one product over taps that end with the conditioning")]
    public void WaveNetInferInMixedPrecisionStaysCloseToFloat32(bool conditioningInTaps)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        manual_seed(4);
        var wn = new WaveNet(2, 24, SmallWn, weightNorm: false);
        foreach (var p in wn.parameters()) p.normal_(0, 0.1);
        var audio = randn(1, 2, 50);
        var spect = randn(1, 24, 50);
        var expected = wn.call(audio, spect);
        Tensor actual;
        using (var casting = CastingScope.Enter(ScalarType.BFloat16))
        {
            long tapRows = wn.KernelSize * wn.Channels;
            var taps = empty(new long[] { 1, tapRows + (conditioningInTaps ? 24 : 0), 50 }, ScalarType.BFloat16);
            if (conditioningInTaps) taps.narrow(1, tapRows, 24).copy_(spect);
            var weights = wn.PrepareInference(casting);
            Assert.IsNotNull(weights.InCond[0], "the fused weights are made in 16 bits");
            actual = wn.Infer(audio, spect.to(ScalarType.BFloat16), weights, taps);
        }
        Assert.AreEqual(ScalarType.Float32, actual.dtype);
        double scale = expected.abs().max().item<float>();
        double error = (expected - actual).abs().max().item<float>();
        Assert.IsLessThan(0.05 * scale, error, $"bf16 error {error} against a largest value of {scale}");
    }

    [TestMethod]
    public void GroupedUpsamplingForInferenceMatchesTheTransposedConvInFloat64()
    {
        using var model = new WaveGlowModel(new WaveGlowConfig { WN = SmallWn }, weightNorm: false);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        manual_seed(5);
        var mel = randn(2, model.Config.NMelChannels, 7);
        var actual = model.Upsampler.GroupedForInference(mel, model.Config.NGroup);
        Assert.IsNotNull(actual, "the default kernel is a multiple of the stride, the stride a multiple of n_group");

        // The exact answer: the transposed conv in float64, trimmed and grouped as GroupedConditioning does.
        var ps = model.Upsampler.named_parameters().ToDictionary(kv => kv.name, kv => kv.parameter);
        var up = nn.functional.conv_transpose1d(mel.to(ScalarType.Float64), ps["weight"].to(ScalarType.Float64), ps["bias"].to(ScalarType.Float64), stride: model.Upsampler.Stride);
        long g = model.Config.NGroup;
        up = up.narrow(2, 0, up.shape[2] - model.Upsampler.Overhang).unfold(2, g, g).permute(0, 2, 1, 3);
        var expected = up.contiguous().view(up.shape[0], up.shape[1], -1).permute(0, 2, 1).to(ScalarType.Float32);
        TensorAssert.Close(expected, actual, 1e-5, 1e-5, "GEMM upsampling against the float64 transposed conv");
    }
}
