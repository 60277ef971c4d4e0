using System.Globalization;
using System.Text.Json;
using MissedCallFunctions.Clinics;
using MissedCallFunctions.Ingest;
using MissedCallFunctions.Ingest.Providers;

namespace MissedCallFunctions.Tests.Ingest.Providers;

public sealed class AcsCallEventProviderTests
{
    private const string Url = "https://clinic-missedcalls.azurewebsites.net/api/calls/acs";

    private const string CallbackUrl = Url + "?clinicNumber=%2B14255550100&caller=%2B14255550123";

    private const string CorrelationId = "d6f9a6c2-3c57-4a4e-9f3f-2a1d4b7c8e90";

    private static readonly DateTimeOffset Now = new(2026, 3, 2, 14, 6, 0, TimeSpan.Zero);

    private readonly AcsCallEventProvider _provider = new();

    [Fact]
    public void Key_Always_IsAcs()
    {
        Assert.Equal("acs", _provider.Key);
    }

    [Fact]
    public void MediaTypes_Always_AreJsonAndCloudEvents()
    {
        Assert.Equal(
            new HashSet<string> { "application/json", "application/cloudevents+json", "application/cloudevents-batch+json" },
            _provider.MediaTypes.ToHashSet());
    }

    // ---- Handshakes -------------------------------------------------------------------------------------------

    [Fact]
    public void TryHandshake_EventGridValidationWithHeader_Returns200WithValidationResponse()
    {
        var request = Request(
            Sample("acs-subscription-validation.json"),
            headers: new Dictionary<string, string> { ["aeg-event-type"] = "SubscriptionValidation" });

        var reply = _provider.TryHandshake(request);

        Assert.NotNull(reply);
        Assert.Equal(200, reply.StatusCode);
        Assert.Equal("""{"validationResponse":"512d38b6-c7b8-40c8-89fe-f46f9e9622b6"}""", reply.Body);
        Assert.Equal("application/json", reply.ContentType);
    }

    [Fact]
    public void TryHandshake_EventGridValidationWithoutHeader_RecognisesEventType()
    {
        var reply = _provider.TryHandshake(Request(Sample("acs-subscription-validation.json")));

        Assert.NotNull(reply);
        Assert.Equal(200, reply.StatusCode);
        Assert.Equal("""{"validationResponse":"512d38b6-c7b8-40c8-89fe-f46f9e9622b6"}""", reply.Body);
    }

    [Fact]
    public void TryHandshake_EventGridValidationPascalCaseData_ReadsValidationCode()
    {
        const string body = """
            [{"id":"1","topic":"t","subject":"","eventType":"Microsoft.EventGrid.SubscriptionValidationEvent",
              "eventTime":"2026-03-01T10:00:00Z","dataVersion":"2","metadataVersion":"1",
              "data":{"ValidationCode":"ABC-123","ValidationUrl":"https://example.invalid:553/validate"}}]
            """;

        var reply = _provider.TryHandshake(Request(body, headers: new Dictionary<string, string> { ["aeg-event-type"] = "SubscriptionValidation" }));

        Assert.NotNull(reply);
        Assert.Equal("""{"validationResponse":"ABC-123"}""", reply.Body);
    }

    [Fact]
    public void TryHandshake_ValidationHeaderWithoutCode_Returns400()
    {
        const string body = """[{"id":"1","eventType":"Microsoft.EventGrid.SubscriptionValidationEvent","data":{}}]""";

        var reply = _provider.TryHandshake(Request(body, headers: new Dictionary<string, string> { ["aeg-event-type"] = "SubscriptionValidation" }));

        Assert.NotNull(reply);
        Assert.Equal(400, reply.StatusCode);
    }

    [Fact]
    public void TryHandshake_CloudEventsOptions_Returns200WithAllowedOriginHeaders()
    {
        var request = WebhookRequest.Create(
            "OPTIONS",
            Url,
            null,
            string.Empty,
            new Dictionary<string, string> { ["WebHook-Request-Origin"] = "eventgrid.azure.net" });

        var reply = _provider.TryHandshake(request);

        Assert.NotNull(reply);
        Assert.Equal(200, reply.StatusCode);
        Assert.Null(reply.Body);
        Assert.Equal(3, reply.Headers.Count);
        Assert.Equal("eventgrid.azure.net", reply.Headers["WebHook-Allowed-Origin"]);
        Assert.Equal("*", reply.Headers["WebHook-Allowed-Rate"]);
        Assert.Equal("POST, OPTIONS", reply.Headers["Allow"]);
    }

