using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using MissedCallFunctions.Clinics;
using MissedCallFunctions.Ingest;
using MissedCallFunctions.Ingest.Providers;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Crypto.Signers;
using Org.BouncyCastle.Security;

namespace MissedCallFunctions.Tests.Ingest.Providers;

public sealed class TelnyxCallEventProviderTests
{
    private const string Url = "https://clinic-missedcalls.azurewebsites.net/api/calls/telnyx";

    private static readonly DateTimeOffset Now = new(2025, 3, 11, 9, 14, 53, TimeSpan.Zero);

    private readonly TelnyxCallEventProvider _provider = new();

    private readonly Ed25519PrivateKeyParameters _privateKey = new(new SecureRandom());

    [Fact]
    public void Key_Always_IsTelnyx()
    {
        Assert.Equal("telnyx", _provider.Key);
    }

    [Fact]
    public void MediaTypes_Always_IsJsonOnly()
    {
        Assert.Equal(["application/json"], _provider.MediaTypes);
    }

    [Fact]
    public void TryHandshake_AnyRequest_ReturnsNull()
    {
        var request = Request(Sample("telnyx-call-hangup-no-answer.json"));

        Assert.Null(_provider.TryHandshake(request));
    }

    [Fact]
    public void Parse_HangupNoAnswer_ReturnsMissedInboundEvent()
    {
        var events = _provider.Parse(Request(Sample("telnyx-call-hangup-no-answer.json")));

        var e = Assert.Single(events);
        Assert.Equal("5b1e8a52-3f0c-4d7e-9a61-2c84f07d9e13", e.ProviderEventId);
        Assert.Equal("8f2d3b9e-fe10-11ef-a4c7-02420a0d7e21", e.ProviderCallId);
        Assert.Equal("+442079460321", e.ClinicNumberRaw);
        Assert.Equal("+447700900417", e.CallerRaw);
        Assert.Equal(CallDirection.Inbound, e.Direction);
        Assert.Equal(CallOutcome.Missed, e.Outcome);
        Assert.Equal(30, e.RingSeconds);
        Assert.Null(e.TalkSeconds);
        Assert.Equal(DateTimeOffset.Parse("2025-03-11T09:14:22.106391Z", CultureInfo.InvariantCulture), e.StartedAt);
        Assert.Equal(DateTimeOffset.Parse("2025-03-11T09:14:52.318204Z", CultureInfo.InvariantCulture), e.OccurredAt);
        Assert.Equal(e.OccurredAt, e.EndedAt);
    }

    [Fact]
    public void Parse_HangupWithEndTime_UsesEndTimeForEndAndDuration()
    {
        var body = Modify("telnyx-call-hangup-no-answer.json", payload => payload["end_time"] = "2025-03-11T09:14:47.106391Z");

        var e = Assert.Single(_provider.Parse(Request(body)));

        Assert.Equal(DateTimeOffset.Parse("2025-03-11T09:14:47.106391Z", CultureInfo.InvariantCulture), e.EndedAt);
        Assert.Equal(25, e.RingSeconds);
    }

    [Fact]
    public void Parse_HangupWithoutStartTime_LeavesDurationsUnknown()
    {
        var body = Modify("telnyx-call-hangup-normal-clearing.json", payload => payload.Remove("start_time"));

        var e = Assert.Single(_provider.Parse(Request(body)));

        Assert.Equal(CallOutcome.Answered, e.Outcome);
        Assert.Null(e.StartedAt);
        Assert.Null(e.TalkSeconds);
    }

    [Fact]
    public void Parse_HangupNormalClearing_ReturnsAnsweredWithTalkSeconds()
    {
        var e = Assert.Single(_provider.Parse(Request(Sample("telnyx-call-hangup-normal-clearing.json"))));

        Assert.Equal(CallOutcome.Answered, e.Outcome);
        Assert.Equal(109, e.TalkSeconds);
        Assert.Null(e.RingSeconds);
        Assert.Equal("1c9e6a14-fe17-11ef-b2f8-02420a0d7e21", e.ProviderCallId);
    }

    [Fact]
    public void Parse_HangupUserBusyWithoutEndTime_ReturnsBusyEndingAtOccurredAt()
    {
        var e = Assert.Single(_provider.Parse(Request(Sample("telnyx-call-hangup-busy.json"))));

        Assert.Equal(CallOutcome.Busy, e.Outcome);
        Assert.Equal(e.OccurredAt, e.EndedAt);
        Assert.Equal(3, e.RingSeconds);
    }

