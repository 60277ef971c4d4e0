using System.Collections.Specialized;
using System.Security.Cryptography;
using System.Text;
using System.Web;
using MissedCallFunctions.Clinics;
using MissedCallFunctions.Ingest;
using MissedCallFunctions.Ingest.Providers;

namespace MissedCallFunctions.Tests.Ingest.Providers;

public sealed class TwilioCallEventProviderTests
{
    private const string PublicUrl = "https://missedcall.example.com/api/calls/twilio?clinic=riverside-dental&leg=desk%20phone";
    private const string InternalUrl = "http://10.0.4.17:8080/api/calls/twilio?clinic=riverside-dental&leg=desk%20phone";
    private const string AuthToken = "9f8e7d6c5b4a39281706f5e4d3c2b1a0";

    private const string InboundCallSid = "CA9d4c2e7f1b3a5d6e8f0a2b4c6d8e0f1a";
    private const string MissedCallSid = "CA1e5f7a9b2c4d6e8f0a1b3c5d7e9f2b4c";
    private const string ClinicNumber = "+441632960123";
    private const string CallerNumber = "+447700900123";

    private static readonly DateTimeOffset Now = new(2026, 11, 3, 9, 16, 30, TimeSpan.Zero);

    private readonly TwilioCallEventProvider _provider = new();

    // ---- contract ----

    [Fact]
    public void Key_Always_IsTwilioWithFormMediaType()
    {
        Assert.Equal("twilio", _provider.Key);
        Assert.Equal(["application/x-www-form-urlencoded"], _provider.MediaTypes);
    }

    [Fact]
    public void TryHandshake_AnyRequest_ReturnsNull()
    {
        Assert.Null(_provider.TryHandshake(Request(Sample("twilio-status-ringing.txt"))));
    }

    // ---- status callback mapping ----

    [Fact]
    public void Parse_StatusCompletedSample_MapsAnsweredWithTalkSeconds()
    {
        var e = ParseSingle(Sample("twilio-status-completed.txt"));

        Assert.Equal($"{InboundCallSid}:status:completed", e.ProviderEventId);
        Assert.Equal(InboundCallSid, e.ProviderCallId);
        Assert.Equal(ClinicNumber, e.ClinicNumberRaw);
        Assert.Equal(CallerNumber, e.CallerRaw);
        Assert.Equal("JOHN SMITH", e.CallerName);
        Assert.Equal(CallDirection.Inbound, e.Direction);
        Assert.Equal(CallOutcome.Answered, e.Outcome);
        Assert.Equal(47, e.TalkSeconds);
        Assert.Null(e.VoicemailLeft);
        Assert.Null(e.RingSeconds);
        Assert.Equal(new DateTimeOffset(2026, 11, 3, 9, 16, 29, TimeSpan.Zero), e.OccurredAt);
    }

    [Fact]
    public void Parse_StatusRingingSample_OutcomeIsNull()
    {
        var e = ParseSingle(Sample("twilio-status-ringing.txt"));

        Assert.Null(e.Outcome);
        Assert.Equal($"{InboundCallSid}:status:ringing", e.ProviderEventId);
        Assert.Equal(new DateTimeOffset(2026, 11, 3, 9, 15, 2, TimeSpan.Zero), e.OccurredAt);
    }

    [Fact]
    public void Parse_StatusNoAnswerSample_MapsMissed()
    {
        var e = ParseSingle(Sample("twilio-status-no-answer.txt"));

        Assert.Equal(CallOutcome.Missed, e.Outcome);
        Assert.Equal($"{MissedCallSid}:status:no-answer", e.ProviderEventId);
        Assert.Null(e.TalkSeconds);
    }

    [Fact]
    public void Parse_StatusAnonymousBusySample_MapsBusyAndKeepsCallerAsSent()
    {
        var e = ParseSingle(Sample("twilio-status-anonymous-busy.txt"));

        Assert.Equal(CallOutcome.Busy, e.Outcome);
        Assert.Equal("anonymous", e.CallerRaw);
        Assert.Equal(ClinicNumber, e.ClinicNumberRaw);
    }

