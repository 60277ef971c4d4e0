using Microsoft.Extensions.Time.Testing;
using MissedCallFunctions.Clinics;
using MissedCallFunctions.Common;
using MissedCallFunctions.Conversation.Inbound;
using MissedCallFunctions.Ingest;
using MissedCallFunctions.Ingest.Providers;

namespace MissedCallFunctions.Tests.Conversation.Inbound;

public sealed class AcsInboundSmsProviderTests
{
    private const string Url = "https://clinic-missedcalls.azurewebsites.net/api/sms/acs";
    private const string Token = "q7RZt2w9LmX4vB8n";

    private static readonly DateTimeOffset Now = new(2026, 11, 3, 9, 45, 0, TimeSpan.Zero);

    private readonly FakeTimeProvider _time = new(Now);
    private readonly AcsInboundSmsProvider _provider;

    public AcsInboundSmsProviderTests()
    {
        _provider = new AcsInboundSmsProvider(_time);
    }

    [Fact]
    public void Contract_KeyAndMediaTypes_AreAcsJsonAndCloudEvents()
    {
        Assert.Equal("acs", _provider.Key);
        Assert.Equal(
            new HashSet<string> { "application/json", "application/cloudevents+json", "application/cloudevents-batch+json" },
            _provider.MediaTypes.ToHashSet());
    }

    // ---- SMSReceived ---------------------------------------------------------------------------------------------

    [Fact]
    public void Parse_PascalCaseDocExample_ReadsReceivedSmsWithNumbersAsSent()
    {
        var sms = Assert.IsType<ReceivedSms>(Assert.Single(_provider.Parse(Request(Sample("acs-sms-received-eventgrid.json")))));

        Assert.Equal("acs", sms.Provider);
        Assert.Equal("Incoming_20261103091744e7c1a2b3-5d6e-4f70-8a91-b2c3d4e5f607", sms.MessageId);
        Assert.Equal(sms.MessageId, sms.DedupeKey);
        Assert.Equal("14255550123", sms.FromRaw);
        Assert.Equal("14255550100", sms.ToRaw);
        Assert.Equal("Hi, can I get a cleaning on Thursday afternoon?", sms.Text);
        Assert.Equal(new DateTimeOffset(2026, 11, 3, 9, 17, 44, 218, TimeSpan.Zero), sms.ReceivedAt);
        Assert.Null(sms.SegmentCount);
        Assert.Equal(0, sms.MediaCount);
        Assert.Null(sms.OptOutType);
    }

    [Fact]
    public void Parse_PascalCaseNumbersWithoutPlus_NormalizeToE164()
    {
        var sms = Assert.IsType<ReceivedSms>(Assert.Single(_provider.Parse(Request(Sample("acs-sms-received-eventgrid.json")))));

        Assert.Equal("+14255550123", PhoneNumberTools.Normalize(sms.FromRaw, "US").E164);
        Assert.Equal("+14255550100", PhoneNumberTools.Normalize(_provider.ClinicNumberOf(sms), "US").E164);
    }

    [Fact]
    public void Parse_CamelCaseVariant_ReadsTheSameFields()
    {
        var sms = Assert.IsType<ReceivedSms>(Assert.Single(_provider.Parse(Request(Sample("acs-sms-received-eventgrid-camelcase.json")))));

        Assert.Equal("Incoming_20261103091811f0a1b2c3-6e7f-4a81-9b02-c3d4e5f60718", sms.MessageId);
        Assert.Equal("+14255550123", sms.FromRaw);
        Assert.Equal("+14255550100", sms.ToRaw);
        Assert.Equal("Thursday after 3pm works, thanks! 😊", sms.Text);
        Assert.Equal(1, sms.SegmentCount);
        Assert.Equal(new DateTimeOffset(2026, 11, 3, 9, 18, 11, TimeSpan.Zero).AddTicks(5071234), sms.ReceivedAt);
    }

    [Fact]
    public void Parse_SingleCloudEvent_ReadsReceivedSms()
    {
        var sms = Assert.IsType<ReceivedSms>(Assert.Single(_provider.Parse(
            Request(Sample("acs-sms-received-cloudevent.json"), "application/cloudevents+json; charset=utf-8"))));

        Assert.Equal("Incoming_20261103092005a9b8c7d6-1e2f-4a3b-8c4d-5e6f7a8b9c0d", sms.MessageId);
        Assert.Equal("STOP", sms.Text);
        Assert.Equal("+14255550100", _provider.ClinicNumberOf(sms));
    }