    [Fact]
    public void TryHandshake_OptionsWithoutOrigin_Returns400()
    {
        var reply = _provider.TryHandshake(WebhookRequest.Create("OPTIONS", Url, null, string.Empty));

        Assert.NotNull(reply);
        Assert.Equal(400, reply.StatusCode);
        Assert.Empty(reply.Headers);
    }

    [Theory]
    [InlineData("acs-incoming-call-eventgrid.json")]
    [InlineData("acs-incoming-call-cloudevent.json")]
    [InlineData("acs-add-participant-failed.json")]
    public void TryHandshake_OrdinaryDelivery_ReturnsNull(string sample)
    {
        var request = Request(Sample(sample), headers: new Dictionary<string, string> { ["aeg-event-type"] = "Notification" });

        Assert.Null(_provider.TryHandshake(request));
    }

    [Fact]
    public void TryHandshake_MalformedBodyWithoutHeader_ReturnsNull()
    {
        Assert.Null(_provider.TryHandshake(Request("{ not json SubscriptionValidationEvent")));
    }

    // ---- IncomingCall -----------------------------------------------------------------------------------------

    [Fact]
    public void Parse_IncomingCallEventGridSchema_ReturnsRingingInboundEvent()
    {
        var events = _provider.Parse(Request(Sample("acs-incoming-call-eventgrid.json")));

        var e = Assert.Single(events);
        Assert.Equal("7dec6eed-129c-43f3-a2bf-6f9e1b2d4e01", e.ProviderEventId);
        Assert.Equal(CorrelationId, e.ProviderCallId);
        Assert.Equal("+14255550100", e.ClinicNumberRaw);
        Assert.Equal("+14255550123", e.CallerRaw);
        Assert.Equal("Jordan Example", e.CallerName);
        Assert.Equal(CallDirection.Inbound, e.Direction);
        Assert.Equal(CallOutcome.Ringing, e.Outcome);
        Assert.Equal(At("2026-03-02T14:05:11.2345678Z"), e.OccurredAt);
        Assert.Equal(At("2026-03-02T14:05:11.2345678Z"), e.StartedAt);
    }

    [Fact]
    public void Parse_IncomingCallPascalCaseData_ReadsFieldsCaseInsensitively()
    {
        var events = _provider.Parse(Request(Sample("acs-incoming-call-eventgrid-pascalcase.json")));

        var e = Assert.Single(events);
        Assert.Equal("5b7f0a6d-7d43-4c0e-8d1e-3c2a9b8f1a02", e.ProviderEventId);
        Assert.Equal("0c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f", e.ProviderCallId);
        Assert.Equal("+14255550100", e.ClinicNumberRaw);
        Assert.Equal("+14255550124", e.CallerRaw);
        Assert.Null(e.CallerName);
        Assert.Equal(CallOutcome.Ringing, e.Outcome);
        Assert.Equal(At("2026-03-02T14:06:00Z"), e.OccurredAt);
    }

    [Fact]
    public void Parse_IncomingCallSingleCloudEvent_ReturnsRingingEvent()
    {
        var events = _provider.Parse(Request(Sample("acs-incoming-call-cloudevent.json"), "application/cloudevents+json; charset=utf-8"));

        var e = Assert.Single(events);
        Assert.Equal("a4b6c8d0-1e2f-4a3b-9c4d-5e6f7a8b9c03", e.ProviderEventId);
        Assert.Equal("f1e2d3c4-b5a6-4978-8695-a4b3c2d1e0f9", e.ProviderCallId);
        Assert.Equal("+14255550100", e.ClinicNumberRaw);
        Assert.Equal("+14255550125", e.CallerRaw);
        Assert.Equal("Sam Sample", e.CallerName);
        Assert.Equal(CallOutcome.Ringing, e.Outcome);
        Assert.Equal(At("2026-03-02T14:07:30.5Z"), e.OccurredAt);
    }

    [Fact]
    public void Parse_CloudEventsBatch_ReturnsOneEventPerItemAndFallsBackToRawIdAndServerCallId()
    {
        var events = _provider.Parse(Request(Sample("acs-incoming-call-cloudevents-batch.json"), "application/cloudevents-batch+json"));

        Assert.Equal(2, events.Count);
        Assert.Equal("11111111-2222-4333-8444-555555555501", events[0].ProviderEventId);
        Assert.Equal("22222222-3333-4444-8555-666666666601", events[0].ProviderCallId);
        Assert.Null(events[0].CallerName);

        var second = events[1];
        Assert.Equal("11111111-2222-4333-8444-555555555502", second.ProviderEventId);
        Assert.Equal("c2VydmVyLWNhbGwtYmF0Y2gtMg", second.ProviderCallId);
        Assert.Equal("+14255550101", second.ClinicNumberRaw);
        Assert.Equal("+14255550127", second.CallerRaw);
        Assert.Equal(CallOutcome.Ringing, second.Outcome);
    }

