using System.Collections.Frozen;
using System.Globalization;
using System.Text;
using System.Text.Json;
using MissedCallFunctions.Clinics;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Crypto.Signers;

namespace MissedCallFunctions.Ingest.Providers;

/// <summary>
/// Telnyx Call Control (Voice API v2) webhooks: one JSON event per request, <c>{"data":{...},"meta":{...}}</c>,
/// signed with Ed25519 over <c>{telnyx-timestamp}|{raw body}</c>.
/// </summary>
/// <remarks>
/// Only <c>call.hangup</c> decides an outcome. Every other event type (<c>call.initiated</c>, <c>call.answered</c>,
/// <c>call.bridged</c>, playback, recording, ...) is returned with a null outcome so it is acknowledged and ignored.
/// </remarks>
public sealed class TelnyxCallEventProvider : ICallEventProvider
{
    public const string ProviderKey = "telnyx";

    public const string SignatureHeader = "telnyx-signature-ed25519";

    public const string TimestampHeader = "telnyx-timestamp";

    /// <summary>Replay window either side of now, as in the Telnyx SDKs.</summary>
    public static readonly TimeSpan TimestampTolerance = TimeSpan.FromSeconds(300);

    private const string HangupEventType = "call.hangup";
    private const int SignatureLength = 64;
    private const int PublicKeyLength = 32;

    private static readonly FrozenSet<string> SupportedMediaTypes =
        new[] { "application/json" }.ToFrozenSet(StringComparer.Ordinal);

    public string Key => ProviderKey;

    public IReadOnlySet<string> MediaTypes => SupportedMediaTypes;

    public WebhookReply? TryHandshake(WebhookRequest request) => null;

    /// <summary>Answered with the generic 202 JSON summary.</summary>
    public WebhookReply? Acknowledgement => null;

    public IReadOnlyList<ProviderCallEvent> Parse(WebhookRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);

        using var document = ParseJson(request.Body);
        var root = document.RootElement;
        if (root.ValueKind != JsonValueKind.Object)
        {
            throw new WebhookFormatException("Telnyx body must be a JSON object.");
        }

        if (!WebhookJson.TryGetProperty(root, "data", out var data) || data.ValueKind != JsonValueKind.Object)
        {
            throw new WebhookFormatException("Telnyx body has no 'data' object.");
        }

        var eventId = RequiredString(data, "id", "data.id");
        var eventType = RequiredString(data, "event_type", "data.event_type");
        var occurredAt = OptionalTimestamp(data, "occurred_at", "data.occurred_at");

        JsonElement? payload = null;
        if (WebhookJson.TryGetProperty(data, "payload", out var payloadElement) && payloadElement.ValueKind != JsonValueKind.Null)
        {
            if (payloadElement.ValueKind != JsonValueKind.Object)
            {
                throw new WebhookFormatException("Telnyx field 'data.payload' must be an object.");
            }

            payload = payloadElement;
        }

        var callEvent = string.Equals(eventType, HangupEventType, StringComparison.Ordinal)
            ? ReadHangup(eventId, occurredAt, payload ?? throw new WebhookFormatException("Telnyx call.hangup has no 'data.payload' object."))
            : ReadIgnored(eventId, occurredAt, payload);