    [Fact]
    public void Parse_CloudEventsBatch_ReadsEveryEventInOrder()
    {
        var events = _provider.Parse(Request(Sample("acs-sms-cloudevents-batch.json"), "application/cloudevents-batch+json; charset=utf-8"));

        Assert.Equal(2, events.Count);
        var sms = Assert.IsType<ReceivedSms>(events[0]);
        Assert.Equal("+14255550188", sms.FromRaw);
        var report = Assert.IsType<DeliveryReport>(events[1]);
        Assert.Equal(DeliveryStatus.Delivered, report.Status);
        Assert.Equal("rec-7f3a9c:textBack", report.Tag);
    }

    [Fact]
    public void Parse_ReceivedWithoutDataMessageId_UsesTheEventId()
    {
        var body = """
            [{"id":"Incoming_abc","eventType":"Microsoft.Communication.SMSReceived","eventTime":"2026-11-03T09:00:00Z",
              "data":{"from":"+14255550123","to":"+14255550100","message":"hello"}}]
            """;

        var sms = Assert.IsType<ReceivedSms>(Assert.Single(_provider.Parse(Request(body))));

        Assert.Equal("Incoming_abc", sms.MessageId);
        Assert.Equal(new DateTimeOffset(2026, 11, 3, 9, 0, 0, TimeSpan.Zero), sms.ReceivedAt);
    }

    [Fact]
    public void Parse_ReceivedWithoutAnyTime_UsesTheClock()
    {
        var body = """{"id":"Incoming_x","specversion":"1.0","type":"Microsoft.Communication.SMSReceived","source":"/x","data":{"From":"+14255550123","To":"+14255550100","Message":""}}""";

        var sms = Assert.IsType<ReceivedSms>(Assert.Single(_provider.Parse(Request(body))));

        Assert.Equal(Now, sms.ReceivedAt);
        Assert.Equal(string.Empty, sms.Text);
    }

    [Fact]
    public void Parse_SameDeliveryTwice_GivesTheSameDedupeKey()
    {
        var first = Assert.Single(_provider.Parse(Request(Sample("acs-sms-received-eventgrid.json"))));
        var again = Assert.Single(_provider.Parse(Request(Sample("acs-sms-received-eventgrid.json"))));

        Assert.Equal(first, again);
        Assert.Equal(first.DedupeKey, again.DedupeKey);
    }

    // ---- SMSDeliveryReportReceived -------------------------------------------------------------------------------

    [Fact]
    public void Parse_DeliveredReport_MapsDeliveredWithTagAndClinicFrom()
    {
        var report = Assert.IsType<DeliveryReport>(Assert.Single(_provider.Parse(Request(Sample("acs-delivery-report-delivered.json")))));

        Assert.Equal("acs", report.Provider);
        Assert.Equal("Outgoing_20261103091622d4e5f6a7-4b5c-4d6e-9f70-8a9b0c1d2e3f", report.MessageId);
        Assert.Equal("rec-7f3a9c:textBack", report.Tag);
        Assert.Equal(DeliveryStatus.Delivered, report.Status);
        Assert.Equal("No error.", report.Detail);
        Assert.False(report.OptOutSignal);
        Assert.Equal(new DateTimeOffset(2026, 11, 3, 9, 16, 29, TimeSpan.Zero).AddTicks(4417021), report.At);
        Assert.Equal("14255550100", report.FromRaw);
        Assert.Equal("+14255550123", report.ToRaw);
        Assert.Equal("14255550100", _provider.ClinicNumberOf(report));
        Assert.Equal(report.MessageId, report.ProviderEventId);
        Assert.Equal(report.ProviderEventId, report.DedupeKey);
        Assert.Equal("Delivered", report.RawStatus);
    }

    [Fact]
    public void Parse_SenderBlockedReport_IsFailedWithOptOutSignal()
    {
        var report = Assert.IsType<DeliveryReport>(Assert.Single(_provider.Parse(Request(Sample("acs-delivery-report-blocked.json")))));

        Assert.Equal(DeliveryStatus.Failed, report.Status);
        Assert.True(report.OptOutSignal);
        Assert.Equal("Sender blocked for given recipient.", report.Detail);
        Assert.Equal("rec-7f3a9c:followUp", report.Tag);
        Assert.Equal("+14255550100", _provider.ClinicNumberOf(report));
    }

    [Fact]
    public void Parse_FailedReportForAnotherReason_HasNoOptOutSignal()
    {
        var body = Sample("acs-delivery-report-blocked.json").Replace("Sender blocked for given recipient.", "Unreachable destination.", StringComparison.Ordinal);

        var report = Assert.IsType<DeliveryReport>(Assert.Single(_provider.Parse(Request(body))));

        Assert.Equal(DeliveryStatus.Failed, report.Status);
        Assert.False(report.OptOutSignal);
    }