    [Fact]
    public void Parse_OutboundApiSample_ClinicIsFromAndOtherPartyIsTo()
    {
        var e = ParseSingle(Sample("twilio-status-outbound-api-completed.txt"));

        Assert.Equal(CallDirection.Outbound, e.Direction);
        Assert.Equal(ClinicNumber, e.ClinicNumberRaw);
        Assert.Equal(CallerNumber, e.CallerRaw);
        Assert.Equal(CallOutcome.Answered, e.Outcome);
        Assert.Equal(95, e.TalkSeconds);
    }

    [Theory]
    [InlineData("completed", CallOutcome.Answered)]
    [InlineData("no-answer", CallOutcome.Missed)]
    [InlineData("busy", CallOutcome.Busy)]
    [InlineData("failed", CallOutcome.Failed)]
    [InlineData("canceled", CallOutcome.Abandoned)]
    [InlineData("queued", null)]
    [InlineData("initiated", null)]
    [InlineData("ringing", null)]
    [InlineData("in-progress", null)]
    public void Parse_CallStatus_MapsOutcome(string callStatus, CallOutcome? expected)
    {
        var e = ParseSingle(With("twilio-status-ringing.txt", ("CallStatus", callStatus)));

        Assert.Equal(expected, e.Outcome);
        Assert.Equal($"{InboundCallSid}:status:{callStatus}", e.ProviderEventId);
        Assert.Null(e.VoicemailLeft);
    }

    [Fact]
    public void Parse_StatusCompletedWithRecording_StaysAnswered()
    {
        var body = With(
            "twilio-status-completed.txt",
            ("RecordingUrl", "https://api.twilio.com/2010-04-01/Accounts/AC3f2b8c1d9e7a4b6c5d0e1f2a3b4c5d6e/Recordings/RE0a"));

        Assert.Equal(CallOutcome.Answered, ParseSingle(body).Outcome);
    }

    [Theory]
    [InlineData("outbound-api")]
    [InlineData("outbound-dial")]
    public void Parse_OutboundDirection_IsOutbound(string direction)
    {
        var body = With(
            "twilio-status-completed.txt",
            ("Direction", direction), ("From", ClinicNumber), ("To", "+441632960456"));

        var e = ParseSingle(body);

        Assert.Equal(CallDirection.Outbound, e.Direction);
        Assert.Equal(ClinicNumber, e.ClinicNumberRaw);
        Assert.Equal("+441632960456", e.CallerRaw);
    }

    // ---- dial action mapping ----

    [Fact]
    public void Parse_DialActionNoAnswerSample_MapsMissed()
    {
        var e = ParseSingle(Sample("twilio-dial-action-no-answer.txt"));

        Assert.Equal(CallOutcome.Missed, e.Outcome);
        Assert.Equal($"{MissedCallSid}:dial:no-answer", e.ProviderEventId);
        Assert.Equal(MissedCallSid, e.ProviderCallId);
        Assert.Equal(ClinicNumber, e.ClinicNumberRaw);
        Assert.Equal(CallerNumber, e.CallerRaw);
        Assert.Equal(CallDirection.Inbound, e.Direction);
        Assert.Null(e.VoicemailLeft);
        Assert.Null(e.TalkSeconds);
        Assert.Null(e.OccurredAt);
    }

    [Fact]
    public void Parse_DialActionCompletedSample_MapsAnsweredWithDialDuration()
    {
        var e = ParseSingle(Sample("twilio-dial-action-completed.txt"));

        Assert.Equal(CallOutcome.Answered, e.Outcome);
        Assert.Equal(42, e.TalkSeconds);
        Assert.Equal($"{InboundCallSid}:dial:completed", e.ProviderEventId);
    }

