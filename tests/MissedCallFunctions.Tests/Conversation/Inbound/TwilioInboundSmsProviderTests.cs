using System.Collections.Specialized;
using System.Security.Cryptography;
using System.Text;
using System.Web;
using Microsoft.Extensions.Time.Testing;
using MissedCallFunctions.Clinics;
using MissedCallFunctions.Conversation.Inbound;
using MissedCallFunctions.Ingest;
using MissedCallFunctions.Ingest.Providers;

namespace MissedCallFunctions.Tests.Conversation.Inbound;

public sealed class TwilioInboundSmsProviderTests
{
    private const string InboundUrl = "https://missedcall.example.com/api/sms/twilio?clinic=riverside-dental";
    private const string StatusUrl = "https://missedcall.example.com/api/sms/twilio?tag=rec-7f3a9c%3AtextBack";
    private const string AuthToken = "2b7e151628aed2a6abf7158809cf4f3c";

    private const string ClinicNumber = "+441632960123";
    private const string PatientNumber = "+447700900123";
    private const string SentSid = "SM6e8a0c2b4d1f3a5c7e9b0d2f4a6c8e1b";

    private static readonly DateTimeOffset Now = new(2026, 11, 3, 9, 16, 30, TimeSpan.Zero);

    private readonly FakeTimeProvider _time = new(Now);
    private readonly TwilioInboundSmsProvider _provider;

    public TwilioInboundSmsProviderTests()
    {
        _provider = new TwilioInboundSmsProvider(_time);
    }

    [Fact]
    public void Contract_KeyMediaTypeAndNoHandshake()
    {
        Assert.Equal("twilio", _provider.Key);
        Assert.Equal(["application/x-www-form-urlencoded"], _provider.MediaTypes);
        Assert.Null(_provider.TryHandshake(Request(Sample("twilio-inbound-sms.txt"))));
        Assert.Equal(200, TwilioInboundSmsProvider.AcknowledgeReply.StatusCode);
        Assert.Equal("text/xml", TwilioInboundSmsProvider.AcknowledgeReply.ContentType);
    }

    // ---- incoming messages ---------------------------------------------------------------------------------------

    [Fact]
    public void Parse_InboundSms_ReadsReceivedSms()
    {
        var sms = Assert.IsType<ReceivedSms>(Assert.Single(_provider.Parse(Request(Sample("twilio-inbound-sms.txt")))));

        Assert.Equal("twilio", sms.Provider);
        Assert.Equal("SM3f9a1c7e5b2d4f6a8c0e1b3d5f7a9c2e", sms.MessageId);
        Assert.Equal(sms.MessageId, sms.DedupeKey);
        Assert.Equal(PatientNumber, sms.FromRaw);
        Assert.Equal(ClinicNumber, sms.ToRaw);
        Assert.Equal("Hi - I missed your call. Can I book a check-up for next week?", sms.Text);
        Assert.Equal(Now, sms.ReceivedAt);
        Assert.Equal(1, sms.SegmentCount);
        Assert.Equal(0, sms.MediaCount);
        Assert.Null(sms.OptOutType);
        Assert.Equal(ClinicNumber, _provider.ClinicNumberOf(sms));
    }

    [Fact]
    public void Parse_StopWithAdvancedOptOut_CarriesOptOutType()
    {
        var sms = Assert.IsType<ReceivedSms>(Assert.Single(_provider.Parse(Request(Sample("twilio-inbound-stop.txt")))));

        Assert.Equal("STOP", sms.Text);
        Assert.Equal("STOP", sms.OptOutType);
    }

    [Fact]
    public void Parse_MmsWithEmptyBody_IsReceivedWithMedia()
    {
        var sms = Assert.IsType<ReceivedSms>(Assert.Single(_provider.Parse(Request(Sample("twilio-inbound-mms.txt")))));

        Assert.Equal("MM5a7c9e1b3d2f4a6c8e0b2d4f6a8c1e3b", sms.MessageId);
        Assert.Equal(string.Empty, sms.Text);
        Assert.Equal(1, sms.MediaCount);
        Assert.Equal("+14255550100", _provider.ClinicNumberOf(sms));
    }