    [Theory]
    [InlineData("Delivered", DeliveryStatus.Delivered)]
    [InlineData("delivered", DeliveryStatus.Delivered)]
    [InlineData("Failed", DeliveryStatus.Failed)]
    [InlineData("Pending", DeliveryStatus.Sent)]
    public void Parse_DeliveryStatus_Maps(string deliveryStatus, DeliveryStatus expected)
    {
        var body = Sample("acs-delivery-report-delivered.json").Replace("\"Delivered\"", $"\"{deliveryStatus}\"", StringComparison.Ordinal);

        var report = Assert.IsType<DeliveryReport>(Assert.Single(_provider.Parse(Request(body))));

        Assert.Equal(expected, report.Status);
        Assert.Equal(deliveryStatus, report.RawStatus);
    }

    [Fact]
    public void Parse_ReportWithoutReceivedTimestamp_UsesTheLastAttempt()
    {
        var body = """
            [{"id":"Outgoing_1","eventType":"Microsoft.Communication.SMSDeliveryReportReceived","eventTime":"2026-11-03T10:00:00Z",
              "data":{"messageId":"Outgoing_1","from":"+14255550100","to":"+14255550123","deliveryStatus":"Failed",
                "deliveryAttempts":[{"timestamp":"2026-11-03T09:58:00Z","segmentsSucceeded":0,"segmentsFailed":1},
                                    {"timestamp":"2026-11-03T09:59:30Z","segmentsSucceeded":0,"segmentsFailed":1}]}}]
            """;

        var report = Assert.IsType<DeliveryReport>(Assert.Single(_provider.Parse(Request(body))));

        Assert.Equal(new DateTimeOffset(2026, 11, 3, 9, 59, 30, TimeSpan.Zero), report.At);
        Assert.Null(report.Tag);
        Assert.Equal("Failed", report.Detail);
    }

    // ---- other event types ---------------------------------------------------------------------------------------

    [Fact]
    public void Parse_MixedEventTypes_KeepsOnlySmsEvents()
    {
        var sms = Assert.IsType<ReceivedSms>(Assert.Single(_provider.Parse(Request(Sample("acs-sms-mixed-event-types.json")))));

        Assert.Equal("Sorry, wrong number", sms.Text);
    }

    [Fact]
    public void Parse_OnlyUnhandledEventTypes_ReturnsNothing()
    {
        var body = """[{"id":"1","eventType":"Microsoft.Communication.RecordingFileStatusUpdated","eventTime":"2026-11-03T09:00:00Z","data":{}}]""";

        Assert.Empty(_provider.Parse(Request(body)));
        Assert.Empty(_provider.Parse(Request(Sample("acs-subscription-validation.json"))));
    }

    // ---- handshakes ----------------------------------------------------------------------------------------------

    [Fact]
    public void TryHandshake_SubscriptionValidation_Returns200WithTheCode()
    {
        var reply = _provider.TryHandshake(Request(Sample("acs-subscription-validation.json"),
            headers: new Dictionary<string, string> { ["aeg-event-type"] = "SubscriptionValidation" }));

        Assert.NotNull(reply);
        Assert.Equal(200, reply.StatusCode);
        Assert.Equal("""{"validationResponse":"8a1e6f4c-0d3b-4c7e-a2f9-5b6c7d8e9f01"}""", reply.Body);
        Assert.Equal("application/json", reply.ContentType);
    }

    [Fact]
    public void TryHandshake_CloudEventsOptions_AllowsTheOrigin()
    {
        var request = new WebhookRequest("OPTIONS", new Uri(Url), new Dictionary<string, string> { ["WebHook-Request-Origin"] = "eventgrid.azure.net" },
            null, ReadOnlyMemory<byte>.Empty);

        var reply = _provider.TryHandshake(request);

        Assert.NotNull(reply);
        Assert.Equal(200, reply.StatusCode);
        Assert.Equal("eventgrid.azure.net", reply.Headers["WebHook-Allowed-Origin"]);
    }

    [Fact]
    public void TryHandshake_OptionsWithoutOrigin_Is400()
    {
        var request = new WebhookRequest("OPTIONS", new Uri(Url), new Dictionary<string, string>(), null, ReadOnlyMemory<byte>.Empty);

        Assert.Equal(400, _provider.TryHandshake(request)?.StatusCode);
    }

    [Theory]
    [InlineData("acs-sms-received-eventgrid.json")]
    [InlineData("acs-delivery-report-delivered.json")]
    [InlineData("acs-sms-received-cloudevent.json")]
    public void TryHandshake_Notification_ReturnsNull(string sample)
    {
        Assert.Null(_provider.TryHandshake(Request(Sample(sample), headers: new Dictionary<string, string> { ["aeg-event-type"] = "Notification" })));
    }

