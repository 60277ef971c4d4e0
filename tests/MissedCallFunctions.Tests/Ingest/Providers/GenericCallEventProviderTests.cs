using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using MissedCallFunctions.Clinics;
using MissedCallFunctions.Ingest;
using MissedCallFunctions.Ingest.Providers;

namespace MissedCallFunctions.Tests.Ingest.Providers;

public sealed class GenericCallEventProviderTests
{
    private const string Url = "https://missedcall.example.com/api/calls/generic";
    private const string Secret = "whsec_generic_test_3f9a1c7e5b";
    private const string OtherSecret = "whsec_generic_rotated_82d4b6";

    private static readonly DateTimeOffset Now = new(2026, 11, 3, 9, 15, 30, TimeSpan.Zero);

    private readonly GenericCallEventProvider _provider = new();

    // ---- contract ----

    [Fact]
    public void Key_Always_IsGenericWithJsonMediaType()
    {
        Assert.Equal("generic", _provider.Key);
        Assert.Equal(["application/json"], _provider.MediaTypes);
    }

    [Fact]
    public void TryHandshake_AnyRequest_ReturnsNull()
    {
        Assert.Null(_provider.TryHandshake(Request(Sample("generic-missed.json"))));
    }

    // ---- mapping ----

    [Fact]
    public void Parse_MissedSample_MapsEveryField()
    {
        var e = Assert.Single(_provider.Parse(Request(Sample("generic-missed.json"))));

        Assert.Equal("pbx1-evt-000184", e.ProviderEventId);
        Assert.Equal("pbx1-1762161302.4471", e.ProviderCallId);
        Assert.Equal("+441632960123", e.ClinicNumberRaw);
        Assert.Equal("+447700900123", e.CallerRaw);
        Assert.Equal("J SMITH", e.CallerName);
        Assert.Equal(CallDirection.Inbound, e.Direction);
        Assert.Equal(CallOutcome.Missed, e.Outcome);
        Assert.Null(e.VoicemailLeft);
        Assert.Equal(25, e.RingSeconds);
        Assert.Equal(0, e.TalkSeconds);
        Assert.Equal(new DateTimeOffset(2026, 11, 3, 9, 15, 2, TimeSpan.Zero), e.StartedAt);
        Assert.Equal(new DateTimeOffset(2026, 11, 3, 9, 15, 27, TimeSpan.Zero), e.EndedAt);
        Assert.Equal(new DateTimeOffset(2026, 11, 3, 9, 15, 27, TimeSpan.Zero), e.OccurredAt);
    }

    [Fact]
    public void Parse_VoicemailSample_MapsVoicemailLeftAndDefaultsDirection()
    {
        var e = Assert.Single(_provider.Parse(Request(Sample("generic-voicemail.json"))));

        Assert.Equal(CallOutcome.Voicemail, e.Outcome);
        Assert.True(e.VoicemailLeft);
        Assert.Equal(CallDirection.Inbound, e.Direction);
        Assert.Equal("07700 900456", e.CallerRaw);
        Assert.Null(e.CallerName);
        Assert.Null(e.TalkSeconds);
        Assert.Equal(30, e.RingSeconds);
    }

    [Fact]
    public void Parse_WithheldSample_CallerIsNull()
    {
        var e = Assert.Single(_provider.Parse(Request(Sample("generic-withheld.json"))));

        Assert.Null(e.CallerRaw);
        Assert.Equal(CallOutcome.Abandoned, e.Outcome);
        Assert.Equal(12, e.RingSeconds);
        Assert.Null(e.StartedAt);
        Assert.Null(e.EndedAt);
    }

    [Fact]
    public void Parse_OutboundSample_MapsDirectionAndDurations()
    {
        var e = Assert.Single(_provider.Parse(Request(Sample("generic-outbound-answered.json"))));

        Assert.Equal(CallDirection.Outbound, e.Direction);
        Assert.Equal(CallOutcome.Answered, e.Outcome);
        Assert.Equal(6, e.RingSeconds);
        Assert.Equal(184, e.TalkSeconds);
    }