        return [callEvent];
    }

    public SignatureCheck Verify(WebhookRequest request, ClinicWebhookSecrets secrets, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(secrets);

        if (string.IsNullOrWhiteSpace(secrets.TelnyxPublicKey))
        {
            return SignatureCheck.NotConfigured("no Telnyx public key configured for this clinic");
        }

        var publicKey = TryReadPublicKey(secrets.TelnyxPublicKey);
        if (publicKey is null)
        {
            return SignatureCheck.NotConfigured("the clinic's Telnyx public key is not base64 of a 32-byte Ed25519 key");
        }

        var signatureHeader = request.Header(SignatureHeader);
        var timestampHeader = request.Header(TimestampHeader);
        if (string.IsNullOrWhiteSpace(signatureHeader))
        {
            return SignatureCheck.Missing($"no {SignatureHeader} header");
        }

        if (string.IsNullOrWhiteSpace(timestampHeader))
        {
            return SignatureCheck.Missing($"no {TimestampHeader} header");
        }

        var timestampText = timestampHeader.Trim();
        if (!long.TryParse(timestampText, NumberStyles.None, CultureInfo.InvariantCulture, out var unixSeconds))
        {
            return SignatureCheck.Invalid($"{TimestampHeader} is not a Unix time in seconds");
        }

        byte[] signature;
        try
        {
            signature = Convert.FromBase64String(signatureHeader.Trim());
        }
        catch (FormatException)
        {
            return SignatureCheck.Invalid($"{SignatureHeader} is not base64");
        }

        if (signature.Length != SignatureLength)
        {
            return SignatureCheck.Invalid($"{SignatureHeader} is not a {SignatureLength}-byte Ed25519 signature");
        }

        // Signed message: the timestamp exactly as sent, a pipe, then the raw body bytes (never re-encoded).
        var prefix = Encoding.UTF8.GetBytes(timestampText + "|");
        var signer = new Ed25519Signer();
        signer.Init(false, publicKey);
        signer.BlockUpdate(prefix, 0, prefix.Length);
        signer.BlockUpdate(request.Body.Span);
        if (!signer.VerifySignature(signature))
        {
            return SignatureCheck.Invalid("Ed25519 signature does not match");
        }

        // Checked after the signature so Expired always means "authentic but stale".
        if (unixSeconds < DateTimeOffset.MinValue.ToUnixTimeSeconds() || unixSeconds > DateTimeOffset.MaxValue.ToUnixTimeSeconds())
        {
            return SignatureCheck.Expired($"{TimestampHeader} is outside the {TimestampTolerance.TotalSeconds:0}s tolerance");
        }

        var skew = now - DateTimeOffset.FromUnixTimeSeconds(unixSeconds);
        if (skew.Duration() > TimestampTolerance)
        {
            return SignatureCheck.Expired($"{TimestampHeader} is outside the {TimestampTolerance.TotalSeconds:0}s tolerance");
        }

        return SignatureCheck.Valid();
    }

    private static ProviderCallEvent ReadHangup(string eventId, DateTimeOffset? occurredAt, JsonElement payload)
    {
        var callId = RequiredString(payload, "call_session_id", "data.payload.call_session_id");
        var from = RequiredString(payload, "from", "data.payload.from");
        var to = RequiredString(payload, "to", "data.payload.to");
        var direction = ReadDirection(payload);
        var cause = RequiredString(payload, "hangup_cause", "data.payload.hangup_cause");
        var source = OptionalString(payload, "hangup_source", "data.payload.hangup_source");
        var startedAt = OptionalTimestamp(payload, "start_time", "data.payload.start_time");
        var endTime = OptionalTimestamp(payload, "end_time", "data.payload.end_time");
        var endedAt = endTime ?? occurredAt;

        var outcome = MapHangupCause(cause, source);
        int? elapsed = startedAt is { } start && endedAt is { } end && end >= start
            ? (int)Math.Round((end - start).TotalSeconds, MidpointRounding.AwayFromZero)
            : null;

        var (clinic, caller) = direction == CallDirection.Outbound ? (from, to) : (to, from);
        return new ProviderCallEvent
        {
            ProviderEventId = eventId,
            ProviderCallId = callId,
            ClinicNumberRaw = clinic,
            CallerRaw = caller,
            CallerName = OptionalString(payload, "caller_id_name", "data.payload.caller_id_name"),
            Direction = direction,
            Outcome = outcome,
            // start_time is when the call began, so for an unanswered call the whole span was ringing; for an
            // answered call it also includes the ring time (Telnyx does not send the answer time on hangup).
            TalkSeconds = outcome == CallOutcome.Answered ? elapsed : null,
            RingSeconds = outcome is CallOutcome.Missed or CallOutcome.Busy or CallOutcome.Abandoned ? elapsed : null,
            StartedAt = startedAt,
            EndedAt = endedAt,
            OccurredAt = occurredAt,
        };
    }

    /// <summary>A non-decisive event: read what is there; only the envelope is required.</summary>
    private static ProviderCallEvent ReadIgnored(string eventId, DateTimeOffset? occurredAt, JsonElement? payload)
    {
        string? callId = null;
        string? from = null;
        string? to = null;
        var direction = CallDirection.Inbound;
        if (payload is { } p)
        {
            callId = LenientString(p, "call_session_id") ?? LenientString(p, "call_leg_id") ?? LenientString(p, "call_control_id");
            from = LenientString(p, "from");
            to = LenientString(p, "to");
            if (string.Equals(LenientString(p, "direction"), "outgoing", StringComparison.OrdinalIgnoreCase))
            {
                direction = CallDirection.Outbound;
            }
        }

        var (clinic, caller) = direction == CallDirection.Outbound ? (from, to) : (to, from);
        return new ProviderCallEvent
        {
            ProviderEventId = eventId,
            ProviderCallId = callId ?? eventId,
            ClinicNumberRaw = clinic ?? string.Empty,
            CallerRaw = caller,
            Direction = direction,
            Outcome = null,
            OccurredAt = occurredAt,
        };
    }

    /// <summary>How a Telnyx hangup cause reads from the clinic's side.</summary>
    internal static CallOutcome MapHangupCause(string cause, string? source) => cause.ToLowerInvariant() switch
    {
        "normal_clearing" => CallOutcome.Answered,
        // The call hit its time limit: it was up, so it was answered.
        "time_limit" => CallOutcome.Answered,
        "no_answer" or "timeout" => CallOutcome.Missed,
        // The clinic side rejected the call: nobody took it.
        "call_rejected" => CallOutcome.Missed,
        "user_busy" => CallOutcome.Busy,
        // The originator cancelled before answer. If Telnyx says the callee side cancelled, nobody took it.
        "originator_cancel" when string.Equals(source, "callee", StringComparison.OrdinalIgnoreCase) => CallOutcome.Missed,
        "originator_cancel" => CallOutcome.Abandoned,
        "not_found" or "unspecified" => CallOutcome.Failed,
        // Causes Telnyx may add later: the call ended, but we cannot say it connected.
        _ => CallOutcome.Failed,
    };

    private static CallDirection ReadDirection(JsonElement payload)
    {
        var value = OptionalString(payload, "direction", "data.payload.direction");
        return value?.ToLowerInvariant() switch
        {
            null or "" => CallDirection.Inbound,
            "incoming" or "inbound" => CallDirection.Inbound,
            "outgoing" or "outbound" => CallDirection.Outbound,
            _ => throw new WebhookFormatException("Telnyx field 'data.payload.direction' is not 'incoming' or 'outgoing'."),
        };
    }

    private static Ed25519PublicKeyParameters? TryReadPublicKey(string base64)
    {
        byte[] raw;
        try
        {
            raw = Convert.FromBase64String(base64.Trim());
        }
        catch (FormatException)
        {
            return null;
        }

        if (raw.Length != PublicKeyLength)
        {
            return null;
        }

        try
        {
            return new Ed25519PublicKeyParameters(raw);
        }
        catch (ArgumentException)
        {
            return null;
        }
    }

    private static JsonDocument ParseJson(ReadOnlyMemory<byte> body)
    {
        if (body.IsEmpty)
        {
            throw new WebhookFormatException("Telnyx body is empty.");
        }

        try
        {
            return JsonDocument.Parse(body);
        }
        catch (JsonException)
        {
            throw new WebhookFormatException("Telnyx body is not valid JSON.");
        }
    }

    private static string RequiredString(JsonElement element, string property, string path)
    {
        if (!WebhookJson.TryGetProperty(element, property, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            throw new WebhookFormatException($"Telnyx field '{path}' is missing.");
        }

        if (value.ValueKind != JsonValueKind.String)
        {
            throw new WebhookFormatException($"Telnyx field '{path}' must be a string.");
        }

        var text = WebhookJson.String(value, $"Telnyx field '{path}'");
        if (string.IsNullOrWhiteSpace(text))
        {
            throw new WebhookFormatException($"Telnyx field '{path}' is empty.");
        }

        return text;
    }

    private static string? OptionalString(JsonElement element, string property, string path)
    {
        if (!WebhookJson.TryGetProperty(element, property, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (value.ValueKind != JsonValueKind.String)
        {
            throw new WebhookFormatException($"Telnyx field '{path}' must be a string.");
        }

        var text = WebhookJson.String(value, $"Telnyx field '{path}'");
        return string.IsNullOrWhiteSpace(text) ? null : text;
    }

    private static string? LenientString(JsonElement element, string property)
        => WebhookJson.TryGetProperty(element, property, out var value) && value.ValueKind == JsonValueKind.String
           && WebhookJson.String(value, $"Telnyx field 'data.payload.{property}'") is var text && !string.IsNullOrWhiteSpace(text)
            ? text
            : null;

    private static DateTimeOffset? OptionalTimestamp(JsonElement element, string property, string path)
    {
        var text = OptionalString(element, property, path);
        if (text is null)
        {
            return null;
        }

        if (!DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var value))
        {
            throw new WebhookFormatException($"Telnyx field '{path}' is not an ISO 8601 timestamp.");
        }

        return value.ToUniversalTime();
    }
}