    [Fact]
    public void Parse_IncomingCallToAcsUser_IsSkipped()
    {
        var events = _provider.Parse(Request(Sample("acs-incoming-call-to-acs-user.json")));

        Assert.Empty(events);
    }

    [Fact]
    public void Parse_IncomingCallFromNonPhoneIdentifier_HasNoCaller()
    {
        const string body = """
            [{"id":"e1","topic":"t","subject":"s","eventType":"Microsoft.Communication.IncomingCall","eventTime":"2026-03-02T14:05:11Z",
              "dataVersion":"1.0","metadataVersion":"1",
              "data":{"to":{"kind":"phoneNumber","rawId":"4:+14255550100","phoneNumber":{"value":"+14255550100"}},
                      "from":{"kind":"unknown","rawId":"anonymous"},"correlationId":"c1"}}]
            """;

        var e = Assert.Single(_provider.Parse(Request(body)));

        Assert.Null(e.CallerRaw);
        Assert.Equal("+14255550100", e.ClinicNumberRaw);
    }

    [Fact]
    public void Parse_SubscriptionValidationEvent_IsNotACallEvent()
    {
        Assert.Empty(_provider.Parse(Request(Sample("acs-subscription-validation.json"))));
    }

    // ---- Call Automation callbacks ----------------------------------------------------------------------------

    [Theory]
    [InlineData("acs-add-participant-succeeded.json", CallOutcome.Answered)]
    [InlineData("acs-call-transfer-accepted.json", CallOutcome.Answered)]
    [InlineData("acs-add-participant-failed.json", CallOutcome.Missed)]
    [InlineData("acs-add-participant-failed-busy.json", CallOutcome.Busy)]
    [InlineData("acs-call-transfer-failed.json", CallOutcome.Missed)]
    [InlineData("acs-call-disconnected.json", CallOutcome.Abandoned)]
    public void Parse_CallbackWithQueryNumbers_MapsOutcome(string sample, CallOutcome expected)
    {
        var events = _provider.Parse(Request(Sample(sample), url: CallbackUrl));

        var e = Assert.Single(events);
        Assert.Equal(expected, e.Outcome);
        Assert.Equal(CorrelationId, e.ProviderCallId);
        Assert.Equal("+14255550100", e.ClinicNumberRaw);
        Assert.Equal("+14255550123", e.CallerRaw);
        Assert.Equal(CallDirection.Inbound, e.Direction);
        Assert.NotNull(e.OccurredAt);
    }

    [Fact]
    public void Parse_AddParticipantFailed_UsesEnvelopeIdAndTime()
    {
        var e = Assert.Single(_provider.Parse(Request(Sample("acs-add-participant-failed.json"), url: CallbackUrl)));

        Assert.Equal("c0a80101-0002-4000-8000-000000000002", e.ProviderEventId);
        Assert.Equal(At("2026-03-02T14:05:43.1Z"), e.OccurredAt);
        Assert.Equal(At("2026-03-02T14:05:43.1Z"), e.EndedAt);
    }

    [Theory]
    [InlineData("acs-call-connected.json")]
    [InlineData("acs-play-completed.json")]
    public void Parse_NonDecisiveCallback_HasNullOutcome(string sample)
    {
        var e = Assert.Single(_provider.Parse(Request(Sample(sample), url: CallbackUrl)));

        Assert.Null(e.Outcome);
        Assert.Equal(CorrelationId, e.ProviderCallId);
        Assert.Equal("+14255550100", e.ClinicNumberRaw);
    }

    [Theory]
    [InlineData("AddParticipantFailed", 486, CallOutcome.Busy)]
    [InlineData("AddParticipantFailed", 600, CallOutcome.Busy)]
    [InlineData("AddParticipantFailed", 408, CallOutcome.Missed)]
    [InlineData("AddParticipantFailed", null, CallOutcome.Missed)]
    [InlineData("CallTransferFailed", 486, CallOutcome.Busy)]
    [InlineData("AddParticipantSucceeded", 200, CallOutcome.Answered)]
    [InlineData("CallDisconnected", 200, CallOutcome.Abandoned)]
    [InlineData("CallConnected", 200, null)]
    [InlineData("RecognizeCompleted", 200, null)]
    public void MapCallback_NameAndCode_ReturnsOutcome(string name, int? code, CallOutcome? expected)
    {
        Assert.Equal(expected, AcsCallEventProvider.MapCallback(name, code));
    }