    [Fact]
    public void Parse_BatchSample_ReturnsEveryEventInOrder()
    {
        var events = _provider.Parse(Request(Sample("generic-batch.json")));

        Assert.Equal(["pbx2-cdr-77120", "pbx2-cdr-77121", "pbx2-cdr-77122"], events.Select(e => e.ProviderEventId));
        Assert.Equal([CallOutcome.Busy, CallOutcome.Failed, CallOutcome.Answered], events.Select(e => e.Outcome));
        Assert.Null(events[1].CallerRaw);
        Assert.Equal("DOE JANE", events[2].CallerName);
        Assert.Equal(new DateTimeOffset(2026, 11, 3, 14, 1, 9, TimeSpan.FromHours(-5)), events[0].OccurredAt);
        Assert.Equal(TimeSpan.FromHours(-5), events[0].OccurredAt!.Value.Offset);
    }

    [Theory]
    [InlineData("answered", CallOutcome.Answered)]
    [InlineData("missed", CallOutcome.Missed)]
    [InlineData("busy", CallOutcome.Busy)]
    [InlineData("voicemail", CallOutcome.Voicemail)]
    [InlineData("abandoned", CallOutcome.Abandoned)]
    [InlineData("failed", CallOutcome.Failed)]
    public void Parse_Outcome_MapsToCallOutcome(string outcome, CallOutcome expected)
    {
        var body = Mutate(e => e["outcome"] = outcome);

        Assert.Equal(expected, Assert.Single(_provider.Parse(Request(body))).Outcome);
    }

    [Theory]
    [InlineData("null")]
    [InlineData("\"\"")]
    [InlineData("\"   \"")]
    [InlineData("\"anonymous\"")]
    [InlineData("\"Anonymous\"")]
    public void Parse_CallerWithheld_CallerIsNull(string callerJson)
    {
        var body = Mutate(e => e["caller"] = JsonNode.Parse(callerJson));

        Assert.Null(Assert.Single(_provider.Parse(Request(body))).CallerRaw);
    }

    [Fact]
    public void Parse_DirectionAbsent_DefaultsToInbound()
    {
        var body = Mutate(e => e.Remove("direction"));

        Assert.Equal(CallDirection.Inbound, Assert.Single(_provider.Parse(Request(body))).Direction);
    }

    [Fact]
    public void Parse_MinimalEvent_OptionalFieldsAreNull()
    {
        const string body = """
            {"eventId":"e1","callId":"c1","clinicNumber":"+441632960123","caller":"+447700900123","outcome":"missed","occurredAt":"2026-11-03T09:15:27Z"}
            """;

        var e = Assert.Single(_provider.Parse(Request(body)));

        Assert.Null(e.CallerName);
        Assert.Null(e.VoicemailLeft);
        Assert.Null(e.RingSeconds);
        Assert.Null(e.TalkSeconds);
        Assert.Null(e.StartedAt);
        Assert.Null(e.EndedAt);
        Assert.Equal(CallDirection.Inbound, e.Direction);
    }

    [Fact]
    public void Parse_OptionalFieldsExplicitlyNull_AreTreatedAsAbsent()
    {
        var body = Mutate(e =>
        {
            foreach (var name in new[] { "callerName", "direction", "voicemailLeft", "ringSeconds", "talkSeconds", "startedAt", "endedAt" })
            {
                e[name] = null;
            }
        });

        var parsed = Assert.Single(_provider.Parse(Request(body)));

        Assert.Equal(CallDirection.Inbound, parsed.Direction);
        Assert.Null(parsed.RingSeconds);
        Assert.Null(parsed.StartedAt);
    }

    [Fact]
    public void Parse_VoicemailWithoutMessage_KeepsVoicemailLeftFalse()
    {
        var body = Mutate(e =>
        {
            e["outcome"] = "voicemail";
            e["voicemailLeft"] = false;
        });

        var parsed = Assert.Single(_provider.Parse(Request(body)));

        Assert.Equal(CallOutcome.Voicemail, parsed.Outcome);
        Assert.False(parsed.VoicemailLeft);
    }

    // ---- batches ----

    [Fact]
    public void Parse_BatchOfMaximumSize_ReturnsAllEvents()
    {
        var events = _provider.Parse(Request(Batch(GenericCallEventProvider.MaxBatchSize)));

        Assert.Equal(100, events.Count);
        Assert.Equal("evt-99", events[^1].ProviderEventId);
    }