    [Fact]
    public void Parse_InboundWithoutSmsStatus_IsStillReceived()
    {
        var sms = Assert.IsType<ReceivedSms>(Assert.Single(_provider.Parse(Request(Without("twilio-inbound-sms.txt", "SmsStatus")))));

        Assert.Equal("SM3f9a1c7e5b2d4f6a8c0e1b3d5f7a9c2e", sms.MessageId);
    }

    [Fact]
    public void Parse_InboundUtf8Body_IsDecoded()
    {
        var sms = Assert.IsType<ReceivedSms>(Assert.Single(_provider.Parse(Request(With("twilio-inbound-sms.txt", ("Body", "Merci ! À jeudi 😊"))))));

        Assert.Equal("Merci ! À jeudi 😊", sms.Text);
    }

    // ---- status callbacks ----------------------------------------------------------------------------------------

    [Fact]
    public void Parse_StatusDelivered_MapsDeliveredWithTagFromTheUrl()
    {
        var report = Assert.IsType<DeliveryReport>(Assert.Single(_provider.Parse(Request(Sample("twilio-status-delivered.txt"), url: StatusUrl))));

        Assert.Equal("twilio", report.Provider);
        Assert.Equal(SentSid, report.MessageId);
        Assert.Equal("rec-7f3a9c:textBack", report.Tag);
        Assert.Equal(DeliveryStatus.Delivered, report.Status);
        Assert.Equal("delivered", report.Detail);
        Assert.False(report.OptOutSignal);
        Assert.Null(report.ErrorCode);
        Assert.Equal(Now, report.At);
        Assert.Equal(ClinicNumber, report.FromRaw);
        Assert.Equal(PatientNumber, report.ToRaw);
        Assert.Equal(ClinicNumber, _provider.ClinicNumberOf(report));
        Assert.Equal($"{SentSid}:delivered", report.DedupeKey);
    }

    [Fact]
    public void Parse_StatusWithoutTagInUrl_HasNoTag()
    {
        var report = Assert.IsType<DeliveryReport>(Assert.Single(_provider.Parse(Request(Sample("twilio-status-delivered.txt")))));

        Assert.Null(report.Tag);
    }

