using System.Buffers.Text;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using MissedCallFunctions.Clinics;
using MissedCallFunctions.Ingest;
using MissedCallFunctions.Ingest.Providers;

namespace MissedCallFunctions.Tests.Ingest.Providers;

public sealed class VonageCallEventProviderTests
{
    private const string Url = "https://clinic-missedcalls.azurewebsites.net/api/calls/vonage";
    private const string Secret = "kP3vX9qL2mW7rT5yB8nC4dF6gH1jZ0aS";

    private static readonly DateTimeOffset Now = new(2025, 3, 11, 9, 14, 53, TimeSpan.Zero);

    private static readonly ClinicWebhookSecrets Secrets = new() { VonageSignatureSecret = Secret };

    private readonly VonageCallEventProvider _provider = new();

    [Fact]
    public void Key_Always_IsVonage()
    {
        Assert.Equal("vonage", _provider.Key);
    }

    [Fact]
    public void MediaTypes_Always_IsJsonOnly()
    {
        Assert.Equal(["application/json"], _provider.MediaTypes);
    }

    [Fact]
    public void TryHandshake_AnyRequest_ReturnsNull()
    {
        Assert.Null(_provider.TryHandshake(Request(Sample("vonage-unanswered.json"))));
    }

    [Fact]
    public void Parse_Unanswered_ReturnsMissedInboundEvent()
    {
        var e = Assert.Single(_provider.Parse(Request(Sample("vonage-unanswered.json"))));

        Assert.Equal("6f3a9c1d8e2b4a7f9c0d5e1b2a3f4c6d:unanswered", e.ProviderEventId);
        Assert.Equal("CON-2b7e4f91-c3d8-4a56-9e01-7f6b3c2d8a45", e.ProviderCallId);
        Assert.Equal("442079460321", e.ClinicNumberRaw);
        Assert.Equal("447700900417", e.CallerRaw);
        Assert.Equal(CallDirection.Inbound, e.Direction);
        Assert.Equal(CallOutcome.Missed, e.Outcome);
        Assert.Null(e.TalkSeconds);
        Assert.Equal(DateTimeOffset.Parse("2025-03-11T09:14:52.301Z", CultureInfo.InvariantCulture), e.OccurredAt);
    }

    [Fact]
    public void Parse_Completed_ReturnsAnsweredWithTalkSeconds()
    {
        var e = Assert.Single(_provider.Parse(Request(Sample("vonage-completed.json"))));

        Assert.Equal(CallOutcome.Answered, e.Outcome);
        Assert.Equal(109, e.TalkSeconds);
        Assert.Null(e.RingSeconds);
        Assert.Equal(DateTimeOffset.Parse("2025-03-11T10:00:58Z", CultureInfo.InvariantCulture), e.StartedAt);
        Assert.Equal(DateTimeOffset.Parse("2025-03-11T10:02:47Z", CultureInfo.InvariantCulture), e.EndedAt);
        Assert.Equal("0d4e7b2a9f1c4e86b3a5c7d9e2f1a4b8:completed", e.ProviderEventId);
    }

    [Fact]
    public void Parse_Busy_ReturnsBusy()
    {
        var e = Assert.Single(_provider.Parse(Request(Sample("vonage-busy.json"))));

        Assert.Equal(CallOutcome.Busy, e.Outcome);
        Assert.Equal("447700900736", e.CallerRaw);
    }

    [Fact]
    public void Parse_Cancelled_ReturnsAbandonedWithRingSeconds()
    {
        var e = Assert.Single(_provider.Parse(Request(Sample("vonage-cancelled.json"))));

        Assert.Equal(CallOutcome.Abandoned, e.Outcome);
        Assert.Equal(12, e.RingSeconds);
    }

    [Theory]
    [InlineData("completed", CallOutcome.Answered)]
    [InlineData("unanswered", CallOutcome.Missed)]
    [InlineData("timeout", CallOutcome.Missed)]
    [InlineData("busy", CallOutcome.Busy)]
    [InlineData("cancelled", CallOutcome.Abandoned)]
    [InlineData("failed", CallOutcome.Failed)]
    [InlineData("rejected", CallOutcome.Failed)]
    [InlineData("machine", CallOutcome.Voicemail)]
    public void Parse_TerminalStatus_MapsToOutcome(string status, CallOutcome expected)
    {
        var body = Modify("vonage-unanswered.json", o => o["status"] = status);

        var e = Assert.Single(_provider.Parse(Request(body)));

        Assert.Equal(expected, e.Outcome);
        Assert.Equal($"6f3a9c1d8e2b4a7f9c0d5e1b2a3f4c6d:{status}", e.ProviderEventId);
    }

