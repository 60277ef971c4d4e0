using System.Text.Json.Nodes;

namespace MissedCallFunctions.Infra.Tests;

[Collection(CompiledTemplatesCollection.Name)]
public sealed class FunctionAppTemplateTests(CompiledTemplates templates)
{
    private const string IdentityId =
        "/subscriptions/00000000-0000-0000-0000-00000000aaaa/resourceGroups/rg-test/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-prod";

    private const string ClientId = "99999999-8888-7777-6666-555555555555";

    private ArmTemplate Module => templates.Main.Module("functionapp");

    private JsonObject Site => Module.SingleResourceOfType("Microsoft.Web/sites");

    [Fact]
    public void HostingPlan_Compiled_IsFlexConsumptionFc1OnLinux()
    {
        var plan = Module.SingleResourceOfType("Microsoft.Web/serverfarms");

        Assert.Equal("FC1", (string?)plan["sku"]!["name"]);
        Assert.Equal("FlexConsumption", (string?)plan["sku"]!["tier"]);
        Assert.True((bool)plan["properties"]!["reserved"]!);
    }

    [Fact]
    public void FunctionApp_Compiled_RunsDotnetIsolated10()
    {
        var runtime = Site["properties"]!["functionAppConfig"]!["runtime"]!;

        Assert.Equal("dotnet-isolated", (string?)runtime["name"]);
        Assert.Equal("10.0", (string?)runtime["version"]);
        Assert.Equal("functionapp,linux", (string?)Site["kind"]);
    }

    [Fact]
    public void FunctionApp_Identity_IsOnlyTheUserAssignedIdentity()
    {
        var evaluated = Evaluator().EvaluateValue(Site)!;
        var identity = evaluated["identity"]!;

        Assert.Equal("UserAssigned", (string?)identity["type"]);
        Assert.Equal([IdentityId], identity["userAssignedIdentities"]!.AsObject().Select(p => p.Key));
    }

    [Fact]
    public void FunctionApp_MainDeployment_PassesTheIdentityModuleOutputs()
    {
        var parameters = templates.Main.ModuleDeployment("functionapp")["properties"]!["parameters"]!;

        Assert.EndsWith("'Microsoft.Resources/deployments', 'identity'), '2025-04-01').outputs.id.value]", (string?)parameters["identityId"]!["value"], StringComparison.Ordinal);
        Assert.EndsWith("'Microsoft.Resources/deployments', 'identity'), '2025-04-01').outputs.clientId.value]", (string?)parameters["identityClientId"]!["value"], StringComparison.Ordinal);
    }

    [Fact]
    public void FunctionApp_DeploymentStorage_IsBlobContainerReadWithTheUserAssignedIdentity()
    {
        var evaluated = Evaluator().EvaluateValue(Site)!;
        var storage = evaluated["properties"]!["functionAppConfig"]!["deployment"]!["storage"]!;

        Assert.Equal("blobContainer", (string?)storage["type"]);
        Assert.Equal("https://stprod.blob.core.windows.net/app-package", (string?)storage["value"]);
        Assert.Equal("UserAssignedIdentity", (string?)storage["authentication"]!["type"]);
        Assert.Equal(IdentityId, (string?)storage["authentication"]!["userAssignedIdentityResourceId"]);
    }

    [Fact]
    public void FunctionApp_Compiled_IsHttpsOnlyWithBasicPublishingDisabled()
    {
        Assert.True((bool)Site["properties"]!["httpsOnly"]!);
        Assert.Equal("1.2", (string?)Site["properties"]!["siteConfig"]!["minTlsVersion"]);

        var policies = Module.AllResourcesOfType("Microsoft.Web/sites/basicPublishingCredentialsPolicies").ToList();
        Assert.Equal(2, policies.Count);
        Assert.All(policies, p => Assert.False((bool)p["properties"]!["allow"]!));
    }