    [Fact]
    public void Parse_HangupOriginatorCancelByCaller_ReturnsAbandonedWithRingSeconds()
    {
        var e = Assert.Single(_provider.Parse(Request(Sample("telnyx-call-hangup-originator-cancel.json"))));

        Assert.Equal(CallOutcome.Abandoned, e.Outcome);
        Assert.Equal(12, e.RingSeconds);
        Assert.Equal("+447700900258", e.CallerRaw);
    }

    [Theory]
    [InlineData("no_answer", "callee", CallOutcome.Missed)]
    [InlineData("timeout", "unknown", CallOutcome.Missed)]
    [InlineData("call_rejected", "callee", CallOutcome.Missed)]
    [InlineData("user_busy", "callee", CallOutcome.Busy)]
    [InlineData("not_found", "unknown", CallOutcome.Failed)]
    [InlineData("unspecified", "unknown", CallOutcome.Failed)]
    [InlineData("originator_cancel", "caller", CallOutcome.Abandoned)]
    [InlineData("originator_cancel", "unknown", CallOutcome.Abandoned)]
    [InlineData("originator_cancel", "callee", CallOutcome.Missed)]
    [InlineData("normal_clearing", "caller", CallOutcome.Answered)]
    [InlineData("normal_clearing", "callee", CallOutcome.Answered)]
    [InlineData("time_limit", "unknown", CallOutcome.Answered)]
    [InlineData("some_future_cause", "unknown", CallOutcome.Failed)]
    public void Parse_HangupCause_MapsToOutcome(string cause, string source, CallOutcome expected)
    {
        var body = Modify("telnyx-call-hangup-no-answer.json", payload =>
        {
            payload["hangup_cause"] = cause;
            payload["hangup_source"] = source;
        });

        var e = Assert.Single(_provider.Parse(Request(body)));

        Assert.Equal(expected, e.Outcome);
    }

    [Fact]
    public void Parse_HangupWithoutHangupSource_ReadsCause()
    {
        var body = Modify("telnyx-call-hangup-no-answer.json", payload => payload.Remove("hangup_source"));

        var e = Assert.Single(_provider.Parse(Request(body)));

        Assert.Equal(CallOutcome.Missed, e.Outcome);
    }

    [Fact]
    public void Parse_OutgoingHangup_UsesFromAsClinicNumber()
    {
        var body = Modify("telnyx-call-hangup-no-answer.json", payload =>
        {
            payload["direction"] = "outgoing";
            payload["from"] = "+442079460321";
            payload["to"] = "+447700900999";
        });

        var e = Assert.Single(_provider.Parse(Request(body)));

        Assert.Equal(CallDirection.Outbound, e.Direction);
        Assert.Equal("+442079460321", e.ClinicNumberRaw);
        Assert.Equal("+447700900999", e.CallerRaw);
    }

    [Fact]
    public void Parse_HangupWithIncomingDirection_UsesToAsClinicNumber()
    {
        var body = Modify("telnyx-call-hangup-no-answer.json", payload => payload["direction"] = "incoming");

        var e = Assert.Single(_provider.Parse(Request(body)));

        Assert.Equal(CallDirection.Inbound, e.Direction);
        Assert.Equal("+442079460321", e.ClinicNumberRaw);
    }

    [Fact]
    public void Parse_HangupWithoutDirection_DefaultsToInbound()
    {
        var e = Assert.Single(_provider.Parse(Request(Sample("telnyx-call-hangup-no-answer.json"))));

        Assert.Equal(CallDirection.Inbound, e.Direction);
        Assert.Equal("+442079460321", e.ClinicNumberRaw);
    }

    [Fact]
    public void Parse_HangupWithSipUriCaller_PassesCallerThroughRaw()
    {
        var body = Modify("telnyx-call-hangup-no-answer.json", payload => payload["from"] = "sip:reception@clinic.sip.telnyx.com");

        var e = Assert.Single(_provider.Parse(Request(body)));

        Assert.Equal("sip:reception@clinic.sip.telnyx.com", e.CallerRaw);
    }

    [Theory]
    [InlineData("telnyx-call-answered.json", "1c9e6a14-fe17-11ef-b2f8-02420a0d7e21")]
    [InlineData("telnyx-call-initiated.json", "8f2d3b9e-fe10-11ef-a4c7-02420a0d7e21")]
    public void Parse_NonHangupEvent_ReturnsEventWithoutOutcome(string sample, string callId)
    {
        var e = Assert.Single(_provider.Parse(Request(Sample(sample))));

        Assert.Null(e.Outcome);
        Assert.Equal(callId, e.ProviderCallId);
        Assert.Equal("+442079460321", e.ClinicNumberRaw);
        Assert.Equal(CallDirection.Inbound, e.Direction);
    }

