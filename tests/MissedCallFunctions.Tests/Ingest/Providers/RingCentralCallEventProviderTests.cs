using System.Globalization;
using System.Text.Json.Nodes;
using MissedCallFunctions.Clinics;
using MissedCallFunctions.Ingest;
using MissedCallFunctions.Ingest.Providers;

namespace MissedCallFunctions.Tests.Ingest.Providers;

public sealed class RingCentralCallEventProviderTests
{
    private const string Url = "https://clinic-missedcalls.azurewebsites.net/api/calls/ringcentral";

    private const string SessionId = "s-a0d7e2a3f8c24f3e9b1c7d6e5f4a3b2c";

    private const string VerificationToken = "9f3c1a7e5b2d4c6e8a0b1c2d3e4f5a6b";

    private static readonly DateTimeOffset Now = new(2026, 3, 2, 14, 6, 0, TimeSpan.Zero);

    private static readonly ClinicWebhookSecrets Secrets = new() { RingCentralVerificationToken = VerificationToken };

    private readonly RingCentralCallEventProvider _provider = new();

    [Fact]
    public void Key_Always_IsRingCentral()
    {
        Assert.Equal("ringcentral", _provider.Key);
    }

    [Fact]
    public void MediaTypes_Always_IsJsonOnly()
    {
        Assert.Equal(["application/json"], _provider.MediaTypes);
    }

    // ---- Handshake --------------------------------------------------------------------------------------------

    [Fact]
    public void TryHandshake_ValidationTokenWithEmptyBody_EchoesTokenWith200AndNoBody()
    {
        var request = Request(string.Empty, new Dictionary<string, string> { ["Validation-Token"] = "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d" });

        var reply = _provider.TryHandshake(request);

        Assert.NotNull(reply);
        Assert.Equal(200, reply.StatusCode);
        Assert.Null(reply.Body);
        Assert.Null(reply.ContentType);
        var header = Assert.Single(reply.Headers);
        Assert.Equal("Validation-Token", header.Key);
        Assert.Equal("a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d", header.Value);
    }

    [Fact]
    public void TryHandshake_ValidationTokenHeaderNameInOtherCase_StillEchoes()
    {
        var request = Request(string.Empty, new Dictionary<string, string> { ["validation-token"] = "tok-1" });

        var reply = _provider.TryHandshake(request);

        Assert.NotNull(reply);
        Assert.Equal("tok-1", reply.Headers["Validation-Token"]);
    }

    [Fact]
    public void TryHandshake_ValidationTokenWithNonNotificationJson_EchoesToken()
    {
        var reply = _provider.TryHandshake(Request("{}", new Dictionary<string, string> { ["Validation-Token"] = "tok-2" }));

        Assert.NotNull(reply);
        Assert.Equal(200, reply.StatusCode);
        Assert.Equal("tok-2", reply.Headers["Validation-Token"]);
    }

    [Fact]
    public void TryHandshake_NotificationCarryingValidationToken_ReturnsNull()
    {
        var request = Request(Sample("ringcentral-missed.json"), new Dictionary<string, string> { ["Validation-Token"] = VerificationToken });

        Assert.Null(_provider.TryHandshake(request));
    }

    [Fact]
    public void TryHandshake_NoValidationToken_ReturnsNull()
    {
        Assert.Null(_provider.TryHandshake(Request(string.Empty)));
        Assert.Null(_provider.TryHandshake(Request(Sample("ringcentral-missed.json"), Verified())));
    }

    [Fact]
    public void TryHandshake_OversizedValidationToken_Returns400()
    {
        var reply = _provider.TryHandshake(Request(string.Empty, new Dictionary<string, string> { ["Validation-Token"] = new string('x', 600) }));

        Assert.NotNull(reply);
        Assert.Equal(400, reply.StatusCode);
        Assert.Empty(reply.Headers);
    }

    // ---- Parse: samples ---------------------------------------------------------------------------------------

    [Fact]
    public void Parse_MissedCallFlag_ReturnsMissedInboundEvent()
    {
        var events = _provider.Parse(Request(Sample("ringcentral-missed.json")));

        var e = Assert.Single(events);
        Assert.Equal($"{SessionId}:9", e.ProviderEventId);
        Assert.Equal(SessionId, e.ProviderCallId);
        Assert.Equal("+14255550100", e.ClinicNumberRaw);
        Assert.Equal("+14255550123", e.CallerRaw);
        Assert.Equal("WIRELESS CALLER", e.CallerName);
        Assert.Equal(CallDirection.Inbound, e.Direction);
        Assert.Equal(CallOutcome.Missed, e.Outcome);
        Assert.Null(e.VoicemailLeft);
        Assert.Equal(At("2026-03-02T14:05:41.652Z"), e.OccurredAt);
        Assert.Equal(At("2026-03-02T14:05:41.652Z"), e.EndedAt);
    }

