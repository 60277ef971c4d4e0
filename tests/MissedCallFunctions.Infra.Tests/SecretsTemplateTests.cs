using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace MissedCallFunctions.Infra.Tests;

/// <summary>No keys, SAS or connection strings: everything runs on the managed identity.</summary>
[Collection(CompiledTemplatesCollection.Name)]
public sealed partial class SecretsTemplateTests(CompiledTemplates templates)
{
    [Fact]
    public void CompiledTemplates_AnyListFunction_IsAbsent()
    {
        Assert.DoesNotContain("listKeys(", templates.MainJsonText, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("listKeys(", templates.SubscriptionsJsonText, StringComparison.OrdinalIgnoreCase);
        // listConnectionStrings(, listAccountSas(, listServiceSas(, listSecrets(, ...
        Assert.DoesNotMatch(ListFunction(), templates.MainJsonText);
        Assert.DoesNotMatch(ListFunction(), templates.SubscriptionsJsonText);
    }

    [Fact]
    public void BicepSources_AnyListFunction_IsAbsent()
    {
        foreach (var (file, source) in templates.BicepSources)
        {
            Assert.False(
                source.Contains("listKeys(", StringComparison.OrdinalIgnoreCase) || ListFunction().IsMatch(source),
                $"{file} calls a list*() function.");
        }
    }

    [Fact]
    public void CompiledTemplates_KeyMaterial_IsAbsent()
    {
        foreach (var text in new[] { templates.MainJsonText, templates.SubscriptionsJsonText })
        {
            Assert.DoesNotContain("AccountKey=", text, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain("SharedAccessKey", text, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain("accesskey=", text, StringComparison.OrdinalIgnoreCase);
        }
    }

    [Fact]
    public void FunctionAppSettings_Names_CarryNoConnectionStringOrKey()
    {
        var settings = AppSettingNames().ToList();
        Assert.NotEmpty(settings);

        foreach (var name in settings)
        {
            if (name == "APPLICATIONINSIGHTS_CONNECTION_STRING")
            {
                // Names the component; useless without an Entra token while local auth is disabled.
                continue;
            }

            Assert.False(name.EndsWith("ConnectionString", StringComparison.OrdinalIgnoreCase), name);
            Assert.False(name.EndsWith("CONNECTION_STRING", StringComparison.OrdinalIgnoreCase), name);
            Assert.DoesNotContain("AccountKey", name, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain("SharedAccessKey", name, StringComparison.OrdinalIgnoreCase);
        }
    }

    [Fact]
    public void SubscriptionsTemplate_WebhookKey_IsSecureAndNeverOutput()
    {
        var parameter = templates.Subscriptions.Parameters["webhookKey"]!;

        Assert.Equal("securestring", (string?)parameter["type"]);
        Assert.Null(parameter["defaultValue"]);
        foreach (var (name, output) in templates.Subscriptions.Outputs)
        {
            Assert.DoesNotContain("webhookKey", output!.ToJsonString(), StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain("endpointUrl", output.ToJsonString(), StringComparison.OrdinalIgnoreCase);
            Assert.NotEqual("webhookKey", name);
        }
    }

    [Fact]
    public void MainTemplate_Outputs_ContainNoSecureValues()
    {
        // Azure resources use the managed identity; the only secrets are a third-party provider's (Twilio) credentials.
        var secure = templates.Main.Parameters
            .Where(p => ((string?)p.Value!["type"])?.StartsWith("secure", StringComparison.OrdinalIgnoreCase) == true)
            .Select(p => p.Key).Order(StringComparer.Ordinal);
        Assert.Equal(["twilioApiKeySecret", "twilioAuthToken", "twilioStatusCallbackUrl"], secure);
        foreach (var (_, output) in templates.Main.Outputs)
        {
            Assert.DoesNotContain("secure", (string?)output!["type"], StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain("parameters('twilio", (string?)output["value"], StringComparison.OrdinalIgnoreCase);
        }
    }

    private IEnumerable<string> AppSettingNames()
    {
        // Evaluated with every optional setting given (a Twilio account), so no name hides behind a condition.
        var module = templates.Main.Module("functionapp");
        var parameters = FunctionAppTemplateTests.DefaultParameters();
        parameters["twilioAccountSid"] = "AC" + new string('0', 32);
        parameters["twilioAuthToken"] = "t";
        parameters["twilioApiKeySid"] = "SK" + new string('0', 32);
        parameters["twilioApiKeySecret"] = "s";
        parameters["twilioStatusCallbackUrl"] = "https://x/api/sms/twilio";
        var evaluator = new ArmExpressionEvaluator(module.Root, parameters);
        foreach (var config in module.AllResourcesOfType("Microsoft.Web/sites/config"))
        {
            foreach (var (name, _) in evaluator.EvaluateValue(config["properties"])!.AsObject())
            {
                yield return name;
            }
        }

        foreach (var site in templates.Main.AllResourcesOfType("Microsoft.Web/sites"))
        {
            if (site["properties"]?["siteConfig"]?["appSettings"] is JsonArray inline)
            {
                foreach (var setting in inline)
                {
                    yield return (string)setting!["name"]!;
                }
            }
        }
    }

    [GeneratedRegex(@"\blist[A-Z][A-Za-z]*\s*\(")]
    private static partial Regex ListFunction();
}
