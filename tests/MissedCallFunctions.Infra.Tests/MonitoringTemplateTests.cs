namespace MissedCallFunctions.Infra.Tests;

[Collection(CompiledTemplatesCollection.Name)]
public sealed class MonitoringTemplateTests(CompiledTemplates templates)
{
    [Fact]
    public void ApplicationInsights_Compiled_DisablesLocalAuthAndUsesWorkspace()
    {
        var component = templates.Main.SingleResourceOfType("Microsoft.Insights/components");

        Assert.True((bool)component["properties"]!["DisableLocalAuth"]!);
        Assert.Contains("Microsoft.OperationalInsights/workspaces", (string?)component["properties"]!["WorkspaceResourceId"], StringComparison.Ordinal);
    }

    [Fact]
    public void LogAnalyticsWorkspace_Compiled_IsPayAsYouGo()
    {
        var workspace = templates.Main.SingleResourceOfType("Microsoft.OperationalInsights/workspaces");

        Assert.Equal("PerGB2018", (string?)workspace["properties"]!["sku"]!["name"]);
    }
}
