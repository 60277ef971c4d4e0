using System.Collections.Frozen;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using MissedCallFunctions.Clinics;

namespace MissedCallFunctions.Ingest.Providers;

/// <summary>
/// RingCentral webhook subscriptions on the telephony sessions filter
/// (<c>/restapi/v1.0/account/{accountId}/telephony/sessions</c>, or the extension-level variant).
/// </summary>
/// <remarks>
/// <para>
/// Envelope: <c>{uuid, event, subscriptionId, timestamp, body:{sequence, sessionId, telephonySessionId, eventTime,
/// parties:[{id, direction, from{phoneNumber,name}, to{phoneNumber,name}, status{code, reason}, missedCall}]}}</c>.
/// One event is produced per notification, from the inbound party (the clinic's leg). When a notification lists
/// several inbound parties (ring groups, call queues) the most decisive one is used: Answered, then VoiceMail, then
/// any other outcome.
/// </para>
/// <para>What counts as missed, per party <c>status.code</c> and <c>status.reason</c>:</para>
/// <list type="bullet">
/// <item><c>Disconnected</c> with reason <c>NoAnswer</c> or <c>Timeout</c>, or with <c>missedCall: true</c> and no more
/// specific reason: <see cref="CallOutcome.Missed"/>.</item>
/// <item><c>Disconnected</c> / <c>TargetBusy</c>: <see cref="CallOutcome.Busy"/>; <c>Cancelled</c> (the caller hung up
/// while it rang): <see cref="CallOutcome.Abandoned"/>; <c>Rejected</c> or <c>InvalidNumber</c>:
/// <see cref="CallOutcome.Failed"/>.</item>
/// <item><c>VoiceMail</c>: <see cref="CallOutcome.Voicemail"/> (whether a message was left is not known here).</item>
/// <item><c>Answered</c>: <see cref="CallOutcome.Answered"/>.</item>
/// <item>Anything else (<c>Setup</c>, <c>Proceeding</c>, <c>Hold</c>, <c>Parked</c>, <c>Gone</c>, and a
/// <c>Disconnected</c> with no missed signal, which is how an answered call ends): not decisive, null.</item>
/// </list>
/// <para>
/// Subscription creation sends a request with a <c>Validation-Token</c> header that must be echoed (200, within 3 s,
/// at most 1024 bytes). Later notifications carry the subscription's verification token in <c>Verification-Token</c>.
/// </para>
/// </remarks>
public sealed class RingCentralCallEventProvider : ICallEventProvider
{
    public const string ProviderKey = "ringcentral";

    public const string ValidationTokenHeader = "Validation-Token";

    public const string VerificationTokenHeader = "Verification-Token";

    private const string TelephonySessionsFilter = "/telephony/sessions";
    private const int MaxTextLength = 512;

    /// <summary>RingCentral rejects handshake replies over 1024 bytes, headers included.</summary>
    private const int MaxValidationTokenLength = 512;

    private static readonly FrozenSet<string> SupportedMediaTypes = FrozenSet.Create(StringComparer.Ordinal, "application/json");

    private static readonly JsonDocumentOptions DocumentOptions = new()
    {
        AllowTrailingCommas = false,
        CommentHandling = JsonCommentHandling.Disallow,
        MaxDepth = 32,
    };

    public string Key => ProviderKey;

    public IReadOnlySet<string> MediaTypes => SupportedMediaTypes;

    /// <summary>
    /// The subscription-creation request: a <c>Validation-Token</c> header and no notification body. Replies 200 with an
    /// empty body and the same header. A request with a notification body is an event, even if it carries the header.
    /// </summary>
    /// <summary>Answered with the generic 202 JSON summary.</summary>
    public WebhookReply? Acknowledgement => null;

    public WebhookReply? TryHandshake(WebhookRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);

        var token = request.Header(ValidationTokenHeader)?.Trim();
        if (string.IsNullOrEmpty(token) || LooksLikeNotification(request.Body))
        {
            return null;
        }

        if (token.Length > MaxValidationTokenLength || token.Any(char.IsControl))
        {
            return new WebhookReply(400, $"{ValidationTokenHeader} header is not a token.", "text/plain");
        }