    [Fact]
    public void Parse_CallbackResultCodeAsString_StillDetectsBusy()
    {
        var body = Sample("acs-add-participant-failed.json").Replace("\"code\": 408", "\"code\": \"486\"", StringComparison.Ordinal);

        var e = Assert.Single(_provider.Parse(Request(body, url: CallbackUrl)));

        Assert.Equal(CallOutcome.Busy, e.Outcome);
    }

    [Fact]
    public void Parse_CallbackWithUnencodedPlus_RestoresPlusSign()
    {
        var e = Assert.Single(_provider.Parse(Request(Sample("acs-add-participant-failed.json"), url: Url + "?clinicNumber=+14255550100&caller=+14255550123")));

        Assert.Equal("+14255550100", e.ClinicNumberRaw);
        Assert.Equal("+14255550123", e.CallerRaw);
    }

    [Fact]
    public void Parse_CallbackWithoutCaller_HasNullCaller()
    {
        var e = Assert.Single(_provider.Parse(Request(Sample("acs-add-participant-failed.json"), url: Url + "?clinicNumber=%2B14255550100")));

        Assert.Null(e.CallerRaw);
        Assert.Equal(CallOutcome.Missed, e.Outcome);
    }

    [Fact]
    public void Parse_CallbackWithoutClinicNumber_Throws()
    {
        var ex = Assert.Throws<WebhookFormatException>(
            () => _provider.Parse(Request(Sample("acs-add-participant-failed.json"), url: Url + "?caller=%2B14255550123")));

        Assert.Equal("Call Automation callbacks need ?clinicNumber= in the callback URI", ex.Message);
    }

    // ---- Rejected bodies --------------------------------------------------------------------------------------