    [Fact]
    public void Parse_DialActionBusySample_MapsBusy()
    {
        Assert.Equal(CallOutcome.Busy, ParseSingle(Sample("twilio-dial-action-busy.txt")).Outcome);
    }

    [Fact]
    public void Parse_DialActionVoicemailSample_MapsVoicemailLeft()
    {
        var e = ParseSingle(Sample("twilio-dial-action-voicemail.txt"));

        Assert.Equal(CallOutcome.Voicemail, e.Outcome);
        Assert.True(e.VoicemailLeft);
        Assert.Equal($"{MissedCallSid}:dial:no-answer", e.ProviderEventId);
    }

    [Fact]
    public void Parse_DialActionBusyWithRecording_MapsVoicemailLeft()
    {
        var e = ParseSingle(With("twilio-dial-action-voicemail.txt", ("DialCallStatus", "busy")));

        Assert.Equal(CallOutcome.Voicemail, e.Outcome);
        Assert.True(e.VoicemailLeft);
    }

    [Theory]
    [InlineData("completed", CallOutcome.Answered)]
    [InlineData("answered", CallOutcome.Answered)]
    [InlineData("no-answer", CallOutcome.Missed)]
    [InlineData("busy", CallOutcome.Busy)]
    [InlineData("failed", CallOutcome.Failed)]
    [InlineData("canceled", CallOutcome.Abandoned)]
    public void Parse_DialCallStatus_MapsOutcome(string dialStatus, CallOutcome expected)
    {
        var e = ParseSingle(With("twilio-dial-action-no-answer.txt", ("DialCallStatus", dialStatus)));

        Assert.Equal(expected, e.Outcome);
        Assert.Equal($"{MissedCallSid}:dial:{dialStatus}", e.ProviderEventId);
    }

    [Theory]
    [InlineData("failed", CallOutcome.Failed)]
    [InlineData("canceled", CallOutcome.Abandoned)]
    public void Parse_DialActionNotRingOutWithRecording_KeepsDialOutcome(string dialStatus, CallOutcome expected)
    {
        var e = ParseSingle(With("twilio-dial-action-voicemail.txt", ("DialCallStatus", dialStatus)));

        Assert.Equal(expected, e.Outcome);
        Assert.Null(e.VoicemailLeft);
    }

    // ---- event ids ----

    [Fact]
    public void Parse_SameCallbackRetried_HasSameEventId()
    {
        var first = ParseSingle(Sample("twilio-status-no-answer.txt"));
        var retry = ParseSingle(Sample("twilio-status-no-answer.txt"));

        Assert.Equal(first.ProviderEventId, retry.ProviderEventId);
    }

    [Fact]
    public void Parse_DialActionAndStatusCallbackOfOneCall_HaveDifferentEventIdsAndSameCallId()
    {
        var dial = ParseSingle(Sample("twilio-dial-action-no-answer.txt"));
        var status = ParseSingle(Sample("twilio-status-no-answer.txt"));

        Assert.NotEqual(dial.ProviderEventId, status.ProviderEventId);
        Assert.Equal(dial.ProviderCallId, status.ProviderCallId);
    }

    // ---- caller and values ----

    [Theory]
    [InlineData("anonymous")]
    [InlineData("+266696687")]
    [InlineData("restricted")]
    [InlineData("unknown")]
    [InlineData("")]
    public void Parse_WithheldCaller_PassesFromThroughAsSent(string from)
    {
        var e = ParseSingle(With("twilio-status-no-answer.txt", ("From", from), ("Caller", from)));

        Assert.Equal(from, e.CallerRaw);
        Assert.Equal(CallOutcome.Missed, e.Outcome);
    }

    [Fact]
    public void Parse_EncodedValues_DecodesPlusAsSpaceAndUtf8Escapes()
    {
        var body = Sample("twilio-status-completed.txt").Replace("CallerName=JOHN+SMITH", "CallerName=JOS%C3%89+O%27NEIL", StringComparison.Ordinal);

        Assert.Equal("JOSÉ O'NEIL", ParseSingle(body).CallerName);
    }

