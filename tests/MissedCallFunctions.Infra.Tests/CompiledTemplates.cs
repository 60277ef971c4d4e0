using System.Diagnostics;
using System.Reflection;
using System.Text.Json.Nodes;

namespace MissedCallFunctions.Infra.Tests;

/// <summary>
/// Compiles infra/main.bicep and infra/subscriptions.bicep once per test run, with the same Bicep CLI that
/// .ci/bicep.sh uses, and exposes the ARM JSON and the Bicep sources.
/// </summary>
public sealed class CompiledTemplates : IDisposable
{
    private readonly string _outputDirectory;

    public CompiledTemplates()
    {
        InfraDirectory = Locate("INFRA_DIRECTORY", "InfraDirectory", Directory.Exists);
        BicepPath = Locate("BICEP_PATH", "BicepPath", File.Exists);
        _outputDirectory = Directory.CreateTempSubdirectory("mcf-infra-tests-").FullName;

        Main = Build("main.bicep", out var mainDiagnostics);
        Subscriptions = Build("subscriptions.bicep", out var subscriptionsDiagnostics);
        Diagnostics = mainDiagnostics + subscriptionsDiagnostics;
        MainJsonText = File.ReadAllText(Path.Combine(_outputDirectory, "main.json"));
        SubscriptionsJsonText = File.ReadAllText(Path.Combine(_outputDirectory, "subscriptions.json"));
        BicepSources = Directory.EnumerateFiles(InfraDirectory, "*.bicep", SearchOption.AllDirectories)
            .ToDictionary(path => Path.GetRelativePath(InfraDirectory, path), File.ReadAllText);
        MainParametersFile = JsonNode.Parse(File.ReadAllText(Path.Combine(InfraDirectory, "main.parameters.json")))!.AsObject();
    }

    public string InfraDirectory { get; }

    public string BicepPath { get; }

    /// <summary>Everything Bicep printed while building (warnings included); empty when clean.</summary>
    public string Diagnostics { get; }

    public ArmTemplate Main { get; }

    public ArmTemplate Subscriptions { get; }

    public string MainJsonText { get; }

    public string SubscriptionsJsonText { get; }

    /// <summary>Every .bicep file under infra/, keyed by relative path.</summary>
    public IReadOnlyDictionary<string, string> BicepSources { get; }

    public JsonObject MainParametersFile { get; }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_outputDirectory, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp directory is harmless.
        }
    }

    private ArmTemplate Build(string file, out string diagnostics)
    {
        var outputFile = Path.Combine(_outputDirectory, Path.ChangeExtension(file, ".json"));
        var startInfo = new ProcessStartInfo(BicepPath)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        startInfo.ArgumentList.Add("build");
        startInfo.ArgumentList.Add(Path.Combine(InfraDirectory, file));
        startInfo.ArgumentList.Add("--outfile");
        startInfo.ArgumentList.Add(outputFile);

        using var process = Process.Start(startInfo) ?? throw new InvalidOperationException($"Could not start {BicepPath}.");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(2)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"bicep build {file} did not finish in 2 minutes.");
        }

        diagnostics = stdout.Result + stderr.Result;
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"bicep build {file} failed ({process.ExitCode}):\n{diagnostics}");
        }

        return new ArmTemplate(JsonNode.Parse(File.ReadAllText(outputFile))!.AsObject());
    }

    private static string Locate(string environmentVariable, string metadataKey, Func<string, bool> exists)
    {
        var fromEnvironment = Environment.GetEnvironmentVariable(environmentVariable);
        if (!string.IsNullOrEmpty(fromEnvironment))
        {
            return exists(fromEnvironment)
                ? fromEnvironment
                : throw new InvalidOperationException($"{environmentVariable}={fromEnvironment} does not exist.");
        }

        var fromBuild = typeof(CompiledTemplates).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .SingleOrDefault(a => a.Key == metadataKey)?.Value;
        return fromBuild is not null && exists(fromBuild)
            ? fromBuild
            : throw new InvalidOperationException(
                $"{metadataKey} '{fromBuild}' does not exist. Run `dotnet restore` (it downloads the Bicep CLI) or set {environmentVariable}.");
    }
}

[CollectionDefinition(Name)]
public sealed class CompiledTemplatesCollection : ICollectionFixture<CompiledTemplates>
{
    public const string Name = "Compiled Bicep templates";
}

/// <summary>A compiled ARM template, with helpers to reach resources inside nested (module) deployments.</summary>
public sealed class ArmTemplate(JsonObject root)
{
    public JsonObject Root { get; } = root;

    public JsonObject Parameters => Root["parameters"]?.AsObject() ?? [];

    public JsonObject Outputs => Root["outputs"]?.AsObject() ?? [];

    public IEnumerable<JsonObject> Resources => Root["resources"] switch
    {
        JsonArray array => array.OfType<JsonObject>(),
        // Symbolic-name templates (languageVersion 2.0) keep resources in an object.
        JsonObject obj => obj.Select(p => p.Value).OfType<JsonObject>(),
        _ => [],
    };

    /// <summary>The module deployed under <paramref name="deploymentName"/> (a Microsoft.Resources/deployments resource).</summary>
    public JsonObject ModuleDeployment(string deploymentName) =>
        Resources.Single(r => (string?)r["type"] == "Microsoft.Resources/deployments" && (string?)r["name"] == deploymentName);

    public ArmTemplate Module(string deploymentName) =>
        new(ModuleDeployment(deploymentName)["properties"]!["template"]!.AsObject());

    /// <summary>Every resource in this template and in all nested module templates.</summary>
    public IEnumerable<JsonObject> AllResources()
    {
        foreach (var resource in Resources)
        {
            yield return resource;
            if ((string?)resource["type"] == "Microsoft.Resources/deployments"
                && resource["properties"]?["template"] is JsonObject nested)
            {
                foreach (var inner in new ArmTemplate(nested).AllResources())
                {
                    yield return inner;
                }
            }
        }
    }

    public IEnumerable<JsonObject> AllResourcesOfType(string type) =>
        AllResources().Where(r => string.Equals((string?)r["type"], type, StringComparison.OrdinalIgnoreCase));

    public JsonObject SingleResourceOfType(string type) => AllResourcesOfType(type).Single();
}
