using System.Text.Json.Nodes;

namespace MissedCallFunctions.Infra.Tests;

[Collection(CompiledTemplatesCollection.Name)]
public sealed class ServiceBusTemplateTests(CompiledTemplates templates)
{
    private JsonObject Queue => templates.Main.SingleResourceOfType("Microsoft.ServiceBus/namespaces/queues");

    private JsonObject Namespace => templates.Main.SingleResourceOfType("Microsoft.ServiceBus/namespaces");

    [Fact]
    public void CallEventsQueue_Compiled_HasDuplicateDetectionWithTenMinuteWindow()
    {
        var properties = Queue["properties"]!;

        Assert.True((bool)properties["requiresDuplicateDetection"]!);
        Assert.Equal("PT10M", (string?)properties["duplicateDetectionHistoryTimeWindow"]);
    }

    [Fact]
    public void CallEventsQueue_Compiled_DeadLettersExpiredMessagesAfterTenDeliveries()
    {
        var properties = Queue["properties"]!;

        Assert.True((bool)properties["deadLetteringOnMessageExpiration"]!);
        Assert.Equal(10, (int)properties["maxDeliveryCount"]!);
        Assert.False((bool)properties["requiresSession"]!);
    }

    [Fact]
    public void CallEventsQueue_MainDeployment_IsNamedCallEvents()
    {
        var evaluator = MainEvaluator.Create(templates.Main);
        var queueName = evaluator.EvaluateValue(
            templates.Main.ModuleDeployment("servicebus")["properties"]!["parameters"]!["queueName"]!["value"]);

        Assert.Equal("call-events", (string?)queueName);
    }

    [Fact]
    public void ServiceBusNamespace_Compiled_IsStandardWithLocalAuthDisabledAndTls12()
    {
        var ns = Namespace;

        Assert.Equal("Standard", (string?)ns["sku"]!["name"]);
        Assert.True((bool)ns["properties"]!["disableLocalAuth"]!);
        Assert.Equal("1.2", (string?)ns["properties"]!["minimumTlsVersion"]);
    }
}