    [Theory]
    [InlineData("started")]
    [InlineData("ringing")]
    [InlineData("answered")]
    [InlineData("human")]
    [InlineData("disconnected")]
    [InlineData("some_future_status")]
    public void Parse_ProgressStatus_ReturnsEventWithoutOutcome(string status)
    {
        var body = Modify("vonage-unanswered.json", o => o["status"] = status);

        var e = Assert.Single(_provider.Parse(Request(body)));

        Assert.Null(e.Outcome);
    }

    [Fact]
    public void Parse_RingingSample_ReturnsEventWithoutOutcome()
    {
        var e = Assert.Single(_provider.Parse(Request(Sample("vonage-ringing.json"))));

        Assert.Null(e.Outcome);
        Assert.Equal("CON-2b7e4f91-c3d8-4a56-9e01-7f6b3c2d8a45", e.ProviderCallId);
        Assert.Equal("6f3a9c1d8e2b4a7f9c0d5e1b2a3f4c6d:ringing", e.ProviderEventId);
    }

    [Fact]
    public void Parse_RecordingCallback_ReturnsNoEvents()
    {
        Assert.Empty(_provider.Parse(Request(Sample("vonage-record.json"))));
    }

    [Fact]
    public void Parse_OutboundLeg_UsesFromAsClinicNumber()
    {
        var body = Modify("vonage-unanswered.json", o =>
        {
            o["direction"] = "outbound";
            o["from"] = "442079460321";
            o["to"] = "447700900999";
        });

        var e = Assert.Single(_provider.Parse(Request(body)));

        Assert.Equal(CallDirection.Outbound, e.Direction);
        Assert.Equal("442079460321", e.ClinicNumberRaw);
        Assert.Equal("447700900999", e.CallerRaw);
    }

    [Fact]
    public void Parse_NoDirection_DefaultsToInbound()
    {
        var body = Modify("vonage-unanswered.json", o => o.Remove("direction"));

        var e = Assert.Single(_provider.Parse(Request(body)));

        Assert.Equal(CallDirection.Inbound, e.Direction);
    }

    [Fact]
    public void Parse_NoConversationUuid_FallsBackToUuid()
    {
        var body = Modify("vonage-unanswered.json", o => o.Remove("conversation_uuid"));

        var e = Assert.Single(_provider.Parse(Request(body)));

        Assert.Equal("6f3a9c1d8e2b4a7f9c0d5e1b2a3f4c6d", e.ProviderCallId);
    }

    [Fact]
    public void Parse_DurationAsNumber_ReadsTalkSeconds()
    {
        var body = Modify("vonage-completed.json", o => o["duration"] = 42);

        var e = Assert.Single(_provider.Parse(Request(body)));

        Assert.Equal(42, e.TalkSeconds);
    }

    [Fact]
    public void Parse_CompletedWithoutDuration_LeavesTalkSecondsUnknown()
    {
        var body = Modify("vonage-completed.json", o => o.Remove("duration"));

        var e = Assert.Single(_provider.Parse(Request(body)));

        Assert.Equal(CallOutcome.Answered, e.Outcome);
        Assert.Null(e.TalkSeconds);
    }

    [Fact]
    public void Parse_NullStartAndRate_Accepted()
    {
        var body = Modify("vonage-unanswered.json", o =>
        {
            o["start_time"] = null;
            o["rate"] = null;
            o["price"] = null;
        });

        var e = Assert.Single(_provider.Parse(Request(body)));

        Assert.Null(e.StartedAt);
        Assert.Equal(CallOutcome.Missed, e.Outcome);
    }

