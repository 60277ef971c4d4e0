using System.Text.Json.Nodes;

namespace MissedCallFunctions.Infra.Tests;

[Collection(CompiledTemplatesCollection.Name)]
public sealed class EventGridTemplateTests(CompiledTemplates templates)
{
    private const string WebhookKey = "k3y-value";

    [Fact]
    public void SystemTopic_Compiled_IsAttachedToTheAcsResource()
    {
        var topic = templates.Main.SingleResourceOfType("Microsoft.EventGrid/systemTopics");

        Assert.Equal("Microsoft.Communication.CommunicationServices", (string?)topic["properties"]!["topicType"]);
        Assert.Contains("'Microsoft.Communication/communicationServices'", (string?)topic["properties"]!["source"], StringComparison.Ordinal);
        Assert.Equal("global", (string?)topic["location"]);
    }

    [Fact]
    public void MainTemplate_EventSubscriptions_AreNotCreatedInPhaseOne()
    {
        Assert.Empty(templates.Main.AllResourcesOfType("Microsoft.EventGrid/systemTopics/eventSubscriptions"));
    }

    [Fact]
    public void SmsSubscription_Evaluated_DeliversSmsEventsAsCloudEventsToTheSmsEndpoint()
    {
        var subscription = Subscription("sms-to-functions", incomingCallNumbers: []);

        Assert.Equal("CloudEventSchemaV1_0", (string?)subscription["eventDeliverySchema"]);
        Assert.Equal("WebHook", (string?)subscription["destination"]!["endpointType"]);
        Assert.Equal($"https://func-prod.azurewebsites.net/api/sms/acs?code={WebhookKey}", (string?)subscription["destination"]!["properties"]!["endpointUrl"]);
        Assert.Equal(
            ["Microsoft.Communication.SMSReceived", "Microsoft.Communication.SMSDeliveryReportReceived"],
            subscription["filter"]!["includedEventTypes"]!.AsArray().Select(e => (string)e!));
    }

    [Fact]
    public void IncomingCallSubscription_Evaluated_RetriesOnceWithinOneMinute()
    {
        var subscription = Subscription("incoming-call-to-functions", incomingCallNumbers: []);

        Assert.Equal("CloudEventSchemaV1_0", (string?)subscription["eventDeliverySchema"]);
        Assert.Equal($"https://func-prod.azurewebsites.net/api/calls/acs?code={WebhookKey}", (string?)subscription["destination"]!["properties"]!["endpointUrl"]);
        Assert.Equal(["Microsoft.Communication.IncomingCall"], subscription["filter"]!["includedEventTypes"]!.AsArray().Select(e => (string)e!));
        Assert.Equal(2, (int)subscription["retryPolicy"]!["maxDeliveryAttempts"]!);
        Assert.Equal(1, (int)subscription["retryPolicy"]!["eventTimeToLiveInMinutes"]!);
        Assert.Empty(subscription["filter"]!["advancedFilters"]!.AsArray());
    }

    [Fact]
    public void IncomingCallSubscription_ClinicNumbersGiven_FiltersOnTheDialledNumber()
    {
        var subscription = Subscription("incoming-call-to-functions", incomingCallNumbers: ["+14255550123", "+442071838750"]);

        var filter = Assert.Single(subscription["filter"]!["advancedFilters"]!.AsArray())!;
        Assert.Equal("StringIn", (string?)filter["operatorType"]);
        Assert.Equal("data.to.PhoneNumber.Value", (string?)filter["key"]);
        Assert.Equal(["+14255550123", "+442071838750"], filter["values"]!.AsArray().Select(v => (string)v!));
    }

    [Fact]
    public void SmsSubscription_Evaluated_KeepsEventGridFullRetryWindow()
    {
        var subscription = Subscription("sms-to-functions", incomingCallNumbers: []);

        Assert.Equal(30, (int)subscription["retryPolicy"]!["maxDeliveryAttempts"]!);
        Assert.Equal(1440, (int)subscription["retryPolicy"]!["eventTimeToLiveInMinutes"]!);
    }

    [Theory]
    [InlineData("sms-to-functions", "sms")]
    [InlineData("incoming-call-to-functions", "calls")]
    public void Subscriptions_AcsWebhookTokenGiven_CarryItEscapedAfterTheKey(string name, string route)
    {
        // A clinic with webhooks.acsWebhookToken answers 401 to a delivery without it: both subscriptions must carry it.
        var subscription = Subscription(name, incomingCallNumbers: [], acsWebhookToken: "tok en&1");

        Assert.Equal($"https://func-prod.azurewebsites.net/api/{route}/acs?code={WebhookKey}&token=tok%20en%261",
            (string?)subscription["destination"]!["properties"]!["endpointUrl"]);
    }

    [Fact]
    public void AcsWebhookTokenParameter_Compiled_IsSecure()
    {
        Assert.Equal("securestring", (string?)templates.Subscriptions.Parameters["acsWebhookToken"]!["type"]);
    }

    private JsonNode Subscription(string name, string[] incomingCallNumbers, string acsWebhookToken = "")
    {
        var evaluator = new ArmExpressionEvaluator(templates.Subscriptions.Root, new Dictionary<string, JsonNode?>
        {
            ["systemTopicName"] = "evgt-prod",
            ["functionAppHostName"] = "func-prod.azurewebsites.net",
            ["webhookKey"] = WebhookKey,
            ["acsWebhookToken"] = acsWebhookToken,
            ["incomingCallNumbers"] = new JsonArray(incomingCallNumbers.Select(n => (JsonNode?)n).ToArray()),
        });

        var resource = templates.Subscriptions.AllResourcesOfType("Microsoft.EventGrid/systemTopics/eventSubscriptions")
            .Single(r => evaluator.EvaluateString(r["name"]) == $"evgt-prod/{name}");
        return evaluator.EvaluateValue(resource["properties"])!;
    }
}