    [Fact]
    public void AppSettings_Evaluated_AreExactlyTheIdentityBasedSettings()
    {
        var settings = EvaluatedAppSettings();

        var expected = new Dictionary<string, string>
        {
            ["AzureWebJobsStorage__accountName"] = "stprod",
            ["AzureWebJobsStorage__credential"] = "managedidentity",
            ["AzureWebJobsStorage__clientId"] = ClientId,
            ["ServiceBusConnection__fullyQualifiedNamespace"] = "sb-prod.servicebus.windows.net",
            ["ServiceBusConnection__credential"] = "managedidentity",
            ["ServiceBusConnection__clientId"] = ClientId,
            ["AZURE_CLIENT_ID"] = ClientId,
            ["APPLICATIONINSIGHTS_CONNECTION_STRING"] = "InstrumentationKey=00000000-0000-0000-0000-000000000000;IngestionEndpoint=https://eastus2-0.in.applicationinsights.azure.com/",
            ["APPLICATIONINSIGHTS_AUTHENTICATION_STRING"] = $"Authorization=AAD;ClientId={ClientId}",
            ["Storage__TableServiceUri"] = "https://stprod.table.core.windows.net",
            ["Storage__QueueServiceUri"] = "https://stprod.queue.core.windows.net",
            ["CallEvents__Transport"] = "ServiceBus",
            ["CallEvents__QueueName"] = "call-events",
            ["CallEventsQueueName"] = "call-events",
            ["CallEvents__ServiceBusNamespace"] = "sb-prod.servicebus.windows.net",
            ["Acs__Endpoint"] = "https://acs-prod.unitedstates.communication.azure.com",
            ["Dashboard__PublicBaseUrl"] = "https://dashboard.example.org",
            ["Ingest__PublicBaseUrl"] = "https://calls.example.org",
            ["Ingest__DefaultRegion"] = "GB",
            ["DurableTaskHubName"] = "missedcalls",
            ["Recovery__TaskLinkBase"] = "https://dashboard.example.org",
        };

        Assert.Equal(expected.OrderBy(p => p.Key, StringComparer.Ordinal), settings.OrderBy(p => p.Key, StringComparer.Ordinal));
    }

    [Fact]
    public void AppSettings_Evaluated_LeaveRuntimeSelectionToFunctionAppConfig()
    {
        // Flex Consumption rejects these settings; the runtime comes from functionAppConfig.runtime.
        var names = EvaluatedAppSettings(("twilioAccountSid", "AC" + new string('0', 32)), ("twilioAuthToken", "t")).Keys;

        Assert.DoesNotContain("FUNCTIONS_WORKER_RUNTIME", names);
        Assert.DoesNotContain("FUNCTIONS_EXTENSION_VERSION", names);
        Assert.DoesNotContain("WEBSITE_RUN_FROM_PACKAGE", names);
    }

    [Fact]
    public void AppSettings_TwilioAccountGiven_CarryItsSettingsFromTheParameters()
    {
        var sid = "AC" + new string('1', 32);
        var settings = EvaluatedAppSettings(("twilioAccountSid", sid), ("twilioAuthToken", "@Microsoft.KeyVault(SecretUri=https://kv/secrets/twilio)"),
            ("twilioStatusCallbackUrl", "https://calls.example.org/api/sms/twilio?code=k"));

        Assert.Equal(sid, settings["Twilio__AccountSid"]);
        Assert.Equal("@Microsoft.KeyVault(SecretUri=https://kv/secrets/twilio)", settings["Twilio__AuthToken"]);
        Assert.Equal("https://calls.example.org/api/sms/twilio?code=k", settings["Twilio__StatusCallbackUrl"]);
        Assert.DoesNotContain("Twilio__ApiKeySid", settings.Keys);
    }

    [Fact]
    public void AppSettings_TwilioApiKeyGiven_CarryTheKeyPairInsteadOfTheToken()
    {
        var settings = EvaluatedAppSettings(("twilioAccountSid", "AC" + new string('1', 32)), ("twilioApiKeySid", "SK" + new string('2', 32)),
            ("twilioApiKeySecret", "secret"));

        Assert.Equal("SK" + new string('2', 32), settings["Twilio__ApiKeySid"]);
        Assert.Equal("secret", settings["Twilio__ApiKeySecret"]);
        Assert.DoesNotContain("Twilio__AuthToken", settings.Keys);
    }

