using System.Reflection;
using Microsoft.ML;
using MlNetTts.Persistence;
using TorchSharp;

namespace MlNetTts.Tests.Foundation;

/// <summary>
/// The plug-in compiles against publicized ML.NET copies (build/PublicizedMlNet.targets); these tests
/// prove that at run time it calls ML.NET's real, internal members and ships no publicized copy.
/// </summary>
[TestClass]
public sealed class PublicizedMlNetTests
{
    private static readonly VersionInfo TestVersion = new("MLTTSTST", 0x00010001, 0x00010001, 0x00010001,
        loaderAssemblyName: typeof(PublicizedMlNetTests).Assembly.FullName, loaderSignature: "MlNetTtsTest");

    [TestMethod]
    public void PluginReachesMlNetInternalsAtRunTime()
    {
        var env = new MLContext(seed: 1);
        var source = torch.nn.Linear(3, 2);
        var target = torch.nn.Linear(3, 2);
        Assert.IsFalse(source.weight!.allclose(target.weight!, rtol: 0, atol: 0), "two fresh layers start different");

        using var zip = new MemoryStream();
        using (var writer = RepositoryWriter.CreateNew(zip, env))
        {
            using (var ctx = new ModelSaveContext(writer, "Model", "Model.key"))
            {
                ctx.SetVersionInfo(TestVersion);
                ModuleWeightsStream.Save(ctx, "Weights.bin", source); // internal SaveBinaryStream, called from the plug-in
                ctx.Done();
            }
            writer.Commit();
        }

        zip.Position = 0;
        using (var reader = RepositoryReader.Open(zip, env))
        using (var entry = reader.OpenEntry("Model", "Model.key"))
        using (var ctx = new ModelLoadContext(reader, entry, "Model"))
        {
            ctx.CheckAtModel(TestVersion);
            ModuleWeightsStream.Load(ctx, "Weights.bin", target); // internal TryLoadBinaryStream
        }

        Assert.IsTrue(source.weight!.allclose(target.weight!, rtol: 0, atol: 0));
        Assert.IsTrue(source.bias!.allclose(target.bias!, rtol: 0, atol: 0));
    }

    [TestMethod]
    public void MissingWeightsStreamGetsAClearError()
    {
        var env = new MLContext(seed: 1);
        using var zip = new MemoryStream();
        using (var writer = RepositoryWriter.CreateNew(zip, env))
        {
            using (var ctx = new ModelSaveContext(writer, "Model", "Model.key"))
            {
                ctx.SetVersionInfo(TestVersion);
                ctx.Done();
            }
            writer.Commit();
        }

        zip.Position = 0;
        using var reader = RepositoryReader.Open(zip, env);
        using var entry = reader.OpenEntry("Model", "Model.key");
        using var load = new ModelLoadContext(reader, entry, "Model");
        load.CheckAtModel(TestVersion);
        var error = Assert.ThrowsExactly<InvalidDataException>(() => ModuleWeightsStream.Load(load, "Weights.bin", torch.nn.Linear(3, 2)));
        StringAssert.Contains(error.Message, "'Weights.bin'");
    }

    [TestMethod]
    public void PluginDeclaresIgnoresAccessChecksToForEachPublicizedAssembly()
    {
        var declared = typeof(ModuleWeightsStream).Assembly.GetCustomAttributesData()
            .Where(a => a.AttributeType.FullName == "System.Runtime.CompilerServices.IgnoresAccessChecksToAttribute")
            .Select(a => (string)a.ConstructorArguments[0].Value!)
            .ToArray();
        CollectionAssert.AreEquivalent(new[] { "Microsoft.ML.Core", "Microsoft.ML.Data" }, declared);
    }

    [TestMethod]
    public void RunTimeUsesTheRealSignedMlNetAssemblies()
    {
        var core = typeof(ModelSaveContext).Assembly;
        CollectionAssert.AreEqual(new byte[] { 0xcc, 0x7b, 0x13, 0xff, 0xcd, 0x2d, 0xdd, 0x51 }, core.GetName().GetPublicKeyToken());
        var saveBinaryStream = typeof(ModelSaveContext).GetMethod("SaveBinaryStream", BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic)!;
        Assert.IsFalse(saveBinaryStream.IsPublic, "the loaded Microsoft.ML.Core is the real one, where this member is internal");

        var pluginReference = typeof(ModuleWeightsStream).Assembly.GetReferencedAssemblies().Single(a => a.Name == "Microsoft.ML.Core");
        CollectionAssert.AreEqual(core.GetName().GetPublicKeyToken(), pluginReference.GetPublicKeyToken());
    }
}
