using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace MissedCallFunctions.Infra.Tests;

[Collection(CompiledTemplatesCollection.Name)]
public sealed partial class StorageTemplateTests(CompiledTemplates templates)
{
    private JsonObject Account => templates.Main.SingleResourceOfType("Microsoft.Storage/storageAccounts");

    [Fact]
    public void StorageAccount_Compiled_DisallowsSharedKeyAndPublicBlobAccess()
    {
        var properties = Account["properties"]!;

        Assert.False((bool)properties["allowSharedKeyAccess"]!);
        Assert.False((bool)properties["allowBlobPublicAccess"]!);
        Assert.True((bool)properties["supportsHttpsTrafficOnly"]!);
    }

    [Fact]
    public void StorageAccount_Compiled_RequiresTls12()
    {
        Assert.Equal("TLS1_2", (string?)Account["properties"]!["minimumTlsVersion"]);
    }

    [Fact]
    public void DeploymentContainer_Compiled_IsPrivate()
    {
        var container = templates.Main.SingleResourceOfType("Microsoft.Storage/storageAccounts/blobServices/containers");

        Assert.Equal("None", (string?)container["properties"]!["publicAccess"]);
    }

    [Theory]
    [InlineData("prod")]
    [InlineData("Demo-EU")]
    [InlineData("abcdefghijkl")]
    public void StorageAccountName_AnyEnvironmentName_IsAValidStorageAccountName(string environmentName)
    {
        var evaluator = MainEvaluator.Create(templates.Main, environmentName);
        var name = (string?)evaluator.EvaluateValue(
            templates.Main.ModuleDeployment("storage")["properties"]!["parameters"]!["name"]!["value"]);

        Assert.Matches(StorageAccountName(), name);
    }

    [Fact]
    public void StorageModule_ServiceUris_AreHttpsEndpointsOfTheAccount()
    {
        var storage = templates.Main.Module("storage");
        var evaluator = new ArmExpressionEvaluator(storage.Root, new Dictionary<string, JsonNode?>
        {
            ["name"] = "stprodabc",
            ["location"] = "eastus2",
            ["deploymentContainerName"] = "app-package",
        });

        Assert.Equal("https://stprodabc.table.core.windows.net", evaluator.EvaluateString(storage.Outputs["tableServiceUri"]!["value"]));
        Assert.Equal("https://stprodabc.queue.core.windows.net", evaluator.EvaluateString(storage.Outputs["queueServiceUri"]!["value"]));
        Assert.Equal("https://stprodabc.blob.core.windows.net", evaluator.EvaluateString(storage.Outputs["blobServiceUri"]!["value"]));
    }

    [GeneratedRegex("^[a-z0-9]{3,24}$")]
    private static partial Regex StorageAccountName();
}