    [Fact]
    public void Parse_SmsReceivedEvent_ThrowsPointingToSmsEndpoint()
    {
        var ex = Assert.Throws<WebhookFormatException>(() => _provider.Parse(Request(Sample("acs-sms-received.json"))));

        Assert.Contains("SMS endpoint", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("Tuesday", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("not json")]
    [InlineData("[{\"id\":\"1\",")]
    [InlineData("42")]
    [InlineData("\"IncomingCall\"")]
    [InlineData("[]")]
    [InlineData("[42]")]
    [InlineData("{}")]
    public void Parse_MalformedBody_Throws(string body)
    {
        Assert.Throws<WebhookFormatException>(() => _provider.Parse(Request(body)));
    }

    [Theory]
    [InlineData("id")]
    [InlineData("eventType")]
    [InlineData("data")]
    public void Parse_EventGridEventMissingRequiredField_ThrowsNamingTheField(string field)
    {
        var body = WithoutField(Sample("acs-incoming-call-eventgrid.json"), field);

        var ex = Assert.Throws<WebhookFormatException>(() => _provider.Parse(Request(body)));

        Assert.Contains($"'{field}'", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("+1425", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("id")]
    [InlineData("type")]
    [InlineData("data")]
    public void Parse_CloudEventMissingRequiredField_Throws(string field)
    {
        var body = WithoutField("[" + Sample("acs-incoming-call-cloudevent.json") + "]", field);

        var ex = Assert.Throws<WebhookFormatException>(() => _provider.Parse(Request(body, "application/cloudevents-batch+json")));

        Assert.Contains($"'{field}'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_CloudEventWrongSpecVersion_Throws()
    {
        var body = Sample("acs-incoming-call-cloudevent.json").Replace("\"specversion\": \"1.0\"", "\"specversion\": \"0.3\"", StringComparison.Ordinal);

        var ex = Assert.Throws<WebhookFormatException>(() => _provider.Parse(Request(body)));

        Assert.Contains("specversion", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_BadEventTime_Throws()
    {
        var body = Sample("acs-incoming-call-eventgrid.json").Replace("2026-03-02T14:05:11.2345678Z", "yesterday", StringComparison.Ordinal);

        var ex = Assert.Throws<WebhookFormatException>(() => _provider.Parse(Request(body)));

        Assert.DoesNotContain("yesterday", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_IncomingCallWithoutTo_Throws()
    {
        var body = """
            [{"id":"e1","eventType":"Microsoft.Communication.IncomingCall","eventTime":"2026-03-02T14:05:11Z",
              "data":{"from":{"rawId":"4:+14255550123"},"correlationId":"c1"}}]
            """;

        var ex = Assert.Throws<WebhookFormatException>(() => _provider.Parse(Request(body)));

        Assert.Contains("data.to", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_IncomingCallWithoutCallIds_Throws()
    {
        var body = """
            [{"id":"e1","eventType":"Microsoft.Communication.IncomingCall","eventTime":"2026-03-02T14:05:11Z",
              "data":{"to":{"rawId":"4:+14255550100"},"from":{"rawId":"4:+14255550123"}}}]
            """;

        Assert.Throws<WebhookFormatException>(() => _provider.Parse(Request(body)));
    }

    [Theory]
    [InlineData("Microsoft.Communication.ChatMessageReceived")]
    [InlineData("Microsoft.Communication.CallStarted")]
    [InlineData("Microsoft.Storage.BlobCreated")]
    public void Parse_NonCallEventType_Throws(string type)
    {
        var body = $$$"""
            [{"id":"e1","eventType":"{{{type}}}","eventTime":"2026-03-02T14:05:11Z","data":{"messageBody":"hello"}}]
            """;

        var ex = Assert.Throws<WebhookFormatException>(() => _provider.Parse(Request(body)));

        Assert.DoesNotContain(type, ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("hello", ex.Message, StringComparison.Ordinal);
    }

    // ---- Verify -----------------------------------------------------------------------------------------------

    [Fact]
    public void Verify_NoTokenConfigured_IsValid()
    {
        var check = _provider.Verify(Request(Sample("acs-incoming-call-eventgrid.json")), new ClinicWebhookSecrets(), Now);

        Assert.Equal(SignatureStatus.Valid, check.Status);
    }

    [Fact]
    public void Verify_MatchingToken_IsValid()
    {
        var request = Request(Sample("acs-incoming-call-eventgrid.json"), url: Url + "?code=fnkey&token=s3cret-Token");

        var check = _provider.Verify(request, new ClinicWebhookSecrets { AcsWebhookToken = "s3cret-Token" }, Now);

        Assert.Equal(SignatureStatus.Valid, check.Status);
    }

    [Fact]
    public void Verify_MatchingTokenOnCallbackUrl_IsValid()
    {
        var request = Request(Sample("acs-add-participant-failed.json"), url: CallbackUrl + "&token=s3cret-Token");

        var check = _provider.Verify(request, new ClinicWebhookSecrets { AcsWebhookToken = "s3cret-Token" }, Now);

        Assert.True(check.IsValid);
    }

    [Theory]
    [InlineData("wrong")]
    [InlineData("s3cret-token")]
    [InlineData("s3cret-Token-and-more")]
    public void Verify_WrongToken_IsInvalid(string token)
    {
        var request = Request(Sample("acs-incoming-call-eventgrid.json"), url: $"{Url}?token={Uri.EscapeDataString(token)}");

        var check = _provider.Verify(request, new ClinicWebhookSecrets { AcsWebhookToken = "s3cret-Token" }, Now);

        Assert.Equal(SignatureStatus.Invalid, check.Status);
        Assert.DoesNotContain("s3cret", check.Detail, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(Url)]
    [InlineData(Url + "?token=")]
    [InlineData(Url + "?code=fnkey")]
    public void Verify_MissingToken_IsMissing(string url)
    {
        var check = _provider.Verify(Request(Sample("acs-incoming-call-eventgrid.json"), url: url), new ClinicWebhookSecrets { AcsWebhookToken = "s3cret-Token" }, Now);

        Assert.Equal(SignatureStatus.Missing, check.Status);
    }

    // ---- Helpers ----------------------------------------------------------------------------------------------

    private static WebhookRequest Request(
        string body,
        string contentType = "application/json",
        string url = Url,
        IReadOnlyDictionary<string, string>? headers = null)
        => WebhookRequest.Create("POST", url, contentType, body, headers);

    private static string Sample(string name)
        => File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Samples", "providers", name));

    private static DateTimeOffset At(string iso) => DateTimeOffset.Parse(iso, CultureInfo.InvariantCulture);

    /// <summary>The JSON with one top-level field removed from every event.</summary>
    private static string WithoutField(string json, string field)
    {
        var node = System.Text.Json.Nodes.JsonNode.Parse(json)!.AsArray();
        foreach (var item in node)
        {
            item!.AsObject().Remove(field);
        }

        return node.ToJsonString(new JsonSerializerOptions { WriteIndented = false });
    }
}
