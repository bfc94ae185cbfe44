// Compiled into projects that set MlNetTtsPublicizeMlNet=true (see PublicizedMlNet.targets).
// CoreCLR honours this attribute by name: an assembly carrying
// [assembly: IgnoresAccessChecksTo("X")] may use X's internal members at run time.
namespace System.Runtime.CompilerServices
{
    [AttributeUsage(AttributeTargets.Assembly, AllowMultiple = true)]
    internal sealed class IgnoresAccessChecksToAttribute : Attribute
    {
        public IgnoresAccessChecksToAttribute(string assemblyName) => AssemblyName = assemblyName;

        public string AssemblyName { get; }
    }
}