    [Theory]
    [InlineData("ringcentral-no-answer.json", CallOutcome.Missed)]
    [InlineData("ringcentral-busy.json", CallOutcome.Busy)]
    [InlineData("ringcentral-answered.json", CallOutcome.Answered)]
    [InlineData("ringcentral-voicemail.json", CallOutcome.Voicemail)]
    public void Parse_Sample_MapsOutcome(string sample, CallOutcome expected)
    {
        var e = Assert.Single(_provider.Parse(Request(Sample(sample))));

        Assert.Equal(expected, e.Outcome);
        Assert.Equal(SessionId, e.ProviderCallId);
        Assert.Equal("+14255550100", e.ClinicNumberRaw);
        Assert.Equal(CallDirection.Inbound, e.Direction);
    }

    [Fact]
    public void Parse_Voicemail_LeavesVoicemailLeftUnknown()
    {
        var e = Assert.Single(_provider.Parse(Request(Sample("ringcentral-voicemail.json"))));

        Assert.Equal(CallOutcome.Voicemail, e.Outcome);
        Assert.Null(e.VoicemailLeft);
    }

    [Theory]
    [InlineData("ringcentral-setup.json")]
    [InlineData("ringcentral-disconnected-after-answer.json")]
    public void Parse_NonDecisiveStatus_HasNullOutcome(string sample)
    {
        var e = Assert.Single(_provider.Parse(Request(Sample(sample))));

        Assert.Null(e.Outcome);
        Assert.Equal(SessionId, e.ProviderCallId);
    }

    [Fact]
    public void Parse_OutboundParty_UsesFromAsClinicNumber()
    {
        var e = Assert.Single(_provider.Parse(Request(Sample("ringcentral-outbound-answered.json"))));

        Assert.Equal(CallDirection.Outbound, e.Direction);
        Assert.Equal("+14255550100", e.ClinicNumberRaw);
        Assert.Equal("+14255550123", e.CallerRaw);
        Assert.Equal(CallOutcome.Answered, e.Outcome);
        Assert.Equal("s-b1e8f3b4a9d35a4fac2d8e7f6a5b4c3d:3", e.ProviderEventId);
    }

    [Fact]
    public void Parse_RingGroupWithOneAnsweredParty_IsAnswered()
    {
        var e = Assert.Single(_provider.Parse(Request(Sample("ringcentral-ring-group.json"))));

        Assert.Equal(CallOutcome.Answered, e.Outcome);
        Assert.Equal("s-c2f9a4c5b0e46b5bbd3e9f8a7b6c5d4e:6", e.ProviderEventId);
    }

    // ---- Parse: status mapping --------------------------------------------------------------------------------

    [Theory]
    [InlineData("Disconnected", null, true, CallOutcome.Missed)]
    [InlineData("Disconnected", "NoAnswer", null, CallOutcome.Missed)]
    [InlineData("Disconnected", "Timeout", false, CallOutcome.Missed)]
    [InlineData("Disconnected", "TargetBusy", null, CallOutcome.Busy)]
    [InlineData("Disconnected", "Cancelled", null, CallOutcome.Abandoned)]
    [InlineData("Disconnected", "Cancelled", true, CallOutcome.Abandoned)]
    [InlineData("Disconnected", "Rejected", null, CallOutcome.Failed)]
    [InlineData("Disconnected", "InvalidNumber", null, CallOutcome.Failed)]
    [InlineData("Disconnected", "CallerInputRedirect", true, CallOutcome.Missed)]
    [InlineData("Disconnected", "CallerInputRedirect", false, null)]
    [InlineData("Disconnected", null, false, null)]
    [InlineData("Disconnected", null, null, null)]
    [InlineData("VoiceMail", null, null, CallOutcome.Voicemail)]
    [InlineData("Answered", null, false, CallOutcome.Answered)]
    [InlineData("Setup", null, null, null)]
    [InlineData("Proceeding", null, null, null)]
    [InlineData("Hold", null, null, null)]
    [InlineData("Parked", null, null, null)]
    [InlineData("Gone", null, null, null)]
    public void Parse_PartyStatus_MapsOutcome(string code, string? reason, bool? missedCall, CallOutcome? expected)
    {
        var e = Assert.Single(_provider.Parse(Request(Notification(code, reason, missedCall))));

        Assert.Equal(expected, e.Outcome);
    }