    [Fact]
    public void Parse_TimestampWithOffset_KeepsTheInstant()
    {
        var e = ParseSingle(With("twilio-status-ringing.txt", ("Timestamp", "Tue, 3 Nov 2026 10:15:02 +0100")));

        Assert.Equal(new DateTimeOffset(2026, 11, 3, 9, 15, 2, TimeSpan.Zero), e.OccurredAt);
    }

    [Fact]
    public void ParseForm_TrailingAmpersandAndKeyWithoutValue_AreAccepted()
    {
        var form = TwilioCallEventProvider.ParseForm("CallSid=CA1&Flag&Empty=&"u8);

        Assert.Equal("CA1", form["CallSid"]);
        Assert.Equal(string.Empty, form["Flag"]);
        Assert.Equal(string.Empty, form["Empty"]);
        Assert.Equal(3, form.Count);
    }

    // ---- malformed bodies ----

    [Fact]
    public void Parse_DuplicateKey_Throws()
    {
        var body = Sample("twilio-status-no-answer.txt") + "&CallStatus=completed";

        var ex = Assert.Throws<WebhookFormatException>(() => _provider.Parse(Request(body)));

        Assert.Contains("'CallStatus' appears more than once", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("CallSid")]
    [InlineData("To")]
    [InlineData("From")]
    public void Parse_RequiredParameterMissing_ThrowsNamingIt(string name)
    {
        var body = Without("twilio-status-no-answer.txt", name);

        var ex = Assert.Throws<WebhookFormatException>(() => _provider.Parse(Request(body)));

        Assert.Contains($"'{name}'", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("CallSid=CA1&To=%2B441632960123&From=%ZZ447700900123&CallStatus=busy", "malformed %-escape")]
    [InlineData("CallSid=CA1&To=%2B441632960123&From=%2B44770090012%3", "malformed %-escape")]
    [InlineData("CallSid=CA1&To=%2B441632960123&From=%C3%28&CallStatus=busy", "not valid UTF-8")]
    [InlineData("=orphan&CallSid=CA1&To=%2B441632960123&From=x&CallStatus=busy", "empty name")]
    [InlineData("{\"CallSid\":\"CA1\",\"CallStatus\":\"busy\"}", "'CallSid' is missing")]
    [InlineData("CallSid=&To=%2B441632960123&From=x&CallStatus=busy", "'CallSid' is empty")]
    [InlineData("CallSid=CA1&To=&From=x&CallStatus=busy", "'To' is empty")]
    [InlineData("CallSid=CA1&To=%2B441632960123&From=x", "'CallStatus' is missing")]
    [InlineData("CallSid=CA1&To=%2B441632960123&From=x&CallStatus=hung-up", "'CallStatus' is not a Twilio call status")]
    [InlineData("CallSid=CA1&To=%2B441632960123&From=x&DialCallStatus=hung-up", "'DialCallStatus' is not a Twilio dial status")]
    [InlineData("CallSid=CA1&To=%2B441632960123&From=x&CallStatus=busy&Direction=sideways", "'Direction'")]
    [InlineData("CallSid=CA1&To=%2B441632960123&From=x&CallStatus=completed&CallDuration=forty", "'CallDuration'")]
    [InlineData("CallSid=CA1&To=%2B441632960123&From=x&CallStatus=completed&CallDuration=-4", "'CallDuration'")]
    [InlineData("CallSid=CA1&To=%2B441632960123&From=x&DialCallStatus=completed&DialCallDuration=1.5", "'DialCallDuration'")]
    [InlineData("CallSid=CA1&To=%2B441632960123&From=x&CallStatus=busy&Timestamp=2026-11-03T09%3A15%3A02Z", "'Timestamp'")]
    public void Parse_MalformedBody_Throws(string body, string expected)
    {
        var ex = Assert.Throws<WebhookFormatException>(() => _provider.Parse(Request(body)));

        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_UnknownStatus_MessageDoesNotEchoTheValue()
    {
        var body = With("twilio-status-no-answer.txt", ("CallStatus", "+447700900999"));

        var ex = Assert.Throws<WebhookFormatException>(() => _provider.Parse(Request(body)));

        Assert.DoesNotContain("447700900999", ex.Message, StringComparison.Ordinal);
    }

    // ---- signature ----

    [Fact]
    public void Verify_SignatureOverUrlWithQueryString_ReturnsValid()
    {
        var body = Sample("twilio-status-completed.txt");
        var signature = TwilioSignature(AuthToken, PublicUrl, body);

        var check = _provider.Verify(Request(body, signature), Secrets(AuthToken), Now);

        Assert.Equal(SignatureStatus.Valid, check.Status);
    }

    [Fact]
    public void Verify_DialActionSignedBySdkAlgorithm_ReturnsValid()
    {
        var body = Sample("twilio-dial-action-voicemail.txt");
        var signature = TwilioSignature(AuthToken, PublicUrl, body);

        Assert.Equal(SignatureStatus.Valid, _provider.Verify(Request(body, signature), Secrets(AuthToken), Now).Status);
    }

    [Fact]
    public void Verify_SignedWithExplicitDefaultPort_ReturnsValid()
    {
        var body = Sample("twilio-status-completed.txt");
        var signature = TwilioSignature(AuthToken, PublicUrl.Replace("example.com/", "example.com:443/", StringComparison.Ordinal), body);

        Assert.Equal(SignatureStatus.Valid, _provider.Verify(Request(body, signature), Secrets(AuthToken), Now).Status);
    }

    [Fact]
    public void Verify_ParameterChangedAfterSigning_ReturnsInvalid()
    {
        var signed = Sample("twilio-status-completed.txt");
        var signature = TwilioSignature(AuthToken, PublicUrl, signed);
        var tampered = signed.Replace("CallStatus=completed", "CallStatus=no-answer", StringComparison.Ordinal);

        var check = _provider.Verify(Request(tampered, signature), Secrets(AuthToken), Now);

        Assert.Equal(SignatureStatus.Invalid, check.Status);
    }

    [Fact]
    public void Verify_QueryStringChangedAfterSigning_ReturnsInvalid()
    {
        var body = Sample("twilio-status-completed.txt");
        var signature = TwilioSignature(AuthToken, PublicUrl, body);
        var otherUrl = PublicUrl.Replace("riverside-dental", "harbour-dental", StringComparison.Ordinal);

        var check = _provider.Verify(Request(body, signature, otherUrl), Secrets(AuthToken), Now);

        Assert.Equal(SignatureStatus.Invalid, check.Status);
    }

    [Fact]
    public void Verify_SignedWithAnotherToken_ReturnsInvalid()
    {
        var body = Sample("twilio-status-completed.txt");
        var signature = TwilioSignature("0000aaaa1111bbbb2222cccc3333dddd", PublicUrl, body);

        Assert.Equal(SignatureStatus.Invalid, _provider.Verify(Request(body, signature), Secrets(AuthToken), Now).Status);
    }

    [Fact]
    public void Verify_SignatureNotBase64_ReturnsInvalid()
    {
        var body = Sample("twilio-status-completed.txt");

        Assert.Equal(SignatureStatus.Invalid, _provider.Verify(Request(body, "not a signature"), Secrets(AuthToken), Now).Status);
    }

    [Fact]
    public void Verify_HeaderMissing_ReturnsMissing()
    {
        var check = _provider.Verify(Request(Sample("twilio-status-completed.txt")), Secrets(AuthToken), Now);

        Assert.Equal(SignatureStatus.Missing, check.Status);
    }

    [Fact]
    public void Verify_NoAuthToken_ReturnsNotConfigured()
    {
        var body = Sample("twilio-status-completed.txt");
        var request = Request(body, TwilioSignature(AuthToken, PublicUrl, body));

        Assert.Equal(SignatureStatus.NotConfigured, _provider.Verify(request, new ClinicWebhookSecrets(), Now).Status);
        Assert.Equal(SignatureStatus.NotConfigured, _provider.Verify(request, Secrets(""), Now).Status);
    }

    [Fact]
    public void Verify_BehindProxyWithPublicUrl_ReturnsValid()
    {
        // Twilio signed the public https URL; the host saw http://10.0.4.17:8080 and rebuilt the public one.
        var body = Sample("twilio-dial-action-no-answer.txt");
        var signature = TwilioSignature(AuthToken, PublicUrl, body);

        var check = _provider.Verify(Request(body, signature, PublicUrl), Secrets(AuthToken), Now);

        Assert.Equal(SignatureStatus.Valid, check.Status);
    }

    [Fact]
    public void Verify_BehindProxyWithInternalUrl_ReturnsInvalid()
    {
        var body = Sample("twilio-dial-action-no-answer.txt");
        var signature = TwilioSignature(AuthToken, PublicUrl, body);

        var check = _provider.Verify(Request(body, signature, InternalUrl), Secrets(AuthToken), Now);

        Assert.Equal(SignatureStatus.Invalid, check.Status);
    }

    [Fact]
    public void Verify_OldRequest_IsNeverExpired()
    {
        // Twilio signs no timestamp: replays are caught by event-id dedupe, not here.
        var body = Sample("twilio-status-completed.txt");
        var request = Request(body, TwilioSignature(AuthToken, PublicUrl, body));

        Assert.Equal(SignatureStatus.Valid, _provider.Verify(request, Secrets(AuthToken), Now.AddDays(30)).Status);
    }

    // ---- helpers ----

    /// <summary>
    /// Twilio's signing, written independently of the SDK: Base64(HMAC-SHA1(token, url + concat(sorted name + value))).
    /// </summary>
    private static string TwilioSignature(string token, string url, string body)
    {
        var form = HttpUtility.ParseQueryString(body);
        var data = new StringBuilder(url);
        foreach (var name in form.AllKeys.Select(k => k!).Order(StringComparer.Ordinal))
        {
            data.Append(name).Append(form[name]);
        }

        return Convert.ToBase64String(HMACSHA1.HashData(Encoding.UTF8.GetBytes(token), Encoding.UTF8.GetBytes(data.ToString())));
    }

    private ProviderCallEvent ParseSingle(string body) => Assert.Single(_provider.Parse(Request(body)));

    private static string Sample(string name)
        => File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Samples", "providers", name)).TrimEnd('\r', '\n');

    /// <summary>The sample with parameters replaced (or appended), re-encoded in the sample's order.</summary>
    private static string With(string sample, params (string Name, string Value)[] changes)
    {
        var form = HttpUtility.ParseQueryString(Sample(sample));
        foreach (var (name, value) in changes)
        {
            form[name] = value;
        }

        return Encode(form);
    }

    private static string Without(string sample, string name)
    {
        var form = HttpUtility.ParseQueryString(Sample(sample));
        form.Remove(name);
        return Encode(form);
    }

    private static string Encode(NameValueCollection form)
        => string.Join("&", form.AllKeys.Select(k => $"{HttpUtility.UrlEncode(k)}={HttpUtility.UrlEncode(form[k])}"));

    private static ClinicWebhookSecrets Secrets(string token) => new() { TwilioAuthToken = token };

    private static WebhookRequest Request(string body, string? signature = null, string url = PublicUrl)
    {
        var headers = new Dictionary<string, string>();
        if (signature is not null)
        {
            headers[TwilioCallEventProvider.SignatureHeader] = signature;
        }

        return new WebhookRequest("POST", new Uri(url), headers, "application/x-www-form-urlencoded; charset=utf-8", Encoding.UTF8.GetBytes(body));
    }
}
