using MlNetTts.Checkpoints;
using TorchSharp;
using static TorchSharp.torch;

namespace MlNetTts.Tests.Checkpoints;

[TestClass]
public sealed class StateDictLoaderTests
{
    private static nn.Module SmallModel() =>
        nn.Sequential(("proj", nn.Linear(3, 4)), ("norm", nn.BatchNorm1d(4)), ("out", nn.Linear(4, 2)));

    /// <summary>A state dict for <paramref name="model"/>: every entry distinct, in <paramref name="dtype"/>.</summary>
    private static Dictionary<string, Tensor> StateDictFor(nn.Module model, ScalarType dtype)
    {
        var result = new Dictionary<string, Tensor>();
        int n = 0;
        foreach (var (key, target) in model.state_dict())
            result[key] = (torch.arange(target.numel()).reshape(target.shape) * 0.25 + n++).to(dtype);
        return result;
    }

    [TestMethod]
    public void LoadsEveryParameterAndBufferConvertingFp16ToTheModelsDtype()
    {
        using var scope = NewDisposeScope();
        var model = SmallModel();
        var stateDict = StateDictFor(model, ScalarType.Float16);

        StateDictLoader.LoadInto(model, stateDict);

        foreach (var (key, target) in model.state_dict())
        {
            Assert.AreNotEqual(ScalarType.Float16, target.dtype, $"{key} keeps the model's dtype");
            Assert.IsTrue(target.to(ScalarType.Float64).allclose(stateDict[key].to(ScalarType.Float64), rtol: 0, atol: 0), key);
        }
        // The copies reached the module itself, not a copy of its state dict.
        var proj = (nn.Module<Tensor, Tensor>)model.named_children().Single(c => c.name == "proj").module;
        using var output = proj.call(torch.ones(1, 3));
        var expected = stateDict["proj.weight"].to(ScalarType.Float32).sum(dim: 1) + stateDict["proj.bias"].to(ScalarType.Float32);
        Assert.IsTrue(output[0].allclose(expected, rtol: 0, atol: 1e-6));
        Assert.IsFalse(model.parameters().Any(p => p.grad is not null), "copied under no_grad");
    }

    [TestMethod]
    public void MissingUnexpectedAndMisshapenKeysAreAllReportedInOneError()
    {
        using var scope = NewDisposeScope();
        var model = SmallModel();
        var stateDict = StateDictFor(model, ScalarType.Float32);
        var before = model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.clone());
        stateDict.Remove("norm.running_var");
        stateDict["norm.extra"] = torch.zeros(4);
        stateDict["out.weight"] = torch.zeros(2, 5);

        var e = Assert.ThrowsExactly<StateDictMismatchException>(() => StateDictLoader.LoadInto(model, stateDict));

        CollectionAssert.AreEqual(new[] { "norm.running_var" }, e.MissingKeys.ToList());
        CollectionAssert.AreEqual(new[] { "norm.extra" }, e.UnexpectedKeys.ToList());
        Assert.HasCount(1, e.ShapeMismatches);
        Assert.AreEqual("out.weight", e.ShapeMismatches[0].Key);
        CollectionAssert.AreEqual(new long[] { 2, 4 }, e.ShapeMismatches[0].Expected);
        CollectionAssert.AreEqual(new long[] { 2, 5 }, e.ShapeMismatches[0].Actual);
        foreach (var text in new[] { "norm.running_var", "norm.extra", "out.weight", "[2, 4]", "[2, 5]" })
            Assert.Contains(text, e.Message);
        foreach (var (key, target) in model.state_dict())
            Assert.IsTrue(target.allclose(before[key], rtol: 0, atol: 0), $"{key} untouched after a refused load");
    }
}