    [Theory]
    [InlineData("disconnected", "noanswer", CallOutcome.Missed)]
    [InlineData("ANSWERED", null, CallOutcome.Answered)]
    public void MapStatus_AnyCasing_MapsOutcome(string code, string? reason, CallOutcome expected)
    {
        Assert.Equal(expected, RingCentralCallEventProvider.MapStatus(code, reason, null));
    }

    [Fact]
    public void Parse_NoSequence_FallsBackToEnvelopeUuid()
    {
        var json = JsonNode.Parse(Sample("ringcentral-missed.json"))!;
        json["body"]!.AsObject().Remove("sequence");

        var e = Assert.Single(_provider.Parse(Request(json.ToJsonString())));

        Assert.Equal("6479131530539549148", e.ProviderEventId);
    }

    [Fact]
    public void Parse_NoEventTime_FallsBackToEnvelopeTimestamp()
    {
        var json = JsonNode.Parse(Sample("ringcentral-missed.json"))!;
        json["body"]!.AsObject().Remove("eventTime");
        json["timestamp"] = "2026-03-02T14:05:42Z";

        var e = Assert.Single(_provider.Parse(Request(json.ToJsonString())));

        Assert.Equal(At("2026-03-02T14:05:42Z"), e.OccurredAt);
    }

    [Fact]
    public void Parse_AnonymousCaller_HasNullCaller()
    {
        var json = JsonNode.Parse(Sample("ringcentral-missed.json"))!;
        json["body"]!["parties"]![0]!["from"] = new JsonObject { ["name"] = "Anonymous" };

        var e = Assert.Single(_provider.Parse(Request(json.ToJsonString())));

        Assert.Null(e.CallerRaw);
        Assert.Equal("Anonymous", e.CallerName);
        Assert.Equal(CallOutcome.Missed, e.Outcome);
    }

    [Fact]
    public void Parse_ExtensionOnlyCall_IsSkipped()
    {
        var json = JsonNode.Parse(Sample("ringcentral-missed.json"))!;
        json["body"]!["parties"]![0]!["to"] = new JsonObject { ["extensionNumber"] = "101", ["name"] = "Front Desk" };

        Assert.Empty(_provider.Parse(Request(json.ToJsonString())));
    }