    [Theory]
    [InlineData("call.bridged")]
    [InlineData("call.speak.ended")]
    [InlineData("call.recording.saved")]
    public void Parse_OtherEventTypes_ReturnsEventWithoutOutcome(string eventType)
    {
        var body = Modify("telnyx-call-hangup-no-answer.json", payload => { }, data => data["event_type"] = eventType);

        var e = Assert.Single(_provider.Parse(Request(body)));

        Assert.Null(e.Outcome);
    }

    [Fact]
    public void Parse_NonHangupEventWithoutNumbers_ReturnsEventWithoutOutcome()
    {
        const string body = """
            {"data":{"record_type":"event","event_type":"call.speak.ended","id":"d1e2f3a4-b5c6-4d7e-8f90-a1b2c3d4e5f6",
            "occurred_at":"2025-03-11T10:01:09.5Z","payload":{"call_control_id":"v3:abc","call_leg_id":"leg-1",
            "call_session_id":"session-1","connection_id":"2384619057723451821","status":"completed"}},"meta":{"attempt":1}}
            """;

        var e = Assert.Single(_provider.Parse(Request(body)));

        Assert.Null(e.Outcome);
        Assert.Equal("session-1", e.ProviderCallId);
        Assert.Equal(string.Empty, e.ClinicNumberRaw);
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("not json at all", "not valid JSON")]
    [InlineData("""[{"data":{}}]""", "JSON object")]
    [InlineData("""{"meta":{"attempt":1}}""", "'data'")]
    [InlineData("""{"data":"call.hangup"}""", "'data'")]
    [InlineData("""{"data":{"event_type":"call.hangup","payload":{}}}""", "'data.id'")]
    [InlineData("""{"data":{"id":"e-1","payload":{}}}""", "'data.event_type'")]
    [InlineData("""{"data":{"id":"e-1","event_type":42}}""", "'data.event_type'")]
    [InlineData("""{"data":{"id":"e-1","event_type":"call.hangup"}}""", "'data.payload'")]
    [InlineData("""{"data":{"id":"e-1","event_type":"call.hangup","payload":"x"}}""", "'data.payload'")]
    [InlineData("""{"data":{"id":"e-1","event_type":"call.answered","occurred_at":"yesterday"}}""", "'data.occurred_at'")]
    public void Parse_MalformedEnvelope_ThrowsNamingProblem(string body, string expectedInMessage)
    {
        var ex = Assert.Throws<WebhookFormatException>(() => _provider.Parse(Request(body)));

        Assert.Contains(expectedInMessage, ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("call_session_id")]
    [InlineData("from")]
    [InlineData("to")]
    [InlineData("hangup_cause")]
    public void Parse_HangupMissingRequiredField_ThrowsNamingField(string field)
    {
        var body = Modify("telnyx-call-hangup-no-answer.json", payload => payload.Remove(field));

        var ex = Assert.Throws<WebhookFormatException>(() => _provider.Parse(Request(body)));

        Assert.Contains($"'data.payload.{field}'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_HangupCauseNotString_ThrowsNamingField()
    {
        var body = Modify("telnyx-call-hangup-no-answer.json", payload => payload["hangup_cause"] = 17);

        var ex = Assert.Throws<WebhookFormatException>(() => _provider.Parse(Request(body)));

        Assert.Contains("'data.payload.hangup_cause'", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("start_time")]
    [InlineData("end_time")]
    [InlineData("direction")]
    public void Parse_HangupBadFieldValue_ThrowsWithoutEchoingValue(string field)
    {
        const string secretLooking = "SENSITIVE-7700900417";
        var body = Modify("telnyx-call-hangup-no-answer.json", payload => payload[field] = secretLooking);

        var ex = Assert.Throws<WebhookFormatException>(() => _provider.Parse(Request(body)));

        Assert.Contains($"'data.payload.{field}'", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(secretLooking, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Verify_ValidSignature_ReturnsValid()
    {
        var body = Sample("telnyx-call-hangup-no-answer.json");
        var request = Request(body, SignedHeaders(body, Now.ToUnixTimeSeconds()));

        var check = _provider.Verify(request, Secrets(), Now);

        Assert.Equal(SignatureStatus.Valid, check.Status);
        Assert.True(check.IsValid);
    }

    [Fact]
    public void Verify_HeaderNamesInOtherCase_ReturnsValid()
    {
        var body = Sample("telnyx-call-hangup-no-answer.json");
        var signed = SignedHeaders(body, Now.ToUnixTimeSeconds());
        var headers = new Dictionary<string, string>
        {
            ["Telnyx-Signature-Ed25519"] = signed["telnyx-signature-ed25519"],
            ["Telnyx-Timestamp"] = signed["telnyx-timestamp"],
        };

        var check = _provider.Verify(Request(body, headers), Secrets(), Now);

        Assert.Equal(SignatureStatus.Valid, check.Status);
    }

    [Theory]
    [InlineData(-300)]
    [InlineData(300)]
    [InlineData(-5)]
    public void Verify_TimestampWithinTolerance_ReturnsValid(int offsetSeconds)
    {
        var body = Sample("telnyx-call-hangup-no-answer.json");
        var request = Request(body, SignedHeaders(body, Now.ToUnixTimeSeconds() + offsetSeconds));

        Assert.Equal(SignatureStatus.Valid, _provider.Verify(request, Secrets(), Now).Status);
    }

    [Fact]
    public void Verify_TamperedBody_ReturnsInvalid()
    {
        var body = Sample("telnyx-call-hangup-no-answer.json");
        var headers = SignedHeaders(body, Now.ToUnixTimeSeconds());
        var tampered = Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(body).Replace("no_answer", "normal_clearing", StringComparison.Ordinal));

        var check = _provider.Verify(Request(tampered, headers), Secrets(), Now);

        Assert.Equal(SignatureStatus.Invalid, check.Status);
    }

    [Fact]
    public void Verify_TimestampHeaderChangedAfterSigning_ReturnsInvalid()
    {
        var body = Sample("telnyx-call-hangup-no-answer.json");
        var headers = SignedHeaders(body, Now.ToUnixTimeSeconds() - 3600);
        headers["telnyx-timestamp"] = Now.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);

        var check = _provider.Verify(Request(body, headers), Secrets(), Now);

        Assert.Equal(SignatureStatus.Invalid, check.Status);
    }

    [Fact]
    public void Verify_SignedByOtherKey_ReturnsInvalid()
    {
        var body = Sample("telnyx-call-hangup-no-answer.json");
        var headers = SignedHeaders(body, Now.ToUnixTimeSeconds());
        var otherKey = Convert.ToBase64String(new Ed25519PrivateKeyParameters(new SecureRandom()).GeneratePublicKey().GetEncoded());

        var check = _provider.Verify(Request(body, headers), new ClinicWebhookSecrets { TelnyxPublicKey = otherKey }, Now);

        Assert.Equal(SignatureStatus.Invalid, check.Status);
    }

    [Fact]
    public void Verify_SignatureNotBase64_ReturnsInvalid()
    {
        var body = Sample("telnyx-call-hangup-no-answer.json");
        var headers = SignedHeaders(body, Now.ToUnixTimeSeconds());
        headers["telnyx-signature-ed25519"] = "not*base64!";

        Assert.Equal(SignatureStatus.Invalid, _provider.Verify(Request(body, headers), Secrets(), Now).Status);
    }

    [Fact]
    public void Verify_SignatureWrongLength_ReturnsInvalid()
    {
        var body = Sample("telnyx-call-hangup-no-answer.json");
        var headers = SignedHeaders(body, Now.ToUnixTimeSeconds());
        headers["telnyx-signature-ed25519"] = Convert.ToBase64String(new byte[32]);

        Assert.Equal(SignatureStatus.Invalid, _provider.Verify(Request(body, headers), Secrets(), Now).Status);
    }

    [Fact]
    public void Verify_TimestampNotNumeric_ReturnsInvalid()
    {
        var body = Sample("telnyx-call-hangup-no-answer.json");
        var headers = SignedHeaders(body, Now.ToUnixTimeSeconds());
        headers["telnyx-timestamp"] = "2025-03-11T09:14:53Z";

        Assert.Equal(SignatureStatus.Invalid, _provider.Verify(Request(body, headers), Secrets(), Now).Status);
    }

    [Fact]
    public void Verify_MissingSignatureHeader_ReturnsMissing()
    {
        var body = Sample("telnyx-call-hangup-no-answer.json");
        var headers = SignedHeaders(body, Now.ToUnixTimeSeconds());
        headers.Remove("telnyx-signature-ed25519");

        Assert.Equal(SignatureStatus.Missing, _provider.Verify(Request(body, headers), Secrets(), Now).Status);
    }

    [Fact]
    public void Verify_MissingTimestampHeader_ReturnsMissing()
    {
        var body = Sample("telnyx-call-hangup-no-answer.json");
        var headers = SignedHeaders(body, Now.ToUnixTimeSeconds());
        headers.Remove("telnyx-timestamp");

        Assert.Equal(SignatureStatus.Missing, _provider.Verify(Request(body, headers), Secrets(), Now).Status);
    }

    [Fact]
    public void Verify_NoHeaders_ReturnsMissing()
    {
        var request = Request(Sample("telnyx-call-hangup-no-answer.json"));

        Assert.Equal(SignatureStatus.Missing, _provider.Verify(request, Secrets(), Now).Status);
    }

    [Theory]
    [InlineData(-301)]
    [InlineData(-86_400)]
    [InlineData(301)]
    public void Verify_ReplayedOutsideTolerance_ReturnsExpired(int offsetSeconds)
    {
        var body = Sample("telnyx-call-hangup-no-answer.json");
        var request = Request(body, SignedHeaders(body, Now.ToUnixTimeSeconds() + offsetSeconds));

        var check = _provider.Verify(request, Secrets(), Now);

        Assert.Equal(SignatureStatus.Expired, check.Status);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   ")]
    public void Verify_NoPublicKey_ReturnsNotConfigured(string? key)
    {
        var body = Sample("telnyx-call-hangup-no-answer.json");
        var request = Request(body, SignedHeaders(body, Now.ToUnixTimeSeconds()));

        var check = _provider.Verify(request, new ClinicWebhookSecrets { TelnyxPublicKey = key }, Now);

        Assert.Equal(SignatureStatus.NotConfigured, check.Status);
    }

    [Theory]
    [InlineData("not-base64-%%")]
    [InlineData("AAECAwQFBgcICQ==")]
    public void Verify_MalformedPublicKey_ReturnsNotConfigured(string key)
    {
        var body = Sample("telnyx-call-hangup-no-answer.json");
        var request = Request(body, SignedHeaders(body, Now.ToUnixTimeSeconds()));

        var check = _provider.Verify(request, new ClinicWebhookSecrets { TelnyxPublicKey = key }, Now);

        Assert.Equal(SignatureStatus.NotConfigured, check.Status);
    }

    [Fact]
    public void Verify_InvalidResult_DoesNotEchoSignatureOrKey()
    {
        var body = Sample("telnyx-call-hangup-no-answer.json");
        var headers = SignedHeaders(body, Now.ToUnixTimeSeconds());
        var signature = headers["telnyx-signature-ed25519"];
        var tampered = Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(body) + " ");

        var check = _provider.Verify(Request(tampered, headers), Secrets(), Now);

        Assert.DoesNotContain(signature, check.Detail, StringComparison.Ordinal);
        Assert.DoesNotContain(Secrets().TelnyxPublicKey!, check.Detail, StringComparison.Ordinal);
    }

    private ClinicWebhookSecrets Secrets()
        => new() { TelnyxPublicKey = Convert.ToBase64String(_privateKey.GeneratePublicKey().GetEncoded()) };

    private Dictionary<string, string> SignedHeaders(byte[] body, long unixSeconds)
    {
        var timestamp = unixSeconds.ToString(CultureInfo.InvariantCulture);
        var message = Encoding.UTF8.GetBytes(timestamp + "|").Concat(body).ToArray();
        var signer = new Ed25519Signer();
        signer.Init(true, _privateKey);
        signer.BlockUpdate(message, 0, message.Length);
        return new Dictionary<string, string>
        {
            ["telnyx-signature-ed25519"] = Convert.ToBase64String(signer.GenerateSignature()),
            ["telnyx-timestamp"] = timestamp,
        };
    }

    private static WebhookRequest Request(string body, IReadOnlyDictionary<string, string>? headers = null)
        => Request(Encoding.UTF8.GetBytes(body), headers);

    private static WebhookRequest Request(byte[] body, IReadOnlyDictionary<string, string>? headers = null)
        => new("POST", new Uri(Url), headers ?? new Dictionary<string, string>(), "application/json; charset=utf-8", body);

    private static byte[] Sample(string name)
        => File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "Samples", "providers", name));

    private static byte[] Modify(string sample, Action<JsonObject> changePayload, Action<JsonObject>? changeData = null)
    {
        var root = JsonNode.Parse(Sample(sample))!.AsObject();
        var data = root["data"]!.AsObject();
        changePayload(data["payload"]!.AsObject());
        changeData?.Invoke(data);
        return Encoding.UTF8.GetBytes(root.ToJsonString());
    }
}
