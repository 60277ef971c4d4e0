using System.Collections.Frozen;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using MissedCallFunctions.Clinics;

namespace MissedCallFunctions.Ingest.Providers;

/// <summary>
/// Azure Communication Services calls, delivered by Event Grid (<c>Microsoft.Communication.IncomingCall</c>) and by
/// Call Automation (mid-call callbacks to the callback URI given on Answer).
/// </summary>
/// <remarks>
/// <para>
/// Both Event Grid schemas are read: the Event Grid schema (a JSON array of <c>{id, topic, subject, data, eventType,
/// eventTime, dataVersion, metadataVersion}</c>) and CloudEvents 1.0 (one object, or an array, with
/// <c>specversion: "1.0"</c>, <c>type</c>, <c>source</c>, <c>id</c>, <c>time</c>, <c>data</c>). Call Automation
/// callbacks are always CloudEvents arrays. Property names are matched case-insensitively: Microsoft's examples show
/// both camelCase and PascalCase <c>data</c> fields.
/// </para>
/// <para>What counts as missed (the processor has the last word, with the clinic's ring window):</para>
/// <list type="bullet">
/// <item><c>IncomingCall</c> is <see cref="CallOutcome.Ringing"/>. If nothing decisive is reported for the same
/// call (same <c>correlationId</c>) within the ring window, nobody answered: the call is missed.</item>
/// <item><c>AddParticipantSucceeded</c> and <c>CallTransferAccepted</c> are <see cref="CallOutcome.Answered"/> (the desk
/// phone picked up).</item>
/// <item><c>AddParticipantFailed</c> and <c>CallTransferFailed</c> are <see cref="CallOutcome.Missed"/>, or
/// <see cref="CallOutcome.Busy"/> when <c>resultInformation.code</c> is 486 or 600.</item>
/// <item><c>CallDisconnected</c> is <see cref="CallOutcome.Abandoned"/>. A callback alone cannot say whether the call
/// was connected to a person before it ended, so this relies on the processor keeping the first decisive outcome per
/// call: after an <c>Answered</c>, a later <c>CallDisconnected</c> changes nothing.</item>
/// <item><c>CallConnected</c> is not decisive (null): it fires when our application answers the call, before the desk
/// phone is even rung, so reading it as <c>Answered</c> would hide every missed call that follows.</item>
/// <item>Every other callback (play, recognize, recording, participants updated, ...) has a null outcome.</item>
/// </list>
/// <para>
/// Callbacks carry no phone numbers. Whoever answers the call must put them in the callback URI:
/// <c>https://.../api/calls/acs?clinicNumber=%2B15550100&amp;caller=%2B15550123</c> (the <c>+</c> percent-encoded;
/// a bare <c>+</c> decodes to a space, which is tolerated in front of digits). Without <c>clinicNumber</c> the
/// callback is rejected as malformed.
/// </para>
/// </remarks>
public sealed class AcsCallEventProvider : ICallEventProvider
{
    public const string ProviderKey = "acs";

    /// <summary>Query parameter carrying the clinic's <see cref="ClinicWebhookSecrets.AcsWebhookToken"/>.</summary>
    public const string TokenQueryParameter = "token";

    /// <summary>Query parameter of a Call Automation callback URI: the clinic number that was dialled.</summary>
    public const string ClinicNumberQueryParameter = "clinicNumber";

    /// <summary>Query parameter of a Call Automation callback URI: the caller's number.</summary>
    public const string CallerQueryParameter = "caller";

    public const string IncomingCallEventType = "Microsoft.Communication.IncomingCall";

    public const string SubscriptionValidationEventType = "Microsoft.EventGrid.SubscriptionValidationEvent";

    internal const string EventTypeHeader = "aeg-event-type";
    internal const string RequestOriginHeader = "WebHook-Request-Origin";
    internal const string AllowedOriginHeader = "WebHook-Allowed-Origin";
    internal const string AllowedRateHeader = "WebHook-Allowed-Rate";

    private const string CommunicationPrefix = "Microsoft.Communication.";
    private const string EventGridPrefix = "Microsoft.EventGrid.";
    private const int MaxTextLength = 512;
    private const int MaxOriginLength = 255;