    // ---- Parse: rejected bodies -------------------------------------------------------------------------------

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("not json")]
    [InlineData("{\"uuid\":")]
    [InlineData("[]")]
    [InlineData("\"Disconnected\"")]
    [InlineData("{}")]
    [InlineData("{\"uuid\":\"1\",\"event\":\"/restapi/v1.0/account/1/telephony/sessions\",\"body\":\"text\"}")]
    public void Parse_MalformedBody_Throws(string body)
    {
        Assert.Throws<WebhookFormatException>(() => _provider.Parse(Request(body)));
    }

    [Fact]
    public void Parse_MissingParties_Throws()
    {
        var json = JsonNode.Parse(Sample("ringcentral-missed.json"))!;
        json["body"]!.AsObject().Remove("parties");

        var ex = Assert.Throws<WebhookFormatException>(() => _provider.Parse(Request(json.ToJsonString())));

        Assert.Contains("parties", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_EmptyParties_Throws()
    {
        var json = JsonNode.Parse(Sample("ringcentral-missed.json"))!;
        json["body"]!["parties"] = new JsonArray();

        Assert.Throws<WebhookFormatException>(() => _provider.Parse(Request(json.ToJsonString())));
    }

    [Fact]
    public void Parse_PartyNotAnObject_Throws()
    {
        var json = JsonNode.Parse(Sample("ringcentral-missed.json"))!;
        json["body"]!["parties"] = new JsonArray("p-1");

        Assert.Throws<WebhookFormatException>(() => _provider.Parse(Request(json.ToJsonString())));
    }

    [Fact]
    public void Parse_MissingSessionIds_Throws()
    {
        var json = JsonNode.Parse(Sample("ringcentral-missed.json"))!;
        json["body"]!.AsObject().Remove("telephonySessionId");
        json["body"]!.AsObject().Remove("sessionId");

        var ex = Assert.Throws<WebhookFormatException>(() => _provider.Parse(Request(json.ToJsonString())));

        Assert.Contains("telephonySessionId", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_NoSequenceNoUuid_Throws()
    {
        var json = JsonNode.Parse(Sample("ringcentral-missed.json"))!;
        json["body"]!.AsObject().Remove("sequence");
        json.AsObject().Remove("uuid");

        Assert.Throws<WebhookFormatException>(() => _provider.Parse(Request(json.ToJsonString())));
    }

    [Fact]
    public void Parse_UnknownDirection_ThrowsWithoutEchoingValue()
    {
        var json = JsonNode.Parse(Sample("ringcentral-missed.json"))!;
        json["body"]!["parties"]![0]!["direction"] = "Sideways";

        var ex = Assert.Throws<WebhookFormatException>(() => _provider.Parse(Request(json.ToJsonString())));

        Assert.DoesNotContain("Sideways", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_NonTelephonyEventFilter_Throws()
    {
        var json = JsonNode.Parse(Sample("ringcentral-missed.json"))!;
        json["event"] = "/restapi/v1.0/account/37439510/extension/62264425001/message-store";

        var ex = Assert.Throws<WebhookFormatException>(() => _provider.Parse(Request(json.ToJsonString())));

        Assert.DoesNotContain("message-store", ex.Message, StringComparison.Ordinal);
    }

    // ---- Verify -----------------------------------------------------------------------------------------------

    [Fact]
    public void Verify_MatchingVerificationToken_IsValid()
    {
        var check = _provider.Verify(Request(Sample("ringcentral-missed.json"), Verified()), Secrets, Now);

        Assert.Equal(SignatureStatus.Valid, check.Status);
    }

    [Fact]
    public void Verify_MatchingTokenInValidationTokenHeader_IsValid()
    {
        var request = Request(Sample("ringcentral-missed.json"), new Dictionary<string, string> { ["Validation-Token"] = VerificationToken });

        var check = _provider.Verify(request, Secrets, Now);

        Assert.Equal(SignatureStatus.Valid, check.Status);
    }

    [Theory]
    [InlineData("wrong")]
    [InlineData("9F3C1A7E5B2D4C6E8A0B1C2D3E4F5A6B")]
    [InlineData("9f3c1a7e5b2d4c6e8a0b1c2d3e4f5a6b0")]
    public void Verify_WrongToken_IsInvalid(string token)
    {
        var request = Request(Sample("ringcentral-missed.json"), new Dictionary<string, string> { ["Verification-Token"] = token });

        var check = _provider.Verify(request, Secrets, Now);

        Assert.Equal(SignatureStatus.Invalid, check.Status);
        Assert.DoesNotContain(VerificationToken, check.Detail, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void Verify_NoTokenHeader_IsMissing()
    {
        var check = _provider.Verify(Request(Sample("ringcentral-missed.json")), Secrets, Now);

        Assert.Equal(SignatureStatus.Missing, check.Status);
    }

    [Fact]
    public void Verify_BlankTokenHeader_IsMissing()
    {
        var request = Request(Sample("ringcentral-missed.json"), new Dictionary<string, string> { ["Verification-Token"] = " " });

        Assert.Equal(SignatureStatus.Missing, _provider.Verify(request, Secrets, Now).Status);
    }

    [Fact]
    public void Verify_ClinicWithoutToken_IsNotConfigured()
    {
        var check = _provider.Verify(Request(Sample("ringcentral-missed.json"), Verified()), new ClinicWebhookSecrets(), Now);

        Assert.Equal(SignatureStatus.NotConfigured, check.Status);
        Assert.False(check.IsValid);
    }

    // ---- Helpers ----------------------------------------------------------------------------------------------

    private static Dictionary<string, string> Verified() => new() { ["Verification-Token"] = VerificationToken };

    private static WebhookRequest Request(string body, IReadOnlyDictionary<string, string>? headers = null)
        => WebhookRequest.Create("POST", Url, "application/json", body, headers);

    private static string Sample(string name)
        => File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Samples", "providers", name));

    private static DateTimeOffset At(string iso) => DateTimeOffset.Parse(iso, CultureInfo.InvariantCulture);

    /// <summary>The missed-call sample with the inbound party's status replaced.</summary>
    private static string Notification(string code, string? reason, bool? missedCall)
    {
        var json = JsonNode.Parse(Sample("ringcentral-missed.json"))!;
        var party = json["body"]!["parties"]![0]!.AsObject();
        var status = new JsonObject { ["code"] = code };
        if (reason is not null)
        {
            status["reason"] = reason;
        }

        party["status"] = status;
        party.Remove("missedCall");
        if (missedCall is { } flag)
        {
            party["missedCall"] = flag;
        }

        return json.ToJsonString();
    }
}
