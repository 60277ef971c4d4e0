using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using MissedCallFunctions.Clinics;
using MissedCallFunctions.Conversation;
using MissedCallFunctions.Conversation.Inbound;
using MissedCallFunctions.Ingest;
using MissedCallFunctions.Ingest.Providers;
using MissedCallFunctions.Recovery;
using MissedCallFunctions.Tests.Infrastructure;
using NSubstitute;

namespace MissedCallFunctions.Tests.Ingest.Providers;

/// <summary>
/// JSON escapes that decode to no valid UTF-16 (<c>"\uD800"</c>): the reader accepts them, and JsonElement throws
/// InvalidOperationException when the text is read. Every JSON webhook adapter must call that malformed (a 400).
/// </summary>
public sealed class UnreadableTextTests
{
    private const string Marker = "__lone_surrogate__";
    private const string CallUrl = "https://missedcall.example.com/api/calls/x?clinicNumber=%2B442079460000&caller=%2B447400123456";
    private const string SmsUrl = "https://missedcall.example.com/api/sms/acs";

    public static TheoryData<string, string> JsonSamples() => new()
    {
        { "generic", "providers/generic-missed.json" },
        { "generic", "providers/generic-batch.json" },
        { "telnyx", "providers/telnyx-call-hangup-no-answer.json" },
        { "telnyx", "providers/telnyx-call-initiated.json" },
        { "vonage", "providers/vonage-unanswered.json" },
        { "ringcentral", "providers/ringcentral-missed.json" },
        { "acs", "providers/acs-incoming-call-eventgrid.json" },
        { "acs", "providers/acs-incoming-call-cloudevent.json" },
        { "acs", "providers/acs-add-participant-failed-busy.json" },
        { "acs", "providers/acs-subscription-validation.json" },
        { "acs-sms", "sms/acs-sms-received-eventgrid.json" },
        { "acs-sms", "sms/acs-delivery-report-blocked.json" },
        { "acs-sms", "sms/acs-subscription-validation.json" },
    };

    [Theory]
    [MemberData(nameof(JsonSamples))]
    public void Parse_LoneSurrogateInAnyStringOrName_WebhookFormatExceptionOrIgnored(string provider, string sample)
    {
        var json = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Samples", sample));
        var refused = 0;
        var mutations = Mutations(json).ToList();
        Assert.NotEmpty(mutations);

        foreach (var (what, body) in mutations)
        {
            var parse = Record.Exception(() => Parse(provider, body));
            Assert.True(parse is null or WebhookFormatException, $"{sample}, {what}: Parse threw {parse}");
            refused += parse is null ? 0 : 1;
            foreach (var headers in HandshakeHeaders(provider))
            {
                var handshake = Record.Exception(() => Handshake(provider, body, headers));
                Assert.True(handshake is null, $"{sample}, {what}: TryHandshake threw {handshake}");
            }
        }

        Assert.True(refused > 0, $"{sample}: no lone surrogate was ever read, so this test proves nothing for it.");
    }

