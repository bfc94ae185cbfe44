using MlNetTts.IO;
using MlNetTts.Tests.Training;
using MlNetTts.Training;

namespace MlNetTts.Tests.Hardening;

/// <summary>
/// A disk that fills up during a checkpoint write: the error names the checkpoint's path and keeps the OS's reason,
/// the previous checkpoint is byte-for-byte intact and still resumes, and no temporary file is left to fill the disk further.
/// </summary>
[TestClass]
public sealed class CheckpointDiskFullTests
{
    public TestContext TestContext { get; set; } = null!;

    [TestMethod]
    public void DiskFullDuringAPeriodicCheckpointNamesThePathAndKeepsTheEarlierCheckpoints()
    {
        var folder = NewFolder();
        try
        {
            var train = SyntheticSpeech.Create(6, seed: 21);
            using var model = SyntheticSpeech.NewModel();
            using var trainer = new Tacotron2Trainer(model, TrainingKillChild.Options(folder, epochs: 3));
            int checkpoints = 0;
            long capacity = 0;
            var progress = new SyncProgress(p =>
            {
                if (p.Kind != TrainingEventKind.Checkpoint || ++checkpoints != 1) return;
                // After the first good checkpoint the disk has room for a third of the next one.
                capacity = new FileInfo(p.CheckpointPath!).Length / 3;
                TrainingCheckpoint.WriteInterceptor = s => new DiskFullStream(s, capacity);
            });
            IOException e;
            try
            {
                e = Assert.ThrowsExactly<IOException>(() => trainer.Fit(train, progress: progress));
            }
            finally
            {
                TrainingCheckpoint.WriteInterceptor = null;
            }

            var failed = Path.Combine(folder, "checkpoint_Tacotron2_1.safetensors");
            var good = Path.Combine(folder, "checkpoint_Tacotron2_0.safetensors");
            TestContext.WriteLine(e.Message);
            Assert.Contains(failed, e.Message, "the error names the checkpoint that could not be written");
            Assert.Contains(DiskFullStream.NoSpace, e.Message, "the error keeps the OS's reason");
            Assert.IsInstanceOfType<IOException>(e.InnerException);
            CollectionAssert.AreEqual(new[] { good }, Directory.GetFiles(folder), "the earlier checkpoint stays; nothing partial or temporary is left");
            using var resumed = Tacotron2Trainer.Resume(good);
            Assert.AreEqual(1, resumed.CompletedEpochs);
            resumed.Model.Dispose();
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [TestMethod]
    public void DiskFullWhileReplacingACheckpointLeavesTheOldFileByteForByte()
    {
        var folder = NewFolder();
        try
        {
            using var model = SyntheticSpeech.NewModel();
            using var trainer = new Tacotron2Trainer(model, TrainingKillChild.Options(null, epochs: 1));
            var path = Path.Combine(folder, "last.safetensors");
            trainer.SaveCheckpoint(path);
            var old = File.ReadAllBytes(path);
            trainer.Fit(SyntheticSpeech.Create(6, seed: 22));

            foreach (long capacity in new long[] { 0, 7, old.Length / 2, old.Length - 1 })
            {
                TrainingCheckpoint.WriteInterceptor = s => new DiskFullStream(s, capacity);
                try
                {
                    var e = Assert.ThrowsExactly<IOException>(() => trainer.SaveCheckpoint(path), $"room for {capacity} bytes");
                    Assert.Contains(Path.GetFullPath(path), e.Message);
                }
                finally
                {
                    TrainingCheckpoint.WriteInterceptor = null;
                }
                CollectionAssert.AreEqual(old, File.ReadAllBytes(path), $"room for {capacity} bytes: the old checkpoint changed");
                Assert.HasCount(1, Directory.GetFiles(folder), $"room for {capacity} bytes: a temporary file was left");
            }
            using var resumed = Tacotron2Trainer.Resume(path);
            Assert.AreEqual(0, resumed.Iteration);
            resumed.Model.Dispose();
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [TestMethod]
    public void AtomicFileNamesTheDestinationWhenTheDiskIsFull()
    {
        var folder = NewFolder();
        try
        {
            var path = Path.Combine(folder, "data.bin");
            AtomicFile.WriteAllText(path, "old");
            var e = Assert.ThrowsExactly<IOException>(() => AtomicFile.Write(path, s => new DiskFullStream(s, 2).Write(new byte[10])));
            Assert.Contains(path, e.Message);
            Assert.Contains(DiskFullStream.NoSpace, e.Message);
            Assert.AreEqual("old", File.ReadAllText(path));
            Assert.HasCount(1, Directory.GetFiles(folder));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private string NewFolder()
    {
        var path = Path.Combine(Path.GetTempPath(), "mlnettts-diskfull-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(path);
        TestContext.WriteLine(path);
        return path;
    }
}