    [Fact]
    public void Parse_BatchOverMaximumSize_Throws()
    {
        var ex = Assert.Throws<WebhookFormatException>(() => _provider.Parse(Request(Batch(101))));

        Assert.Contains("at most 100", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_EmptyBatch_Throws()
    {
        var ex = Assert.Throws<WebhookFormatException>(() => _provider.Parse(Request("[]")));

        Assert.Contains("empty", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_BatchItemInvalid_MessageNamesItemAndField()
    {
        var batch = JsonNode.Parse(Sample("generic-batch.json"))!.AsArray();
        batch[1]!["outcome"] = "hung-up";

        var ex = Assert.Throws<WebhookFormatException>(() => _provider.Parse(Request(batch.ToJsonString())));

        Assert.Contains("'[1].outcome'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_BatchItemNotAnObject_Throws()
    {
        var batch = JsonNode.Parse(Sample("generic-batch.json"))!.AsArray();
        batch.Add("pbx2-cdr-77123");

        var ex = Assert.Throws<WebhookFormatException>(() => _provider.Parse(Request(batch.ToJsonString())));

        Assert.Contains("[3]", ex.Message, StringComparison.Ordinal);
    }

    // ---- malformed bodies ----

    [Theory]
    [InlineData("", "empty")]
    [InlineData("missed call from +447700900123", "not valid JSON")]
    [InlineData("{\"eventId\": \"e1\", ", "not valid JSON")]
    [InlineData("{\"eventId\": 'e1'}", "not valid JSON")]
    [InlineData("\"missed\"", "object or an array")]
    [InlineData("42", "object or an array")]
    [InlineData("null", "object or an array")]
    public void Parse_BodyNotAnEvent_Throws(string body, string expected)
    {
        var ex = Assert.Throws<WebhookFormatException>(() => _provider.Parse(Request(body)));

        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("+447700900123", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_TrailingCommaOrComment_Throws()
    {
        var valid = Sample("generic-withheld.json").TrimEnd();
        var trailingComma = valid[..^1].TrimEnd() + ",\n}";
        var comment = "// exported by the PBX\n" + valid;

        Assert.Throws<WebhookFormatException>(() => _provider.Parse(Request(trailingComma)));
        Assert.Throws<WebhookFormatException>(() => _provider.Parse(Request(comment)));
    }

    [Theory]
    [InlineData("eventId", null, "'eventId' is required")]
    [InlineData("callId", null, "'callId' is required")]
    [InlineData("clinicNumber", null, "'clinicNumber' is required")]
    [InlineData("caller", null, "'caller' is required")]
    [InlineData("outcome", null, "'outcome' is required")]
    [InlineData("occurredAt", null, "'occurredAt' is required")]
    [InlineData("eventId", "null", "'eventId' is required")]
    [InlineData("eventId", "\"  \"", "'eventId' must not be empty")]
    [InlineData("eventId", "184", "'eventId' must be a string")]
    [InlineData("callId", "{\"id\":\"c1\"}", "'callId' must be a string")]
    [InlineData("clinicNumber", "441632960123", "'clinicNumber' must be a string")]
    [InlineData("caller", "447700900123", "'caller' must be a string or null")]
    [InlineData("callerName", "true", "'callerName' must be a string or null")]
    [InlineData("outcome", "\"hung-up\"", "'outcome' must be one of")]
    [InlineData("outcome", "\"Missed\"", "'outcome' must be one of")]
    [InlineData("outcome", "3", "'outcome' must be one of")]
    [InlineData("direction", "\"sideways\"", "'direction' must be")]
    [InlineData("voicemailLeft", "\"yes\"", "'voicemailLeft' must be true, false or null")]
    [InlineData("voicemailLeft", "true", "'voicemailLeft' can only be true when outcome is voicemail")]
    [InlineData("ringSeconds", "-1", "'ringSeconds' must be a whole number")]
    [InlineData("ringSeconds", "\"25\"", "'ringSeconds' must be a whole number")]
    [InlineData("talkSeconds", "1.5", "'talkSeconds' must be a whole number")]
    [InlineData("talkSeconds", "99999999999", "'talkSeconds' must be a whole number")]
    [InlineData("occurredAt", "\"yesterday\"", "'occurredAt' must be an ISO-8601")]
    [InlineData("occurredAt", "\"2026-11-03T09:15:27\"", "'occurredAt' must be an ISO-8601")]
    [InlineData("occurredAt", "\"2026-11-03\"", "'occurredAt' must be an ISO-8601")]
    [InlineData("occurredAt", "1762161327", "'occurredAt' must be an ISO-8601")]
    [InlineData("startedAt", "\"2026-13-03T09:15:02Z\"", "'startedAt' must be an ISO-8601")]
    [InlineData("endedAt", "\"2026-11-03T09:14:00Z\"", "'endedAt' is before 'startedAt'")]
    [InlineData("ringSecs", "25", "'ringSecs' is not part of the generic call event schema")]
    [InlineData("EventId", "\"e1\"", "'EventId' is not part of the generic call event schema")]
    public void Parse_FieldInvalid_ThrowsNamingTheField(string field, string? json, string expected)
    {
        var body = Mutate(e =>
        {
            if (json is null)
            {
                e.Remove(field);
            }
            else
            {
                e[field] = JsonNode.Parse(json);
            }
        });

        var ex = Assert.Throws<WebhookFormatException>(() => _provider.Parse(Request(body)));

        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_DuplicateProperty_Throws()
    {
        var body = Sample("generic-withheld.json").Replace(
            "\"outcome\": \"abandoned\",",
            "\"outcome\": \"abandoned\",\n  \"outcome\": \"answered\",",
            StringComparison.Ordinal);

        var ex = Assert.Throws<WebhookFormatException>(() => _provider.Parse(Request(body)));

        Assert.Contains("'outcome'", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("outcome", "\"+447700900999\"")]
    [InlineData("occurredAt", "\"+447700900999\"")]
    [InlineData("direction", "\"+447700900999\"")]
    [InlineData("ringSeconds", "\"+447700900999\"")]
    public void Parse_FieldInvalid_MessageDoesNotEchoTheValue(string field, string json)
    {
        var body = Mutate(e => e[field] = JsonNode.Parse(json));

        var ex = Assert.Throws<WebhookFormatException>(() => _provider.Parse(Request(body)));

        Assert.DoesNotContain("447700900999", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_UnknownPropertyWithArbitraryName_DoesNotEchoTheName()
    {
        var body = Mutate(e => e["note: patient +447700900999 called twice"] = "x");

        var ex = Assert.Throws<WebhookFormatException>(() => _provider.Parse(Request(body)));

        Assert.DoesNotContain("447700900999", ex.Message, StringComparison.Ordinal);
        Assert.Contains("not part of the generic call event schema", ex.Message, StringComparison.Ordinal);
    }

    // ---- signature ----

    [Fact]
    public void Verify_ValidSignature_ReturnsValid()
    {
        var body = Encoding.UTF8.GetBytes(Sample("generic-missed.json"));
        var request = Request(body, GenericCallEventProvider.Sign(Secret, Now.ToUnixTimeSeconds(), body));

        var check = _provider.Verify(request, Secrets(Secret), Now);

        Assert.Equal(SignatureStatus.Valid, check.Status);
        Assert.True(check.IsValid);
    }

    [Fact]
    public void Verify_SignedWithSecondClinicSecret_ReturnsValid()
    {
        var body = Encoding.UTF8.GetBytes(Sample("generic-missed.json"));
        var request = Request(body, GenericCallEventProvider.Sign(OtherSecret, Now.ToUnixTimeSeconds(), body));

        var check = _provider.Verify(request, Secrets(Secret, OtherSecret), Now);

        Assert.Equal(SignatureStatus.Valid, check.Status);
    }

    [Fact]
    public void Verify_SeveralV1EntriesOneMatching_ReturnsValid()
    {
        var body = Encoding.UTF8.GetBytes(Sample("generic-batch.json"));
        var t = Now.ToUnixTimeSeconds();
        var stale = V1(GenericCallEventProvider.Sign("an-old-secret", t, body));
        var current = V1(GenericCallEventProvider.Sign(Secret, t, body));
        var header = $"t={t}, v1={stale}, v0=legacy, v1={current}";

        var check = _provider.Verify(Request(body, header), Secrets(Secret), Now);

        Assert.Equal(SignatureStatus.Valid, check.Status);
    }

    [Fact]
    public void Verify_SignedWithAnotherSecret_ReturnsInvalid()
    {
        var body = Encoding.UTF8.GetBytes(Sample("generic-missed.json"));
        var request = Request(body, GenericCallEventProvider.Sign("not-the-clinic-secret", Now.ToUnixTimeSeconds(), body));

        var check = _provider.Verify(request, Secrets(Secret), Now);

        Assert.Equal(SignatureStatus.Invalid, check.Status);
    }

    [Fact]
    public void Verify_BodyChangedAfterSigning_ReturnsInvalid()
    {
        var signed = Encoding.UTF8.GetBytes(Sample("generic-missed.json"));
        var header = GenericCallEventProvider.Sign(Secret, Now.ToUnixTimeSeconds(), signed);
        var tampered = Encoding.UTF8.GetBytes(Sample("generic-missed.json").Replace("\"missed\"", "\"answered\"", StringComparison.Ordinal));

        var check = _provider.Verify(Request(tampered, header), Secrets(Secret), Now);

        Assert.Equal(SignatureStatus.Invalid, check.Status);
    }

    [Fact]
    public void Verify_TimestampChangedAfterSigning_ReturnsInvalid()
    {
        var body = Encoding.UTF8.GetBytes(Sample("generic-missed.json"));
        var header = GenericCallEventProvider.Sign(Secret, Now.ToUnixTimeSeconds() - 3600, body);
        var refreshed = $"t={Now.ToUnixTimeSeconds()},v1={V1(header)}";

        var check = _provider.Verify(Request(body, refreshed), Secrets(Secret), Now);

        Assert.Equal(SignatureStatus.Invalid, check.Status);
    }

    [Fact]
    public void Verify_HeaderMissing_ReturnsMissing()
    {
        var check = _provider.Verify(Request(Sample("generic-missed.json")), Secrets(Secret), Now);

        Assert.Equal(SignatureStatus.Missing, check.Status);
    }

    [Theory]
    [InlineData("sha256=3f9a")]
    [InlineData("t=1762161330")]
    [InlineData("v1=0000000000000000000000000000000000000000000000000000000000000000")]
    [InlineData("t=yesterday,v1=0000000000000000000000000000000000000000000000000000000000000000")]
    [InlineData("t=-5,v1=0000000000000000000000000000000000000000000000000000000000000000")]
    [InlineData("t=1762161330,t=1762161330,v1=0000000000000000000000000000000000000000000000000000000000000000")]
    [InlineData("t=1762161330,v1=abc")]
    [InlineData("t=1762161330,v1=zz00000000000000000000000000000000000000000000000000000000000000")]
    public void Verify_HeaderMalformed_ReturnsInvalid(string header)
    {
        var check = _provider.Verify(Request(Sample("generic-missed.json"), header), Secrets(Secret), Now);

        Assert.Equal(SignatureStatus.Invalid, check.Status);
        Assert.Contains("malformed", check.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void Verify_ReplayedAfterTolerance_ReturnsExpired()
    {
        var body = Encoding.UTF8.GetBytes(Sample("generic-missed.json"));
        var request = Request(body, GenericCallEventProvider.Sign(Secret, Now.ToUnixTimeSeconds(), body));

        Assert.Equal(SignatureStatus.Valid, _provider.Verify(request, Secrets(Secret), Now).Status);
        Assert.Equal(SignatureStatus.Expired, _provider.Verify(request, Secrets(Secret), Now.AddSeconds(301)).Status);
        Assert.Equal(SignatureStatus.Expired, _provider.Verify(request, Secrets(Secret), Now.AddDays(2)).Status);
    }

    [Theory]
    [InlineData(-300, SignatureStatus.Valid)]
    [InlineData(300, SignatureStatus.Valid)]
    [InlineData(-301, SignatureStatus.Expired)]
    [InlineData(301, SignatureStatus.Expired)]
    public void Verify_TimestampOffsetFromNow_ExpiresOutsideTolerance(int offsetSeconds, SignatureStatus expected)
    {
        var body = Encoding.UTF8.GetBytes(Sample("generic-missed.json"));
        var request = Request(body, GenericCallEventProvider.Sign(Secret, Now.ToUnixTimeSeconds() + offsetSeconds, body));

        Assert.Equal(expected, _provider.Verify(request, Secrets(Secret), Now).Status);
    }

    [Fact]
    public void Verify_OldTimestampWithWrongSignature_ReturnsInvalid()
    {
        var body = Encoding.UTF8.GetBytes(Sample("generic-missed.json"));
        var request = Request(body, GenericCallEventProvider.Sign("not-the-clinic-secret", Now.ToUnixTimeSeconds() - 3600, body));

        Assert.Equal(SignatureStatus.Invalid, _provider.Verify(request, Secrets(Secret), Now).Status);
    }

    [Fact]
    public void Verify_ClinicHasNoSecrets_ReturnsNotConfigured()
    {
        var body = Encoding.UTF8.GetBytes(Sample("generic-missed.json"));
        var request = Request(body, GenericCallEventProvider.Sign(Secret, Now.ToUnixTimeSeconds(), body));

        Assert.Equal(SignatureStatus.NotConfigured, _provider.Verify(request, new ClinicWebhookSecrets(), Now).Status);
        Assert.Equal(SignatureStatus.NotConfigured, _provider.Verify(request, Secrets(""), Now).Status);
    }

    [Fact]
    public void Verify_UppercaseHexSignature_ReturnsValid()
    {
        var body = Encoding.UTF8.GetBytes(Sample("generic-missed.json"));
        var t = Now.ToUnixTimeSeconds();
        var header = $"t={t},v1={V1(GenericCallEventProvider.Sign(Secret, t, body)).ToUpperInvariant()}";

        Assert.Equal(SignatureStatus.Valid, _provider.Verify(Request(body, header), Secrets(Secret), Now).Status);
    }

    // ---- Sign helper ----

    [Fact]
    public void Sign_AnyBody_ProducesTimestampAndLowercaseHex()
    {
        var header = GenericCallEventProvider.Sign(Secret, 1762161330, "{}"u8);

        Assert.Matches(new Regex("^t=1762161330,v1=[0-9a-f]{64}$"), header);
    }

    [Fact]
    public void Sign_KnownInput_MatchesIndependentHmacSha256()
    {
        var body = Encoding.UTF8.GetBytes(Sample("generic-missed.json"));
        const long t = 1762161330;
        var message = Encoding.UTF8.GetBytes(t.ToString(CultureInfo.InvariantCulture) + ".").Concat(body).ToArray();
        var expected = Convert.ToHexString(HMACSHA256.HashData(Encoding.UTF8.GetBytes(Secret), message)).ToLowerInvariant();

        Assert.Equal($"t={t},v1={expected}", GenericCallEventProvider.Sign(Secret, t, body));
    }

    [Fact]
    public void Sign_RoundTrip_VerifiesAsValid()
    {
        var body = Encoding.UTF8.GetBytes(Sample("generic-batch.json"));
        var header = GenericCallEventProvider.Sign(Secret, Now.ToUnixTimeSeconds(), body);

        var request = Request(body, header);

        Assert.Equal(3, _provider.Parse(request).Count);
        Assert.Equal(SignatureStatus.Valid, _provider.Verify(request, Secrets(Secret), Now).Status);
    }

    // ---- helpers ----

    private static string Sample(string name)
        => File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Samples", "providers", name));

    private static string Mutate(Action<JsonObject> change)
    {
        var node = JsonNode.Parse(Sample("generic-missed.json"))!.AsObject();
        change(node);
        return node.ToJsonString();
    }

    private static string Batch(int count)
    {
        var array = new JsonArray();
        for (var i = 0; i < count; i++)
        {
            var item = JsonNode.Parse(Sample("generic-missed.json"))!.AsObject();
            item["eventId"] = $"evt-{i}";
            array.Add(item);
        }

        return array.ToJsonString();
    }

    private static string V1(string header) => header[(header.IndexOf("v1=", StringComparison.Ordinal) + 3)..];

    private static ClinicWebhookSecrets Secrets(params string[] secrets) => new() { GenericHmacSecrets = secrets };

    private static WebhookRequest Request(string body, string? signature = null)
        => Request(Encoding.UTF8.GetBytes(body), signature);

    private static WebhookRequest Request(byte[] body, string? signature = null)
    {
        var headers = new Dictionary<string, string>();
        if (signature is not null)
        {
            headers[GenericCallEventProvider.SignatureHeader] = signature;
        }

        return new WebhookRequest("POST", new Uri(Url), headers, "application/json; charset=utf-8", body);
    }
}