    private static readonly FrozenSet<string> SupportedMediaTypes = FrozenSet.Create(
        StringComparer.Ordinal,
        "application/json",
        "application/cloudevents+json",
        "application/cloudevents-batch+json");

    /// <summary>Call Automation callback names (after <c>Microsoft.Communication.</c>) recognised even without <c>callConnectionId</c>.</summary>
    private static readonly FrozenSet<string> CallAutomationEvents = FrozenSet.Create(
        StringComparer.OrdinalIgnoreCase,
        "CallConnected",
        "CallDisconnected",
        "CallTransferAccepted",
        "CallTransferFailed",
        "AddParticipantSucceeded",
        "AddParticipantFailed",
        "CancelAddParticipantSucceeded",
        "CancelAddParticipantFailed",
        "RemoveParticipantSucceeded",
        "RemoveParticipantFailed",
        "ParticipantsUpdated",
        "PlayStarted",
        "PlayCompleted",
        "PlayFailed",
        "PlayCanceled",
        "RecognizeCompleted",
        "RecognizeFailed",
        "RecognizeCanceled",
        "RecordingStateChanged",
        "AnswerFailed",
        "CreateCallFailed",
        "ConnectFailed");

    /// <summary>SIP-style result codes that mean the desk phone was busy or declined (486 Busy Here, 600 Busy Everywhere).</summary>
    private static readonly FrozenSet<int> BusyCodes = FrozenSet.Create(486, 600);

    private static readonly JsonDocumentOptions DocumentOptions = new()
    {
        AllowTrailingCommas = false,
        CommentHandling = JsonCommentHandling.Disallow,
        MaxDepth = 32,
    };

    public string Key => ProviderKey;

    public IReadOnlySet<string> MediaTypes => SupportedMediaTypes;

    /// <summary>
    /// Answers the Event Grid subscription validation (schema handshake: 200 with <c>{"validationResponse":code}</c>)
    /// and the CloudEvents abuse-protection OPTIONS request (200 with <c>WebHook-Allowed-Origin</c>).
    /// </summary>
    /// <summary>Answered with the generic 202 JSON summary.</summary>
    public WebhookReply? Acknowledgement => null;

    public WebhookReply? TryHandshake(WebhookRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);

        if (request.Method == "OPTIONS")
        {
            return AbuseProtectionReply(request);
        }

        if (request.Method != "POST")
        {
            return null;
        }

        var headerSaysValidation = string.Equals(
            request.Header(EventTypeHeader)?.Trim(), "SubscriptionValidation", StringComparison.OrdinalIgnoreCase);

        // Cheap pre-check so ordinary deliveries are not parsed twice.
        if (!headerSaysValidation && request.BodyText.IndexOf("SubscriptionValidationEvent", StringComparison.OrdinalIgnoreCase) < 0)
        {
            return null;
        }

        string? code;
        try
        {
            code = TryReadValidationCode(request.Body);
        }
        catch (WebhookFormatException)
        {
            // Unreadable text holds no validation code; as a delivery, Parse refuses it.
            code = null;
        }

        if (code is not null)
        {
            return new WebhookReply(200, ValidationResponseBody(code), "application/json");
        }