        return new WebhookReply(200)
        {
            Headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase) { [ValidationTokenHeader] = token },
        };
    }

    public IReadOnlyList<ProviderCallEvent> Parse(WebhookRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);

        using var document = ParseJson(request.Body);
        var root = document.RootElement;
        if (root.ValueKind != JsonValueKind.Object)
        {
            throw new WebhookFormatException("RingCentral body must be a JSON object.");
        }

        if (Text(root, "event") is { } eventFilter && !eventFilter.Contains(TelephonySessionsFilter, StringComparison.OrdinalIgnoreCase))
        {
            throw new WebhookFormatException(
                "RingCentral 'event' is not a telephony sessions filter: subscribe this webhook to .../telephony/sessions only.");
        }

        if (Property(root, "body") is not { ValueKind: JsonValueKind.Object } body)
        {
            throw new WebhookFormatException("RingCentral notification has no 'body' object.");
        }

        var sessionId = Text(body, "telephonySessionId") ?? Text(body, "sessionId")
            ?? throw new WebhookFormatException("RingCentral notification has no 'body.telephonySessionId'.");
        Limit(sessionId, "body.telephonySessionId");

        var sequence = Sequence(body);
        var eventId = sequence is { } seq
            ? $"{sessionId}:{seq.ToString(CultureInfo.InvariantCulture)}"
            : Limit(Text(root, "uuid") ?? throw new WebhookFormatException("RingCentral notification has neither 'body.sequence' nor 'uuid'."), "uuid");

        var occurredAt = OptionalTimestamp(body, "eventTime", "body.eventTime") ?? OptionalTimestamp(root, "timestamp", "timestamp");

        if (Property(body, "parties") is not { ValueKind: JsonValueKind.Array } parties || parties.GetArrayLength() == 0)
        {
            throw new WebhookFormatException("RingCentral notification has no 'body.parties'.");
        }

        var party = SelectParty(parties);
        var (clinicSide, callerSide) = party.Direction == CallDirection.Outbound ? ("from", "to") : ("to", "from");
        var clinicParty = Property(party.Element, clinicSide);
        var callerParty = Property(party.Element, callerSide);

        // Extension-to-extension calls have no phone number on the clinic side: not a patient call, nothing to report.
        if (clinicParty is not { } clinicElement || Text(clinicElement, "phoneNumber") is not { } clinicNumber)
        {
            return [];
        }

        string? callerNumber = null;
        string? callerName = null;
        if (callerParty is { ValueKind: JsonValueKind.Object } callerElement)
        {
            callerNumber = Text(callerElement, "phoneNumber");
            callerName = Text(callerElement, "name");
        }

        var disconnected = string.Equals(party.StatusCode, "Disconnected", StringComparison.OrdinalIgnoreCase);
        return
        [
            new ProviderCallEvent
            {
                ProviderEventId = eventId,
                ProviderCallId = sessionId,
                ClinicNumberRaw = Limit(clinicNumber, $"{clinicSide}.phoneNumber"),
                CallerRaw = callerNumber is null ? null : Limit(callerNumber, $"{callerSide}.phoneNumber"),
                CallerName = callerName is null ? null : Limit(callerName, $"{callerSide}.name"),
                Direction = party.Direction,
                Outcome = party.Outcome,
                EndedAt = disconnected ? occurredAt : null,
                OccurredAt = occurredAt,
            },
        ];
    }

    /// <summary>
    /// The notification must carry the subscription's verification token in <c>Verification-Token</c> (or, as older
    /// docs name it, <c>Validation-Token</c>), equal to the clinic's
    /// <see cref="ClinicWebhookSecrets.RingCentralVerificationToken"/> (constant-time comparison).
    /// </summary>
    public SignatureCheck Verify(WebhookRequest request, ClinicWebhookSecrets secrets, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(secrets);

        if (string.IsNullOrEmpty(secrets.RingCentralVerificationToken))
        {
            return SignatureCheck.NotConfigured("no RingCentral verification token configured for this clinic");
        }

        var presented = request.Header(VerificationTokenHeader);
        if (string.IsNullOrWhiteSpace(presented))
        {
            presented = request.Header(ValidationTokenHeader);
        }

        if (string.IsNullOrWhiteSpace(presented))
        {
            return SignatureCheck.Missing($"no {VerificationTokenHeader} header");
        }

        return Common.SecretTokens.Matches(presented.Trim(), secrets.RingCentralVerificationToken)
            ? SignatureCheck.Valid()
            : SignatureCheck.Invalid($"{VerificationTokenHeader} does not match");
    }

    /// <summary>How a RingCentral party status reads from the clinic's side; null when not decisive.</summary>
    internal static CallOutcome? MapStatus(string? code, string? reason, bool? missedCall)
    {
        switch (code?.ToLowerInvariant())
        {
            case "answered":
                return CallOutcome.Answered;
            case "voicemail":
                return CallOutcome.Voicemail;
            case "disconnected":
                // A specific reason beats the generic missedCall flag (a cancelled call is also flagged missed).
                return reason?.ToLowerInvariant() switch
                {
                    "noanswer" or "timeout" => CallOutcome.Missed,
                    "targetbusy" => CallOutcome.Busy,
                    "cancelled" => CallOutcome.Abandoned,
                    "rejected" or "invalidnumber" => CallOutcome.Failed,
                    _ when missedCall == true => CallOutcome.Missed,
                    // An answered call ends like this too: no clear signal, so not decisive.
                    _ => null,
                };
            default:
                // Setup, Proceeding, Hold, Parked, Gone, VoiceMailScreening, FaxReceive, ...
                return null;
        }
    }

    private static bool LooksLikeNotification(ReadOnlyMemory<byte> body)
    {
        if (body.IsEmpty || body.Span.Trim(" \t\r\n"u8).IsEmpty)
        {
            return false;
        }

        try
        {
            using var document = JsonDocument.Parse(body, DocumentOptions);
            return Property(document.RootElement, "body") is not null || Property(document.RootElement, "event") is not null;
        }
        catch (JsonException)
        {
            return false;
        }
        catch (WebhookFormatException)
        {
            // A body with unreadable names is no handshake: Parse refuses it.
            return true;
        }
    }

    private readonly record struct Party(JsonElement Element, CallDirection Direction, string? StatusCode, CallOutcome? Outcome);

    private static Party SelectParty(JsonElement parties)
    {
        Party? best = null;
        var index = 0;
        foreach (var element in parties.EnumerateArray())
        {
            var where = $"body.parties[{index.ToString(CultureInfo.InvariantCulture)}]";
            index++;
            if (element.ValueKind != JsonValueKind.Object)
            {
                throw new WebhookFormatException($"RingCentral '{where}' is not an object.");
            }

            var direction = ReadDirection(element, where);
            string? code = null;
            string? reason = null;
            if (Property(element, "status") is { ValueKind: JsonValueKind.Object } status)
            {
                code = Text(status, "code");
                reason = Text(status, "reason");
            }

            var candidate = new Party(element, direction, code, MapStatus(code, reason, OptionalBool(element, "missedCall", where)));
            if (best is not { } current || Rank(candidate) < Rank(current))
            {
                best = candidate;
            }
        }

        return best!.Value;
    }

    /// <summary>Lower is preferred: inbound before outbound, then the most decisive outcome.</summary>
    private static int Rank(Party party)
    {
        var outcomeRank = party.Outcome switch
        {
            CallOutcome.Answered => 0,
            CallOutcome.Voicemail => 1,
            null => 3,
            _ => 2,
        };
        return (party.Direction == CallDirection.Inbound ? 0 : 10) + outcomeRank;
    }

    private static CallDirection ReadDirection(JsonElement party, string where)
        => Text(party, "direction")?.ToLowerInvariant() switch
        {
            null or "inbound" => CallDirection.Inbound,
            "outbound" => CallDirection.Outbound,
            _ => throw new WebhookFormatException($"RingCentral '{where}.direction' is not Inbound or Outbound."),
        };

    private static long? Sequence(JsonElement body)
    {
        if (Property(body, "sequence") is not { } value)
        {
            return null;
        }

        return value.ValueKind switch
        {
            JsonValueKind.Number when value.TryGetInt64(out var number) && number >= 0 => number,
            JsonValueKind.String when long.TryParse(WebhookJson.String(value, "RingCentral 'body.sequence'"), NumberStyles.None, CultureInfo.InvariantCulture,
                out var number) => number,
            _ => throw new WebhookFormatException("RingCentral 'body.sequence' is not a non-negative integer."),
        };
    }

    private static bool? OptionalBool(JsonElement item, string name, string where)
    {
        if (Property(item, name) is not { } value)
        {
            return null;
        }

        return value.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            JsonValueKind.String when bool.TryParse(WebhookJson.String(value, $"RingCentral '{where}.{name}'"), out var flag) => flag,
            _ => throw new WebhookFormatException($"RingCentral '{where}.{name}' is not a boolean."),
        };
    }

    private static JsonDocument ParseJson(ReadOnlyMemory<byte> body) => WebhookJson.Parse(body, "RingCentral", DocumentOptions, whitespaceIsEmpty: true);

    private static JsonElement? Property(JsonElement item, string name) => WebhookJson.Property(item, name);

    /// <summary>A non-blank string property, or null when absent, null, blank or not a string.</summary>
    private static string? Text(JsonElement item, string name)
        => Property(item, name) is { ValueKind: JsonValueKind.String } value && WebhookJson.String(value, $"RingCentral '{name}'") is var text
           && !string.IsNullOrWhiteSpace(text)
            ? text.Trim()
            : null;

    private static string Limit(string value, string name)
        => value.Length <= MaxTextLength
            ? value
            : throw new WebhookFormatException($"RingCentral '{name}' is longer than {MaxTextLength} characters.");

    private static DateTimeOffset? OptionalTimestamp(JsonElement item, string name, string where)
    {
        if (Property(item, name) is not { } value)
        {
            return null;
        }

        if (value.ValueKind == JsonValueKind.String
            && DateTimeOffset.TryParse(
                WebhookJson.String(value, $"RingCentral '{where}'"),
                CultureInfo.InvariantCulture,
                DateTimeStyles.AssumeUniversal | DateTimeStyles.AllowWhiteSpaces,
                out var timestamp))
        {
            return timestamp;
        }

        throw new WebhookFormatException($"RingCentral '{where}' is not an ISO 8601 date-time.");
    }
}