    [Fact]
    public void String_LoneSurrogate_WebhookFormatExceptionNamingTheFieldNotTheText()
    {
        using var document = JsonDocument.Parse("""{"id":"abc\uD800"}""");

        var ex = Assert.Throws<WebhookFormatException>(() => WebhookJson.String(document.RootElement.GetProperty("id"), "field 'id'"));

        Assert.StartsWith("field 'id' is not valid text", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("abc", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void String_InvalidUtf8InString_WebhookFormatException()
    {
        // A UTF-16 surrogate encoded as UTF-8 (CESU-8): the reader lets it through, decoding does not.
        using var document = JsonDocument.Parse(new byte[] { (byte)'"', 0xED, 0xA0, 0x80, (byte)'"' });

        Assert.Throws<WebhookFormatException>(() => WebhookJson.String(document.RootElement, "field 'x'"));
    }

    [Fact]
    public void Property_LoneSurrogateInAnotherName_WebhookFormatException()
    {
        // Long enough that a lookup cannot rule it out by length without decoding it.
        using var document = JsonDocument.Parse("""{"id":"1","\uDC00-padding-padding":"x"}""");

        Assert.Throws<WebhookFormatException>(() => WebhookJson.Property(document.RootElement, "ID"));
        Assert.Throws<WebhookFormatException>(() => WebhookJson.TryGetProperty(document.RootElement, "missing", out _));
    }

    [Fact]
    public void Verify_VonageJwtHeaderWithLoneSurrogate_InvalidNotThrown()
    {
        const string secret = "kP3vX9qL2mW7rT5yB8nC4dF6gH1jZ0aS";
        var body = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Samples", "providers", "vonage-unanswered.json"));
        var now = DateTimeOffset.UtcNow;
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(body)));
        var secrets = new ClinicWebhookSecrets { VonageSignatureSecret = secret };

        var badHeader = Jwt("""{"alg":"\uD800","typ":"JWT"}""", $$"""{"iat":{{now.ToUnixTimeSeconds()}},"payload_hash":"{{hash}}"}""", secret);
        var badClaims = Jwt("""{"alg":"HS256","typ":"JWT"}""", $$"""{"iat":{{now.ToUnixTimeSeconds()}},"payload_hash":"\uD800"}""", secret);
        var badClaimName = Jwt("""{"alg":"HS256","typ":"JWT"}""", $$"""{"iat":{{now.ToUnixTimeSeconds()}},"payload_hash":"{{hash}}","\uDC00":1}""", secret);

        foreach (var jwt in new[] { badHeader, badClaims, badClaimName })
        {
            var request = WebhookRequest.Create("POST", CallUrl, "application/json", body,
                new Dictionary<string, string> { ["Authorization"] = "Bearer " + jwt });
            Assert.Equal(SignatureStatus.Invalid, new VonageCallEventProvider().Verify(request, secrets, now).Status);
        }
    }

    [Fact]
    public async Task IngestAsync_ProviderParseThrowsInvalidOperation_400MalformedAndNothingQueued()
    {
        var provider = Substitute.For<ICallEventProvider>();
        provider.Key.Returns("fake");
        provider.MediaTypes.Returns(new HashSet<string> { "application/json" });
        provider.Parse(Arg.Any<WebhookRequest>()).Returns(_ => throw new InvalidOperationException("Cannot read invalid UTF-16 JSON text as string."));
        var ledger = Substitute.For<IIngestLedger>();
        var publisher = Substitute.For<ICallEventPublisher>();
        var ingestor = new CallEventIngestor([provider], Substitute.For<IClinicDirectory>(), ledger, publisher, Options.Create(new IngestOptions()),
            Options.Create(new CallEventQueueOptions()), TimeProvider.System, NullLogger<CallEventIngestor>.Instance);

        var result = await ingestor.IngestAsync("fake", WebhookRequest.Create("POST", CallUrl, "application/json", "{}"), CancellationToken.None);

        var rejected = Assert.IsType<IngestResult.Rejected>(result);
        Assert.Equal(400, rejected.StatusCode);
        Assert.Equal("Malformed call event", rejected.Title);
        await ledger.DidNotReceiveWithAnyArgs().ClaimAsync(default!, default);
        await publisher.DidNotReceiveWithAnyArgs().PublishAsync(default!, default, default);
    }

    [Fact]
    public async Task HandleAsync_SmsProviderParseThrowsInvalidOperation_400Malformed()
    {
        var provider = Substitute.For<IInboundSmsProvider>();
        provider.Key.Returns("fake");
        provider.MediaTypes.Returns(new HashSet<string> { "application/json" });
        provider.Parse(Arg.Any<WebhookRequest>()).Returns(_ => throw new InvalidOperationException("Cannot read invalid UTF-16 JSON text as string."));
        await using var stack = await TestStack.CreateAsync(services => services.AddSingleton(provider));

        var result = await stack.Get<InboundSmsRouter>().HandleAsync("fake", WebhookRequest.Create("POST", SmsUrl, "application/json", "{}"),
            Substitute.For<IRecoveryOrchestrations>(), CancellationToken.None);

        var rejected = Assert.IsType<IngestResult.Rejected>(result);
        Assert.Equal(400, rejected.StatusCode);
        Assert.Equal("Malformed SMS event", rejected.Title);
    }

    /// <summary>The sample with, in turn, each string value and each property name replaced by a lone surrogate.</summary>
    private static IEnumerable<(string What, string Body)> Mutations(string json)
    {
        var targets = Walk(JsonNode.Parse(json)!, mutate: -1);
        for (var i = 0; i < targets; i++)
        {
            var root = JsonNode.Parse(json)!;
            var what = string.Empty;
            Walk(root, i, w => what = w);
            yield return (what, root.ToJsonString().Replace($"\"{Marker}\"", "\"\\uD800\"", StringComparison.Ordinal));
        }
    }

    /// <summary>Counts the targets (string values and property names); replaces target <paramref name="mutate"/> with the marker.</summary>
    private static int Walk(JsonNode node, int mutate, Action<string>? mutated = null)
    {
        var index = 0;

        void Visit(JsonNode? current, string path)
        {
            switch (current)
            {
                case JsonObject obj:
                    foreach (var (name, value) in obj.ToList())
                    {
                        if (index++ == mutate)
                        {
                            obj.Remove(name);
                            obj[Marker] = value;
                            mutated?.Invoke($"name of {path}.{name}");
                        }

                        Visit(value, $"{path}.{name}");
                    }

                    break;
                case JsonArray array:
                    for (var i = 0; i < array.Count; i++)
                    {
                        Visit(array[i], $"{path}[{i}]");
                    }

                    break;
                case JsonValue value when value.GetValueKind() == JsonValueKind.String:
                    if (index++ == mutate)
                    {
                        value.ReplaceWith(Marker);
                        mutated?.Invoke($"value of {path}");
                    }

                    break;
            }
        }

        Visit(node, "$");
        return index;
    }

    private static object Parse(string provider, string body) => provider switch
    {
        "acs-sms" => new AcsInboundSmsProvider().Parse(WebhookRequest.Create("POST", SmsUrl, "application/json", body)),
        _ => CallProvider(provider).Parse(WebhookRequest.Create("POST", CallUrl, "application/json", body)),
    };

    private static WebhookReply? Handshake(string provider, string body, IReadOnlyDictionary<string, string> headers) => provider switch
    {
        "acs-sms" => new AcsInboundSmsProvider().TryHandshake(WebhookRequest.Create("POST", SmsUrl, "application/json", body, headers)),
        _ => CallProvider(provider).TryHandshake(WebhookRequest.Create("POST", CallUrl, "application/json", body, headers)),
    };

    private static IEnumerable<IReadOnlyDictionary<string, string>> HandshakeHeaders(string provider) => provider switch
    {
        "acs" or "acs-sms" => [new Dictionary<string, string>(), new Dictionary<string, string> { ["aeg-event-type"] = "SubscriptionValidation" }],
        "ringcentral" => [new Dictionary<string, string> { ["Validation-Token"] = "token-1" }],
        _ => [new Dictionary<string, string>()],
    };

    private static ICallEventProvider CallProvider(string key) => key switch
    {
        "generic" => new GenericCallEventProvider(),
        "telnyx" => new TelnyxCallEventProvider(),
        "vonage" => new VonageCallEventProvider(),
        "ringcentral" => new RingCentralCallEventProvider(),
        "acs" => new AcsCallEventProvider(),
        _ => throw new ArgumentOutOfRangeException(nameof(key), key, null),
    };

    private static string Jwt(string header, string claims, string secret)
    {
        var h = Base64Url(Encoding.UTF8.GetBytes(header));
        var c = Base64Url(Encoding.UTF8.GetBytes(claims));
        return $"{h}.{c}.{Base64Url(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.ASCII.GetBytes(h + "." + c)))}";
    }

    private static string Base64Url(byte[] bytes) => System.Buffers.Text.Base64Url.EncodeToString(bytes);
}