    [Fact]
    public void TwilioSecretParameters_Compiled_AreSecure()
    {
        foreach (var name in new[] { "twilioAuthToken", "twilioApiKeySecret", "twilioStatusCallbackUrl" })
        {
            Assert.Equal("securestring", (string?)Module.Parameters[name]!["type"]);
            Assert.Equal("securestring", (string?)templates.Main.Parameters[name]!["type"]);
        }
    }

    [Fact]
    public void AppSettings_LowerCaseRegion_IsUpperCasedForTheAppsValidation()
    {
        Assert.Equal("GB", EvaluatedAppSettings(("ingestDefaultRegion", "gb"))["Ingest__DefaultRegion"]);
    }

    [Theory]
    [InlineData("Dashboard__PublicBaseUrl", "dashboardPublicBaseUrl")]
    [InlineData("Ingest__PublicBaseUrl", "ingestPublicBaseUrl")]
    public void AppSettings_EmptyPublicUrl_FallsBackToTheAppsGeneratedHostName(string setting, string parameter)
    {
        var raw = (string)Module.SingleResourceOfType("Microsoft.Web/sites/config")["properties"]!;

        // Bicep inlines the appBaseUrl variable because it depends on a runtime value (the generated host name).
        Assert.Contains(
            $"'{setting}', if(empty(parameters('{parameter}')), format('https://{{0}}', reference(resourceId('Microsoft.Web/sites', parameters('name')), '2024-11-01').defaultHostName), parameters('{parameter}'))",
            raw, StringComparison.Ordinal);
    }

    [Fact]
    public void ServiceBusModule_FullyQualifiedNamespace_IsTheHostOfTheServiceEndpoint()
    {
        // The module derives the host from namespace.properties.serviceBusEndpoint ("https://<ns>.servicebus.windows.net:443/").
        var output = (string)templates.Main.Module("servicebus").Outputs["fullyQualifiedNamespace"]!["value"]!;

        Assert.Equal(
            "[split(replace(reference(resourceId('Microsoft.ServiceBus/namespaces', parameters('name')), '2024-01-01').serviceBusEndpoint, 'https://', ''), ':')[0]]",
            output);
    }

    private Dictionary<string, string> EvaluatedAppSettings(params (string Name, string Value)[] overrides)
    {
        var config = Module.SingleResourceOfType("Microsoft.Web/sites/config");
        var evaluated = Evaluator(overrides).EvaluateValue(config["properties"])!.AsObject();
        return evaluated.ToDictionary(p => p.Key, p => (string)p.Value!);
    }

    private ArmExpressionEvaluator Evaluator(params (string Name, string Value)[] overrides)
    {
        var parameters = DefaultParameters();
        foreach (var (name, value) in overrides)
        {
            parameters[name] = value;
        }

        return new ArmExpressionEvaluator(Module.Root, parameters);
    }

    internal static Dictionary<string, JsonNode?> DefaultParameters() => new()
    {
        ["name"] = "func-prod",
        ["planName"] = "plan-prod",
        ["location"] = "eastus2",
        ["identityId"] = IdentityId,
        ["identityClientId"] = ClientId,
        ["storageAccountName"] = "stprod",
        ["deploymentContainerName"] = "app-package",
        ["blobServiceUri"] = "https://stprod.blob.core.windows.net",
        ["queueServiceUri"] = "https://stprod.queue.core.windows.net",
        ["tableServiceUri"] = "https://stprod.table.core.windows.net",
        ["serviceBusFullyQualifiedNamespace"] = "sb-prod.servicebus.windows.net",
        ["serviceBusQueueName"] = "call-events",
        ["communicationHostName"] = "acs-prod.unitedstates.communication.azure.com",
        ["applicationInsightsConnectionString"] = "InstrumentationKey=00000000-0000-0000-0000-000000000000;IngestionEndpoint=https://eastus2-0.in.applicationinsights.azure.com/",
        // Fixed public URLs keep the evaluation away from reference(), which needs a live deployment.
        ["dashboardPublicBaseUrl"] = "https://dashboard.example.org",
        ["ingestPublicBaseUrl"] = "https://calls.example.org",
        ["ingestDefaultRegion"] = "GB",
        ["twilioAccountSid"] = "",
        ["twilioAuthToken"] = "",
        ["twilioApiKeySid"] = "",
        ["twilioApiKeySecret"] = "",
        ["twilioStatusCallbackUrl"] = "",
    };
}