    [Fact]
    public void Parse_Undelivered21610_IsFailedWithOptOutSignal()
    {
        var report = Assert.IsType<DeliveryReport>(Assert.Single(_provider.Parse(Request(Sample("twilio-status-undelivered-21610.txt")))));

        Assert.Equal(DeliveryStatus.Failed, report.Status);
        Assert.True(report.OptOutSignal);
        Assert.Equal("21610", report.ErrorCode);
        Assert.Contains("21610", report.Detail, StringComparison.Ordinal);
        Assert.DoesNotContain(PatientNumber, report.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_Undelivered30003_IsFailedWithoutOptOutSignal()
    {
        var report = Assert.IsType<DeliveryReport>(Assert.Single(_provider.Parse(Request(Sample("twilio-status-undelivered-30003.txt")))));

        Assert.Equal(DeliveryStatus.Failed, report.Status);
        Assert.False(report.OptOutSignal);
        Assert.Equal("undelivered: error 30003 (unreachable destination handset)", report.Detail);
    }

    [Fact]
    public void Parse_Failed_IsFailed()
    {
        var report = Assert.IsType<DeliveryReport>(Assert.Single(_provider.Parse(Request(Sample("twilio-status-failed.txt")))));

        Assert.Equal(DeliveryStatus.Failed, report.Status);
        Assert.Equal("30008", report.ErrorCode);
    }

    [Theory]
    [InlineData("queued", DeliveryStatus.Sent)]
    [InlineData("accepted", DeliveryStatus.Sent)]
    [InlineData("sending", DeliveryStatus.Sent)]
    [InlineData("sent", DeliveryStatus.Sent)]
    [InlineData("delivered", DeliveryStatus.Delivered)]
    [InlineData("read", DeliveryStatus.Delivered)]
    [InlineData("undelivered", DeliveryStatus.Failed)]
    [InlineData("failed", DeliveryStatus.Failed)]
    [InlineData("canceled", DeliveryStatus.Failed)]
    public void Parse_MessageStatus_Maps(string messageStatus, DeliveryStatus expected)
    {
        var report = Assert.IsType<DeliveryReport>(Assert.Single(_provider.Parse(Request(
            With("twilio-status-sent.txt", ("MessageStatus", messageStatus), ("SmsStatus", messageStatus))))));

        Assert.Equal(expected, report.Status);
        Assert.Equal(messageStatus, report.RawStatus);
    }

    [Fact]
    public void Parse_SentThenDelivered_AreDistinctEventsOfOneMessage()
    {
        var sent = Assert.Single(_provider.Parse(Request(Sample("twilio-status-sent.txt"))));
        var delivered = Assert.Single(_provider.Parse(Request(Sample("twilio-status-delivered.txt"))));
        var deliveredAgain = Assert.Single(_provider.Parse(Request(Sample("twilio-status-delivered.txt"))));

        Assert.NotEqual(sent.DedupeKey, delivered.DedupeKey);
        Assert.Equal(delivered.DedupeKey, deliveredAgain.DedupeKey);
        Assert.Equal(((DeliveryReport)sent).MessageId, ((DeliveryReport)delivered).MessageId);
    }

    [Fact]
    public void Parse_ErrorCodeZero_IsNoError()
    {
        var report = Assert.IsType<DeliveryReport>(Assert.Single(_provider.Parse(Request(With("twilio-status-delivered.txt", ("ErrorCode", "0"))))));

        Assert.Null(report.ErrorCode);
        Assert.Equal("delivered", report.Detail);
    }

    // ---- malformed -----------------------------------------------------------------------------------------------

    [Fact]
    public void Parse_EmptyBody_Throws()
    {
        Assert.Throws<WebhookFormatException>(() => _provider.Parse(Request(string.Empty)));
    }

    [Fact]
    public void Parse_VoiceCallbackPostedToTheSmsEndpoint_Throws()
    {
        var voice = "CallSid=CA9d4c2e7f1b3a5d6e8f0a2b4c6d8e0f1a&AccountSid=AC4e7b1d9f3a6c2e8b0d5f7a1c3e9b2d4f&From=%2B447700900123&To=%2B441632960123&CallStatus=no-answer&Direction=inbound";

        var error = Assert.Throws<WebhookFormatException>(() => _provider.Parse(Request(voice)));

        Assert.Contains("MessageSid", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("MessageStatus", "exploded")]
    [InlineData("ErrorCode", "30003x")]
    [InlineData("From", "")]
    [InlineData("To", " ")]
    public void Parse_BadStatusField_Throws(string name, string value)
    {
        Assert.Throws<WebhookFormatException>(() => _provider.Parse(Request(With("twilio-status-undelivered-30003.txt", (name, value)))));
    }

    [Theory]
    [InlineData("twilio-inbound-sms.txt", "From")]
    [InlineData("twilio-inbound-sms.txt", "To")]
    [InlineData("twilio-inbound-sms.txt", "Body")]
    [InlineData("twilio-status-delivered.txt", "From")]
    public void Parse_MissingField_Throws(string sample, string name)
    {
        Assert.Throws<WebhookFormatException>(() => _provider.Parse(Request(Without(sample, name))));
    }

    [Theory]
    [InlineData("MessageSid=SM1&Body=hi&Body=again&From=%2B447700900123&To=%2B441632960123")]
    [InlineData("MessageSid=SM1&Body=%ZZ&From=%2B447700900123&To=%2B441632960123")]
    [InlineData("MessageSid=SM1&From=%2B447700900123&To=%2B441632960123")]
    [InlineData("MessageSid=SM1&Body=hi&NumMedia=one&From=%2B447700900123&To=%2B441632960123")]
    [InlineData("{\"MessageSid\":\"SM1\"}")]
    public void Parse_MalformedForm_Throws(string body)
    {
        Assert.Throws<WebhookFormatException>(() => _provider.Parse(Request(body)));
    }

    // ---- signature -----------------------------------------------------------------------------------------------

    [Theory]
    [InlineData("twilio-inbound-sms.txt", InboundUrl)]
    [InlineData("twilio-inbound-stop.txt", InboundUrl)]
    [InlineData("twilio-status-delivered.txt", StatusUrl)]
    [InlineData("twilio-status-undelivered-21610.txt", StatusUrl)]
    public void Verify_SignedOverAllParametersAndTheUrl_IsValid(string sample, string url)
    {
        var body = Sample(sample);
        var request = Request(body, TwilioSignature(AuthToken, url, body), url);

        Assert.Equal(SignatureStatus.Valid, _provider.Verify(request, Secrets(AuthToken), Now).Status);
    }

    [Fact]
    public void Verify_TagChangedAfterSigning_IsInvalid()
    {
        var body = Sample("twilio-status-delivered.txt");
        var request = Request(body, TwilioSignature(AuthToken, StatusUrl, body), StatusUrl.Replace("textBack", "followUp", StringComparison.Ordinal));

        Assert.Equal(SignatureStatus.Invalid, _provider.Verify(request, Secrets(AuthToken), Now).Status);
    }

    [Fact]
    public void Verify_BodyChangedAfterSigning_IsInvalid()
    {
        var signed = Sample("twilio-inbound-sms.txt");
        var tampered = With("twilio-inbound-sms.txt", ("Body", "Please call me"));
        var request = Request(tampered, TwilioSignature(AuthToken, InboundUrl, signed));

        Assert.Equal(SignatureStatus.Invalid, _provider.Verify(request, Secrets(AuthToken), Now).Status);
    }

    [Fact]
    public void Verify_SignedWithAnotherToken_IsInvalid()
    {
        var body = Sample("twilio-inbound-sms.txt");
        var request = Request(body, TwilioSignature("00000000000000000000000000000000", InboundUrl, body));

        Assert.Equal(SignatureStatus.Invalid, _provider.Verify(request, Secrets(AuthToken), Now).Status);
    }

    [Fact]
    public void Verify_NoSignatureHeader_IsMissing()
    {
        Assert.Equal(SignatureStatus.Missing, _provider.Verify(Request(Sample("twilio-inbound-sms.txt")), Secrets(AuthToken), Now).Status);
    }

    [Fact]
    public void Verify_ClinicWithoutAuthToken_IsNotConfigured()
    {
        var body = Sample("twilio-inbound-sms.txt");
        var request = Request(body, TwilioSignature(AuthToken, InboundUrl, body));

        Assert.Equal(SignatureStatus.NotConfigured, _provider.Verify(request, new ClinicWebhookSecrets(), Now).Status);
    }

    // ---- helpers -------------------------------------------------------------------------------------------------

    /// <summary>Twilio's signing, written independently of the SDK: Base64(HMAC-SHA1(token, url + sorted name+value pairs)).</summary>
    internal static string TwilioSignature(string token, string url, string body)
    {
        var form = HttpUtility.ParseQueryString(body);
        var data = new StringBuilder(url);
        foreach (var name in form.AllKeys.Select(k => k!).Order(StringComparer.Ordinal))
        {
            data.Append(name).Append(form[name]);
        }

        return Convert.ToBase64String(HMACSHA1.HashData(Encoding.UTF8.GetBytes(token), Encoding.UTF8.GetBytes(data.ToString())));
    }

    private static string Sample(string name) => AcsInboundSmsProviderTests.Sample(name).TrimEnd('\r', '\n');

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

    private static WebhookRequest Request(string body, string? signature = null, string url = InboundUrl)
    {
        var headers = new Dictionary<string, string>();
        if (signature is not null)
        {
            headers["X-Twilio-Signature"] = signature;
        }

        return WebhookRequest.Create("POST", url, "application/x-www-form-urlencoded", body, headers);
    }
}
