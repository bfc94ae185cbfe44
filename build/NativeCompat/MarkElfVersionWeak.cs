// Native-library compatibility step (see build/NativeCompat.targets and README "Platform").
//
// TorchSharp 0.107's libLibTorchSharp.so names GLIBCXX_3.4.32 for one symbol it never calls
// (_ZSt21ios_base_library_initv). Older libstdc++ (Debian 12: up to 3.4.30) lacks that version
// and the loader refuses the whole library. Marking that single version requirement as weak
// (VER_FLG_WEAK in the Vernaux entry of .gnu.version_r) makes glibc accept it.
//
// This file is compiled twice: by MSBuild's RoslynCodeTaskFactory (netstandard, so no
// Encoding.Latin1 and no File.Move overwrite), and by the test project with ELF_LOGIC_ONLY
// defined, so tests exercise exactly the code the build runs.
#if ELF_LOGIC_ONLY
#nullable disable
#endif
using System;
using System.Collections.Generic;
using System.IO;
using System.Text;

namespace MlNetTts.Build
{
    /// <summary>Reads and edits the symbol-version tables of an ELF64 little-endian shared library.</summary>
    public static class ElfSymbolVersions
    {
        private const uint ShtGnuVerdef = 0x6ffffffd;
        private const uint ShtGnuVerneed = 0x6ffffffe;
        private const ushort VerFlgWeak = 0x2;

        /// <summary>Outcome of <see cref="MarkWeak"/>.</summary>
        public enum MarkResult { NotRequired, AlreadyWeak, Marked }

        /// <summary>Version names a library defines (.gnu.version_d), e.g. GLIBCXX_3.4.30 for libstdc++.</summary>
        public static HashSet<string> DefinedVersions(byte[] elf)
        {
            var names = new HashSet<string>(StringComparer.Ordinal);
            foreach (var section in Sections(elf))
            {
                if (section.Type != ShtGnuVerdef) continue;
                var strtab = SectionAt(elf, (int)section.Link);
                long offset = section.Offset;
                for (uint i = 0; i < section.Info; i++)
                {
                    ushort auxCount = U16(elf, offset + 6);
                    long aux = offset + U32(elf, offset + 12);
                    for (int a = 0; a < auxCount; a++)
                    {
                        names.Add(CString(elf, strtab.Offset + U32(elf, aux)));
                        aux += U32(elf, aux + 4);
                    }
                    uint next = U32(elf, offset + 16);
                    if (next == 0) break;
                    offset += next;
                }
            }
            return names;
        }

        /// <summary>Sets VER_FLG_WEAK on every requirement of <paramref name="versionName"/>; edits <paramref name="elf"/> in place.</summary>
        public static MarkResult MarkWeak(byte[] elf, string versionName)
        {
            var result = MarkResult.NotRequired;
            foreach (var section in Sections(elf))
            {
                if (section.Type != ShtGnuVerneed) continue;
                var strtab = SectionAt(elf, (int)section.Link);
                long offset = section.Offset;
                for (uint i = 0; i < section.Info; i++)
                {
                    ushort auxCount = U16(elf, offset + 2);
                    long aux = offset + U32(elf, offset + 8);
                    for (int a = 0; a < auxCount; a++)
                    {
                        if (CString(elf, strtab.Offset + U32(elf, aux + 8)) == versionName)
                        {
                            ushort flags = U16(elf, aux + 4);
                            if ((flags & VerFlgWeak) != 0)
                            {
                                if (result == MarkResult.NotRequired) result = MarkResult.AlreadyWeak;
                            }
                            else
                            {
                                flags |= VerFlgWeak;
                                elf[aux + 4] = (byte)flags;
                                elf[aux + 5] = (byte)(flags >> 8);
                                result = MarkResult.Marked;
                            }
                        }
                        aux += U32(elf, aux + 12);
                    }
                    uint next = U32(elf, offset + 12);
                    if (next == 0) break;
                    offset += next;
                }
            }
            return result;
        }

        /// <summary>
        /// The libstdc++.so.6 the dynamic loader would find first, or null. Directories of
        /// LD_LIBRARY_PATH come first, then the usual system directories.
        /// </summary>
        public static string FindSystemLibStdCxx()
        {
            var dirs = new List<string>();
            var ldPath = Environment.GetEnvironmentVariable("LD_LIBRARY_PATH");
            if (!string.IsNullOrEmpty(ldPath)) dirs.AddRange(ldPath.Split(':'));
            dirs.AddRange(new[]
            {
                "/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib/aarch64-linux-gnu",
                "/usr/lib/aarch64-linux-gnu", "/lib64", "/usr/lib64", "/lib", "/usr/lib",
            });
            foreach (var dir in dirs)
            {
                if (dir.Length == 0) continue;
                var candidate = Path.Combine(dir, "libstdc++.so.6");
                if (File.Exists(candidate)) return candidate;
            }
            return null;
        }

        private struct Section
        {
            public uint Type;
            public long Offset;
            public uint Link;
            public uint Info;
        }