    [Fact]
    public void Parse_ProgressEventWithoutNumbers_ReturnsEventWithoutOutcome()
    {
        var body = Modify("vonage-ringing.json", o =>
        {
            o.Remove("from");
            o.Remove("to");
        });

        var e = Assert.Single(_provider.Parse(Request(body)));

        Assert.Null(e.Outcome);
        Assert.Equal(string.Empty, e.ClinicNumberRaw);
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("status=unanswered&uuid=abc", "not valid JSON")]
    [InlineData("""[{"status":"unanswered"}]""", "JSON object")]
    [InlineData("""{"status":null,"uuid":"u-1","to":"442079460321"}""", "'status'")]
    [InlineData("""{"status":3,"uuid":"u-1","to":"442079460321"}""", "'status'")]
    [InlineData("""{"status":"unanswered","to":"442079460321"}""", "'uuid'")]
    [InlineData("""{"status":"unanswered","uuid":"  ","to":"442079460321"}""", "'uuid'")]
    [InlineData("""{"status":"unanswered","uuid":"u-1","from":"447700900417"}""", "'to'")]
    [InlineData("""{"status":"unanswered","uuid":"u-1","to":442079460321}""", "'to'")]
    [InlineData("""{"status":"unanswered","uuid":"u-1","to":"442079460321","direction":"sideways"}""", "'direction'")]
    [InlineData("""{"status":"completed","uuid":"u-1","to":"442079460321","duration":"about a minute"}""", "'duration'")]
    [InlineData("""{"status":"completed","uuid":"u-1","to":"442079460321","duration":-4}""", "'duration'")]
    [InlineData("""{"status":"completed","uuid":"u-1","to":"442079460321","timestamp":"11/03/2025 25:61"}""", "'timestamp'")]
    [InlineData("""{"status":"completed","uuid":"u-1","to":"442079460321","start_time":"soon"}""", "'start_time'")]
    public void Parse_MalformedBody_ThrowsNamingProblem(string body, string expectedInMessage)
    {
        var ex = Assert.Throws<WebhookFormatException>(() => _provider.Parse(Request(body)));

        Assert.Contains(expectedInMessage, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_BadValue_DoesNotEchoValue()
    {
        const string secretLooking = "SENSITIVE-7700900417";
        var body = Modify("vonage-completed.json", o => o["duration"] = secretLooking);

        var ex = Assert.Throws<WebhookFormatException>(() => _provider.Parse(Request(body)));

        Assert.DoesNotContain(secretLooking, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Verify_ValidToken_ReturnsValid()
    {
        var body = Sample("vonage-unanswered.json");
        var request = Request(body, Bearer(Token(body, Now.ToUnixTimeSeconds())));

        var check = _provider.Verify(request, Secrets, Now);

        Assert.Equal(SignatureStatus.Valid, check.Status);
        Assert.True(check.IsValid);
    }

    [Fact]
    public void Verify_CompactBodyAsVonageSendsIt_ReturnsValid()
    {
        var body = Encoding.UTF8.GetBytes(JsonNode.Parse(Sample("vonage-completed.json"))!.ToJsonString());
        var request = Request(body, Bearer(Token(body, Now.ToUnixTimeSeconds())));

        Assert.Equal(SignatureStatus.Valid, _provider.Verify(request, Secrets, Now).Status);
    }

    [Fact]
    public void Verify_UppercasePayloadHash_ReturnsValid()
    {
        var body = Sample("vonage-unanswered.json");
        var claims = Claims(body, Now.ToUnixTimeSeconds());
        claims["payload_hash"] = Convert.ToHexString(SHA256.HashData(body));
        var request = Request(body, Bearer(Sign(Header(), claims, Secret)));

        Assert.Equal(SignatureStatus.Valid, _provider.Verify(request, Secrets, Now).Status);
    }

    [Theory]
    [InlineData(-300)]
    [InlineData(300)]
    public void Verify_IssuedAtWithinTolerance_ReturnsValid(int offsetSeconds)
    {
        var body = Sample("vonage-unanswered.json");
        var request = Request(body, Bearer(Token(body, Now.ToUnixTimeSeconds() + offsetSeconds)));

        Assert.Equal(SignatureStatus.Valid, _provider.Verify(request, Secrets, Now).Status);
    }

    [Fact]
    public void Verify_TamperedBody_ReturnsInvalid()
    {
        var body = Sample("vonage-unanswered.json");
        var token = Token(body, Now.ToUnixTimeSeconds());
        var tampered = Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(body).Replace("unanswered", "completed", StringComparison.Ordinal));

        var check = _provider.Verify(Request(tampered, Bearer(token)), Secrets, Now);

        Assert.Equal(SignatureStatus.Invalid, check.Status);
        Assert.Contains("payload_hash", check.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void Verify_ClaimsAlteredAfterSigning_ReturnsInvalid()
    {
        var body = Sample("vonage-unanswered.json");
        var parts = Token(body, Now.ToUnixTimeSeconds() - 3600).Split('.');
        var forgedClaims = Claims(body, Now.ToUnixTimeSeconds());
        var forged = $"{parts[0]}.{Base64Url.EncodeToString(Encoding.UTF8.GetBytes(forgedClaims.ToJsonString()))}.{parts[2]}";

        Assert.Equal(SignatureStatus.Invalid, _provider.Verify(Request(body, Bearer(forged)), Secrets, Now).Status);
    }

    [Fact]
    public void Verify_WrongSecret_ReturnsInvalid()
    {
        var body = Sample("vonage-unanswered.json");
        var token = Sign(Header(), Claims(body, Now.ToUnixTimeSeconds()), "some-other-account-secret-0000000");

        Assert.Equal(SignatureStatus.Invalid, _provider.Verify(Request(body, Bearer(token)), Secrets, Now).Status);
    }

    [Theory]
    [InlineData("none")]
    [InlineData("HS512")]
    [InlineData("RS256")]
    [InlineData("hs256")]
    public void Verify_AlgorithmNotHs256_ReturnsInvalid(string algorithm)
    {
        var body = Sample("vonage-unanswered.json");
        var header = new JsonObject { ["alg"] = algorithm, ["typ"] = "JWT" };
        var token = Sign(header, Claims(body, Now.ToUnixTimeSeconds()), Secret);

        var check = _provider.Verify(Request(body, Bearer(token)), Secrets, Now);

        Assert.Equal(SignatureStatus.Invalid, check.Status);
    }

    [Fact]
    public void Verify_UnsignedToken_ReturnsInvalid()
    {
        var body = Sample("vonage-unanswered.json");
        var header = Base64Url.EncodeToString("""{"alg":"none","typ":"JWT"}"""u8);
        var claims = Base64Url.EncodeToString(Encoding.UTF8.GetBytes(Claims(body, Now.ToUnixTimeSeconds()).ToJsonString()));

        var check = _provider.Verify(Request(body, Bearer($"{header}.{claims}.")), Secrets, Now);

        Assert.Equal(SignatureStatus.Invalid, check.Status);
    }

    [Theory]
    [InlineData("not-a-jwt")]
    [InlineData("a.b")]
    [InlineData("a.b.c.d")]
    [InlineData("e30.e30.!!!")]
    [InlineData("eyJhbGciOiJIUzI1NiJ9.bm90IGpzb24.c2ln")]
    public void Verify_MalformedToken_ReturnsInvalid(string token)
    {
        var body = Sample("vonage-unanswered.json");

        var check = _provider.Verify(Request(body, Bearer(token)), Secrets, Now);

        Assert.Equal(SignatureStatus.Invalid, check.Status);
    }

    [Theory]
    [InlineData("payload_hash")]
    [InlineData("iat")]
    public void Verify_RequiredClaimMissing_ReturnsInvalid(string claim)
    {
        var body = Sample("vonage-unanswered.json");
        var claims = Claims(body, Now.ToUnixTimeSeconds());
        claims.Remove(claim);
        var token = Sign(Header(), claims, Secret);

        Assert.Equal(SignatureStatus.Invalid, _provider.Verify(Request(body, Bearer(token)), Secrets, Now).Status);
    }

    [Fact]
    public void Verify_IssuedAtAsString_ReturnsInvalid()
    {
        var body = Sample("vonage-unanswered.json");
        var claims = Claims(body, Now.ToUnixTimeSeconds());
        claims["iat"] = Now.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        var token = Sign(Header(), claims, Secret);

        Assert.Equal(SignatureStatus.Invalid, _provider.Verify(Request(body, Bearer(token)), Secrets, Now).Status);
    }

    [Theory]
    [InlineData(-301)]
    [InlineData(-86_400)]
    [InlineData(301)]
    public void Verify_ReplayedOutsideTolerance_ReturnsExpired(int offsetSeconds)
    {
        var body = Sample("vonage-unanswered.json");
        var request = Request(body, Bearer(Token(body, Now.ToUnixTimeSeconds() + offsetSeconds)));

        var check = _provider.Verify(request, Secrets, Now);

        Assert.Equal(SignatureStatus.Expired, check.Status);
    }

    [Fact]
    public void Verify_ExpClaimInPast_ReturnsExpired()
    {
        var body = Sample("vonage-unanswered.json");
        var claims = Claims(body, Now.ToUnixTimeSeconds() - 60);
        claims["exp"] = Now.ToUnixTimeSeconds() - 1;
        var token = Sign(Header(), claims, Secret);

        Assert.Equal(SignatureStatus.Expired, _provider.Verify(Request(body, Bearer(token)), Secrets, Now).Status);
    }

    [Fact]
    public void Verify_NoAuthorizationHeader_ReturnsMissing()
    {
        var request = Request(Sample("vonage-unanswered.json"));

        Assert.Equal(SignatureStatus.Missing, _provider.Verify(request, Secrets, Now).Status);
    }

    [Fact]
    public void Verify_BasicAuthorization_ReturnsMissing()
    {
        var body = Sample("vonage-unanswered.json");
        var headers = new Dictionary<string, string> { ["Authorization"] = "Basic dXNlcjpwYXNz" };

        Assert.Equal(SignatureStatus.Missing, _provider.Verify(Request(body, headers), Secrets, Now).Status);
    }

    [Fact]
    public void Verify_LowercaseBearerScheme_ReturnsValid()
    {
        var body = Sample("vonage-unanswered.json");
        var headers = new Dictionary<string, string> { ["authorization"] = "bearer " + Token(body, Now.ToUnixTimeSeconds()) };

        Assert.Equal(SignatureStatus.Valid, _provider.Verify(Request(body, headers), Secrets, Now).Status);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    public void Verify_NoSecret_ReturnsNotConfigured(string? secret)
    {
        var body = Sample("vonage-unanswered.json");
        var request = Request(body, Bearer(Token(body, Now.ToUnixTimeSeconds())));

        var check = _provider.Verify(request, new ClinicWebhookSecrets { VonageSignatureSecret = secret }, Now);

        Assert.Equal(SignatureStatus.NotConfigured, check.Status);
    }

    [Fact]
    public void Verify_InvalidResult_DoesNotEchoTokenOrSecret()
    {
        var body = Sample("vonage-unanswered.json");
        var token = Token(body, Now.ToUnixTimeSeconds());

        var check = _provider.Verify(Request(Encoding.UTF8.GetBytes("{}"), Bearer(token)), Secrets, Now);

        Assert.Equal(SignatureStatus.Invalid, check.Status);
        Assert.DoesNotContain(token, check.Detail, StringComparison.Ordinal);
        Assert.DoesNotContain(Secret, check.Detail, StringComparison.Ordinal);
    }

    private static JsonObject Header() => new() { ["alg"] = "HS256", ["typ"] = "JWT" };

    /// <summary>Claims shaped like a Vonage signed-webhook token.</summary>
    private static JsonObject Claims(byte[] body, long issuedAt) => new()
    {
        ["iat"] = issuedAt,
        ["jti"] = "3f1c9e7a-5b2d-4a68-9c04-e8d6b2a1f7c3",
        ["iss"] = "Vonage",
        ["payload_hash"] = Convert.ToHexStringLower(SHA256.HashData(body)),
        ["api_key"] = "a1b2c3d4",
        ["application_id"] = "7e4d2c1b-9a8f-4e6d-b5c3-2a1f0e9d8c7b",
    };

    private static string Token(byte[] body, long issuedAt) => Sign(Header(), Claims(body, issuedAt), Secret);

    private static string Sign(JsonObject header, JsonObject claims, string secret)
    {
        var signingInput = Base64Url.EncodeToString(Encoding.UTF8.GetBytes(header.ToJsonString()))
            + "." + Base64Url.EncodeToString(Encoding.UTF8.GetBytes(claims.ToJsonString()));
        var signature = HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.ASCII.GetBytes(signingInput));
        return signingInput + "." + Base64Url.EncodeToString(signature);
    }

    private static Dictionary<string, string> Bearer(string token) => new() { ["Authorization"] = "Bearer " + token };

    private static WebhookRequest Request(string body, IReadOnlyDictionary<string, string>? headers = null)
        => Request(Encoding.UTF8.GetBytes(body), headers);

    private static WebhookRequest Request(byte[] body, IReadOnlyDictionary<string, string>? headers = null)
        => new("POST", new Uri(Url), headers ?? new Dictionary<string, string>(), "application/json", body);

    private static byte[] Sample(string name)
        => File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "Samples", "providers", name));

    private static byte[] Modify(string sample, Action<JsonObject> change)
    {
        var root = JsonNode.Parse(Sample(sample))!.AsObject();
        change(root);
        return Encoding.UTF8.GetBytes(root.ToJsonString());
    }
}
