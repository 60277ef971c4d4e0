using System.Text.RegularExpressions;

namespace MissedCallFunctions.Infra.Tests;

[Collection(CompiledTemplatesCollection.Name)]
public sealed partial class BicepBuildTests(CompiledTemplates templates)
{
    [Fact]
    public void BicepBuild_MainAndSubscriptions_PrintNoWarningsOrErrors()
    {
        // Bicep reports type errors (unknown property, wrong type) as warnings with exit code 0.
        Assert.Equal(string.Empty, templates.Diagnostics.Trim());
    }

    [Fact]
    public void BicepSources_Modules_AreLocalFilesOnly()
    {
        foreach (var (file, source) in templates.BicepSources)
        {
            Assert.False(RegistryModule().IsMatch(source), $"{file} references a registry module (br:/ts:), which needs network.");
        }
    }

    [Fact]
    public void BicepSources_ModuleFolder_HasOneFilePerConcern()
    {
        var modules = templates.BicepSources.Keys
            .Where(k => k.StartsWith("app" + Path.DirectorySeparatorChar, StringComparison.Ordinal))
            .Select(k => Path.GetFileNameWithoutExtension(k))
            .Order(StringComparer.Ordinal);

        Assert.Equal(
            ["communication", "eventgrid", "functionapp", "identity", "monitoring", "rbac", "servicebus", "storage"],
            modules);
    }

    [Fact]
    public void MainParametersFile_EveryParameter_IsDeclaredByMainAndCoversRequiredOnes()
    {
        var supplied = templates.MainParametersFile["parameters"]!.AsObject().Select(p => p.Key).ToHashSet();
        var declared = templates.Main.Parameters;

        foreach (var name in supplied)
        {
            Assert.True(declared.ContainsKey(name), $"main.parameters.json sets '{name}', which main.bicep does not declare.");
        }

        var required = declared.Where(p => p.Value?["defaultValue"] is null).Select(p => p.Key);
        foreach (var name in required)
        {
            Assert.Contains(name, supplied);
        }
    }

    [GeneratedRegex(@"module\s+\w+\s+'(br|ts)[:/]", RegexOptions.IgnoreCase)]
    private static partial Regex RegistryModule();
}