        private static IEnumerable<Section> Sections(byte[] elf)
        {
            if (elf.Length < 64 || elf[0] != 0x7f || elf[1] != (byte)'E' || elf[2] != (byte)'L' || elf[3] != (byte)'F')
                throw new InvalidDataException("not an ELF file");
            if (elf[4] != 2 || elf[5] != 1)
                throw new InvalidDataException("only 64-bit little-endian ELF files are supported");
            ushort count = U16(elf, 0x3C);
            for (int i = 0; i < count; i++) yield return SectionAt(elf, i);
        }

        private static Section SectionAt(byte[] elf, int index)
        {
            long headers = (long)U64(elf, 0x28);
            ushort size = U16(elf, 0x3A);
            long h = headers + (long)index * size;
            if (index >= U16(elf, 0x3C) || h + 64 > elf.Length)
                throw new InvalidDataException("section header " + index + " is outside the file");
            return new Section
            {
                Type = U32(elf, h + 4),
                Offset = (long)U64(elf, h + 0x18),
                Link = U32(elf, h + 0x28),
                Info = U32(elf, h + 0x2C),
            };
        }

        private static string CString(byte[] elf, long offset)
        {
            long end = offset;
            while (end < elf.Length && elf[end] != 0) end++;
            var sb = new StringBuilder((int)(end - offset));
            for (long i = offset; i < end; i++) sb.Append((char)elf[i]);
            return sb.ToString();
        }

        private static ushort U16(byte[] b, long o) => Check(b, o, 2) ? (ushort)(b[o] | b[o + 1] << 8) : (ushort)0;
        private static uint U32(byte[] b, long o) => Check(b, o, 4) ? (uint)(b[o] | b[o + 1] << 8 | b[o + 2] << 16 | b[o + 3] << 24) : 0;
        private static ulong U64(byte[] b, long o) => Check(b, o, 8) ? U32(b, o) | (ulong)U32(b, o + 4) << 32 : 0;

        private static bool Check(byte[] b, long o, int n)
        {
            if (o < 0 || o + n > b.Length) throw new InvalidDataException("ELF structure points outside the file at offset " + o);
            return true;
        }
    }
}

#if !ELF_LOGIC_ONLY
namespace MlNetTts.Build
{
    /// <summary>
    /// MSBuild task: marks the listed symbol-version requirements of native libraries as weak,
    /// only when the system libstdc++ lacks them (Mode=auto), always (force) or never (off).
    /// Idempotent; writes a new file and renames it over the old one so a hard link into the
    /// NuGet cache is never written through; keeps the timestamp so incremental copies skip it.
    /// </summary>
    public class MarkElfVersionWeak : Microsoft.Build.Utilities.Task
    {
        [Microsoft.Build.Framework.Required]
        public Microsoft.Build.Framework.ITaskItem[] Libraries { get; set; } = new Microsoft.Build.Framework.ITaskItem[0];

        [Microsoft.Build.Framework.Required]
        public string Versions { get; set; } = "";

        public string Mode { get; set; } = "auto";

        public override bool Execute()
        {
            var mode = (Mode ?? "auto").Trim().ToLowerInvariant();
            if (mode != "auto" && mode != "force" && mode != "off")
            {
                Log.LogError("MlNetTtsNativeCompat must be auto, force or off, not '" + Mode + "'.");
                return false;
            }
            if (mode == "off" || Libraries.Length == 0) return true;

            var wanted = new List<string>();
            foreach (var v in Versions.Split(';')) if (v.Trim().Length > 0) wanted.Add(v.Trim());

            if (mode == "auto")
            {
                var system = ElfSymbolVersions.FindSystemLibStdCxx();
                if (system != null)
                {
                    var defined = ElfSymbolVersions.DefinedVersions(File.ReadAllBytes(system));
                    wanted.RemoveAll(defined.Contains);
                    if (wanted.Count == 0)
                    {
                        Log.LogMessage(Microsoft.Build.Framework.MessageImportance.Low, "Native compat: " + system + " has every required version; nothing to do.");
                        return true;
                    }
                }
            }

            foreach (var item in Libraries)
            {
                var path = item.ItemSpec;
                var bytes = File.ReadAllBytes(path);
                bool changed = false;
                foreach (var version in wanted)
                    changed |= ElfSymbolVersions.MarkWeak(bytes, version) == ElfSymbolVersions.MarkResult.Marked;
                if (!changed) continue;

                var stamp = File.GetLastWriteTimeUtc(path);
                var temp = path + ".mlnettts-compat.tmp";
                File.WriteAllBytes(temp, bytes);
                File.SetLastWriteTimeUtc(temp, stamp);
                File.Delete(path); // removes only this directory entry: a hard link's target stays untouched
                File.Move(temp, path);
                Log.LogMessage(Microsoft.Build.Framework.MessageImportance.High, "Native compat: marked " + string.Join(", ", wanted) + " weak in " + path);
            }
            return true;
        }
    }
}
#endif