    // ---- verification --------------------------------------------------------------------------------------------

    [Fact]
    public void Verify_NoClinicToken_IsValid()
    {
        Assert.Equal(SignatureStatus.Valid, _provider.Verify(Request(Sample("acs-sms-received-eventgrid.json")), new ClinicWebhookSecrets(), Now).Status);
    }

    [Fact]
    public void Verify_MatchingToken_IsValid()
    {
        var request = Request(Sample("acs-sms-received-eventgrid.json"), url: Url + "?token=" + Token);

        Assert.Equal(SignatureStatus.Valid, _provider.Verify(request, Secrets(), Now).Status);
    }

    [Fact]
    public void Verify_WrongToken_IsInvalid()
    {
        var request = Request(Sample("acs-sms-received-eventgrid.json"), url: Url + "?token=" + Token + "x");

        Assert.Equal(SignatureStatus.Invalid, _provider.Verify(request, Secrets(), Now).Status);
    }

    [Fact]
    public void Verify_MissingToken_IsMissing()
    {
        Assert.Equal(SignatureStatus.Missing, _provider.Verify(Request(Sample("acs-sms-received-eventgrid.json")), Secrets(), Now).Status);
    }

    // ---- malformed -----------------------------------------------------------------------------------------------

    [Theory]
    [InlineData("")]
    [InlineData("not json")]
    [InlineData("42")]
    [InlineData("[]")]
    [InlineData("[1]")]
    [InlineData("""[{"id":"1","data":{}}]""")]
    [InlineData("""{"id":"1","specversion":"2.0","type":"Microsoft.Communication.SMSReceived","data":{}}""")]
    [InlineData("""[{"eventType":"Microsoft.Communication.SMSReceived","data":{"from":"+14255550123","to":"+14255550100","message":"x"}}]""")]
    [InlineData("""[{"id":"1","eventType":"Microsoft.Communication.SMSReceived"}]""")]
    [InlineData("""[{"id":"1","eventType":"Microsoft.Communication.SMSReceived","data":{"to":"+14255550100","message":"x"}}]""")]
    [InlineData("""[{"id":"1","eventType":"Microsoft.Communication.SMSReceived","data":{"from":"+14255550123","message":"x"}}]""")]
    [InlineData("""[{"id":"1","eventType":"Microsoft.Communication.SMSReceived","data":{"from":"+14255550123","to":"+14255550100"}}]""")]
    [InlineData("""[{"id":"1","eventType":"Microsoft.Communication.SMSReceived","data":{"from":"+14255550123","to":"+14255550100","message":7}}]""")]
    [InlineData("""[{"id":"1","eventType":"Microsoft.Communication.SMSReceived","data":{"from":12,"to":"+14255550100","message":"x"}}]""")]
    [InlineData("""[{"id":"1","eventType":"Microsoft.Communication.SMSReceived","data":{"from":"+14255550123","to":"+14255550100","message":"x","receivedTimestamp":"yesterday"}}]""")]
    [InlineData("""[{"id":"1","eventType":"Microsoft.Communication.SMSDeliveryReportReceived","data":{"from":"+14255550100","to":"+14255550123"}}]""")]
    [InlineData("""[{"id":"1","eventType":"Microsoft.Communication.SMSDeliveryReportReceived","data":{"from":"+14255550100","deliveryStatus":"Delivered"}}]""")]
    public void Parse_Malformed_ThrowsWebhookFormatException(string body)
    {
        Assert.Throws<WebhookFormatException>(() => _provider.Parse(Request(body)));
    }

    [Fact]
    public void Parse_MalformedMessage_NeverQuotesTheBody()
    {
        var body = """[{"id":"1","eventType":"Microsoft.Communication.SMSReceived","data":{"from":"+14255550123","to":"+14255550100","message":"x","receivedTimestamp":"my secret 07700900123"}}]""";

        var error = Assert.Throws<WebhookFormatException>(() => _provider.Parse(Request(body)));

        Assert.DoesNotContain("07700900123", error.Message, StringComparison.Ordinal);
    }

    // ---- helpers -------------------------------------------------------------------------------------------------

    private static ClinicWebhookSecrets Secrets() => new() { AcsWebhookToken = Token };

    internal static string Sample(string name) => File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Samples", "sms", name));

    private static WebhookRequest Request(string body, string contentType = "application/json", string url = Url,
        IReadOnlyDictionary<string, string>? headers = null)
        => WebhookRequest.Create("POST", url, contentType, body, headers);
}