        return headerSaysValidation
            ? new WebhookReply(400, "Event Grid subscription validation request has no data.validationCode.", "text/plain")
            : null;
    }

    public IReadOnlyList<ProviderCallEvent> Parse(WebhookRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);

        using var document = ParseJson(request.Body);
        var root = document.RootElement;

        var events = new List<ProviderCallEvent>();
        switch (root.ValueKind)
        {
            case JsonValueKind.Object:
                AddEvent(events, root, null, request);
                break;
            case JsonValueKind.Array:
                if (root.GetArrayLength() == 0)
                {
                    throw new WebhookFormatException("ACS body holds no events.");
                }

                var index = 0;
                foreach (var item in root.EnumerateArray())
                {
                    AddEvent(events, item, index++, request);
                }

                break;
            default:
                throw new WebhookFormatException("ACS body must be a JSON array of events or one CloudEvents object.");
        }

        return events;
    }

    /// <summary>
    /// Event Grid does not sign its deliveries and Call Automation callbacks are not signed either: the endpoint is
    /// protected by the function key. When the clinic has an <see cref="ClinicWebhookSecrets.AcsWebhookToken"/>,
    /// the subscription (and callback) URL must also carry <c>?token=</c> with that value, compared in constant time.
    /// Without a configured token the request is accepted on the strength of the function key alone.
    /// </summary>
    public SignatureCheck Verify(WebhookRequest request, ClinicWebhookSecrets secrets, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(secrets);

        if (string.IsNullOrEmpty(secrets.AcsWebhookToken))
        {
            return SignatureCheck.Valid();
        }

        if (!request.Query.TryGetValue(TokenQueryParameter, out var token) || string.IsNullOrEmpty(token))
        {
            return SignatureCheck.Missing($"no '{TokenQueryParameter}' query parameter");
        }

        return Common.SecretTokens.Matches(token, secrets.AcsWebhookToken)
            ? SignatureCheck.Valid()
            : SignatureCheck.Invalid($"'{TokenQueryParameter}' query parameter does not match");
    }

    private static WebhookReply AbuseProtectionReply(WebhookRequest request)
    {
        var origin = request.Header(RequestOriginHeader)?.Trim();
        if (string.IsNullOrEmpty(origin))
        {
            return new WebhookReply(400, $"OPTIONS needs a {RequestOriginHeader} header.", "text/plain");
        }

        if (origin.Length > MaxOriginLength || origin.Any(char.IsControl))
        {
            return new WebhookReply(400, $"{RequestOriginHeader} is not a host name.", "text/plain");
        }

        return new WebhookReply(200)
        {
            Headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
            {
                [AllowedOriginHeader] = origin,
                [AllowedRateHeader] = "*",
                ["Allow"] = "POST, OPTIONS",
            },
        };
    }

    private static string? TryReadValidationCode(ReadOnlyMemory<byte> body)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body, DocumentOptions);
        }
        catch (JsonException)
        {
            return null;
        }

        using (document)
        {
            var root = document.RootElement;
            IEnumerable<JsonElement> items = root.ValueKind switch
            {
                JsonValueKind.Array => root.EnumerateArray(),
                JsonValueKind.Object => [root],
                _ => [],
            };

            foreach (var item in items)
            {
                if (item.ValueKind != JsonValueKind.Object)
                {
                    continue;
                }

                var type = Text(item, "eventType") ?? Text(item, "type");
                if (!string.Equals(type, SubscriptionValidationEventType, StringComparison.OrdinalIgnoreCase))
                {
                    continue;
                }

                if (Property(item, "data") is { ValueKind: JsonValueKind.Object } data
                    && Text(data, "validationCode") is { Length: > 0 and <= MaxTextLength } code)
                {
                    return code;
                }
            }
        }

        return null;
    }

    private static string ValidationResponseBody(string code)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("validationResponse", code);
            writer.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    private static void AddEvent(List<ProviderCallEvent> events, JsonElement item, int? index, WebhookRequest request)
    {
        var where = index is { } i ? $"ACS event {i.ToString(CultureInfo.InvariantCulture)}" : "ACS event";
        if (item.ValueKind != JsonValueKind.Object)
        {
            throw new WebhookFormatException($"{where} is not a JSON object.");
        }

        string typeField;
        string timeField;
        if (Property(item, "specversion") is { } specVersion)
        {
            if (specVersion.ValueKind != JsonValueKind.String || WebhookJson.String(specVersion, $"{where} field 'specversion'") != "1.0")
            {
                throw new WebhookFormatException($"{where} is not CloudEvents 1.0 ('specversion' must be \"1.0\").");
            }

            typeField = "type";
            timeField = "time";
        }
        else if (Property(item, "eventType") is not null)
        {
            typeField = "eventType";
            timeField = "eventTime";
        }
        else
        {
            throw new WebhookFormatException($"{where} is neither an Event Grid event ('eventType') nor a CloudEvent ('specversion').");
        }

        var id = RequiredText(item, "id", where);
        var type = RequiredText(item, typeField, where);
        var occurredAt = OptionalTimestamp(item, timeField, where);

        if (type.StartsWith(EventGridPrefix, StringComparison.OrdinalIgnoreCase))
        {
            // Subscription validation is answered by TryHandshake; other Event Grid system events are not calls.
            return;
        }

        if (type.StartsWith(CommunicationPrefix + "SMS", StringComparison.OrdinalIgnoreCase))
        {
            throw new WebhookFormatException(
                "SMS events (Microsoft.Communication.SMS*) go to the SMS endpoint, not the call endpoint: point that Event Grid subscription at the SMS webhook.");
        }

        if (Property(item, "data") is not { ValueKind: JsonValueKind.Object } data)
        {
            throw new WebhookFormatException($"{where} has no 'data' object.");
        }

        if (string.Equals(type, IncomingCallEventType, StringComparison.OrdinalIgnoreCase))
        {
            if (ReadIncomingCall(id, occurredAt, data, where) is { } incoming)
            {
                events.Add(incoming);
            }

            return;
        }

        var name = type.StartsWith(CommunicationPrefix, StringComparison.OrdinalIgnoreCase) ? type[CommunicationPrefix.Length..] : null;
        if (name is null || (!CallAutomationEvents.Contains(name) && Property(data, "callConnectionId") is null))
        {
            throw new WebhookFormatException(
                $"{where} is not an ACS call event: expected Microsoft.Communication.IncomingCall or a Call Automation callback.");
        }

        events.Add(ReadCallback(id, name, occurredAt, data, request, where));
    }

    /// <summary>Null when the call was not to a phone number (e.g. redirected to an ACS user): not a clinic line.</summary>
    private static ProviderCallEvent? ReadIncomingCall(string id, DateTimeOffset? occurredAt, JsonElement data, string where)
    {
        if (Property(data, "to") is not { ValueKind: JsonValueKind.Object } to)
        {
            throw new WebhookFormatException($"{where} (IncomingCall) has no 'data.to' identifier.");
        }

        var clinic = PhoneNumberOf(to);
        if (clinic is null)
        {
            return null;
        }

        string? caller = null;
        if (Property(data, "from") is { ValueKind: JsonValueKind.Object } from)
        {
            caller = PhoneNumberOf(from);
        }

        var callId = Text(data, "correlationId") ?? Text(data, "serverCallId")
            ?? throw new WebhookFormatException($"{where} (IncomingCall) has neither 'data.correlationId' nor 'data.serverCallId'.");

        return new ProviderCallEvent
        {
            ProviderEventId = id,
            ProviderCallId = Limit(callId, "data.correlationId", where),
            ClinicNumberRaw = Limit(clinic, "data.to", where),
            CallerRaw = caller is null ? null : Limit(caller, "data.from", where),
            CallerName = Text(data, "callerDisplayName") is { } name ? Limit(name, "data.callerDisplayName", where) : null,
            Direction = CallDirection.Inbound,
            Outcome = CallOutcome.Ringing,
            StartedAt = occurredAt,
            OccurredAt = occurredAt,
        };
    }

    private static ProviderCallEvent ReadCallback(
        string id, string name, DateTimeOffset? occurredAt, JsonElement data, WebhookRequest request, string where)
    {
        var clinic = QueryNumber(request, ClinicNumberQueryParameter)
            ?? throw new WebhookFormatException("Call Automation callbacks need ?clinicNumber= in the callback URI");
        var caller = QueryNumber(request, CallerQueryParameter);

        var callId = Text(data, "correlationId") ?? Text(data, "serverCallId")
            ?? throw new WebhookFormatException($"{where} (Call Automation) has neither 'data.correlationId' nor 'data.serverCallId'.");

        var outcome = MapCallback(name, ResultCode(data));
        return new ProviderCallEvent
        {
            ProviderEventId = id,
            ProviderCallId = Limit(callId, "data.correlationId", where),
            ClinicNumberRaw = Limit(clinic, ClinicNumberQueryParameter, where),
            CallerRaw = caller is null ? null : Limit(caller, CallerQueryParameter, where),
            Direction = CallDirection.Inbound,
            Outcome = outcome,
            EndedAt = outcome is null or CallOutcome.Answered ? null : occurredAt,
            OccurredAt = occurredAt,
        };
    }

    /// <summary>What one Call Automation callback says about the call, from the clinic's side; null when nothing.</summary>
    internal static CallOutcome? MapCallback(string name, int? resultCode) => name.ToLowerInvariant() switch
    {
        "addparticipantsucceeded" or "calltransferaccepted" => CallOutcome.Answered,
        "addparticipantfailed" or "calltransferfailed" when resultCode is { } code && BusyCodes.Contains(code) => CallOutcome.Busy,
        "addparticipantfailed" or "calltransferfailed" => CallOutcome.Missed,
        "calldisconnected" => CallOutcome.Abandoned,
        // CallConnected is our own application answering, not a person: see the class remarks.
        _ => null,
    };

    private static int? ResultCode(JsonElement data)
    {
        if (Property(data, "resultInformation") is not { ValueKind: JsonValueKind.Object } result
            || Property(result, "code") is not { } code)
        {
            return null;
        }

        return code.ValueKind switch
        {
            JsonValueKind.Number when code.TryGetInt32(out var number) => number,
            JsonValueKind.String when int.TryParse(WebhookJson.String(code, "ACS field 'resultInformation.code'"), NumberStyles.None, CultureInfo.InvariantCulture,
                out var number) => number,
            _ => null,
        };
    }

    /// <summary>The E.164 text of a phone-number <c>CommunicationIdentifierModel</c>, or null for other identifiers.</summary>
    private static string? PhoneNumberOf(JsonElement identifier)
    {
        if (Property(identifier, "phoneNumber") is { ValueKind: JsonValueKind.Object } phone
            && Text(phone, "value") is { } value)
        {
            return value;
        }

        // Phone-number raw ids are "4:" followed by the number.
        if (Text(identifier, "rawId") is { } rawId && rawId.StartsWith("4:", StringComparison.Ordinal) && rawId.Length > 2)
        {
            return rawId[2..];
        }

        return null;
    }

    private static string? QueryNumber(WebhookRequest request, string name)
    {
        if (!request.Query.TryGetValue(name, out var value) || string.IsNullOrWhiteSpace(value))
        {
            return null;
        }

        // An unencoded '+' arrives as a space: "?caller=+15550123" reads " 15550123".
        if (value[0] == ' ' && value.Length > 1 && char.IsAsciiDigit(value[1]))
        {
            return "+" + value[1..].Trim();
        }

        return value.Trim();
    }

    private static JsonDocument ParseJson(ReadOnlyMemory<byte> body) => WebhookJson.Parse(body, "ACS", DocumentOptions);

    private static JsonElement? Property(JsonElement item, string name) => WebhookJson.Property(item, name);

    /// <summary>A non-blank string property, or null when absent, null, blank or not a string.</summary>
    private static string? Text(JsonElement item, string name)
        => Property(item, name) is { ValueKind: JsonValueKind.String } value && WebhookJson.String(value, $"ACS field '{name}'") is var text
           && !string.IsNullOrWhiteSpace(text)
            ? text.Trim()
            : null;

    private static string RequiredText(JsonElement item, string name, string where)
    {
        if (Property(item, name) is not { } value)
        {
            throw new WebhookFormatException($"{where} has no '{name}'.");
        }

        var text = value.ValueKind == JsonValueKind.String ? WebhookJson.String(value, $"{where} field '{name}'") : null;
        if (string.IsNullOrWhiteSpace(text))
        {
            throw new WebhookFormatException($"{where} field '{name}' must be a non-empty string.");
        }

        return Limit(text.Trim(), name, where);
    }

    private static string Limit(string value, string name, string where)
        => value.Length <= MaxTextLength
            ? value
            : throw new WebhookFormatException($"{where} field '{name}' is longer than {MaxTextLength} characters.");

    private static DateTimeOffset? OptionalTimestamp(JsonElement item, string name, string where)
    {
        if (Property(item, name) is not { } value)
        {
            return null;
        }

        if (value.ValueKind == JsonValueKind.String
            && DateTimeOffset.TryParse(
                WebhookJson.String(value, $"{where} field '{name}'"),
                CultureInfo.InvariantCulture,
                DateTimeStyles.AssumeUniversal | DateTimeStyles.AllowWhiteSpaces,
                out var timestamp))
        {
            return timestamp;
        }

        throw new WebhookFormatException($"{where} field '{name}' is not an ISO 8601 date-time.");
    }
}
