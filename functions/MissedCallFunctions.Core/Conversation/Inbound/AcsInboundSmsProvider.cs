using System.Collections.Frozen;
using System.Globalization;
using System.Text.Json;
using MissedCallFunctions.Clinics;
using MissedCallFunctions.Ingest;
using MissedCallFunctions.Ingest.Providers;
using MissedCallFunctions.Messaging;

namespace MissedCallFunctions.Conversation.Inbound;

/// <summary>
/// Azure Communication Services SMS events delivered by Event Grid: <c>Microsoft.Communication.SMSReceived</c> (a text
/// from a phone) and <c>Microsoft.Communication.SMSDeliveryReportReceived</c> (the fate of a text we sent).
/// </summary>
/// <remarks>
/// <para>
/// Both envelopes are read: the Event Grid schema (a JSON array of <c>{id, topic, subject, data, eventType, eventTime,
/// dataVersion, metadataVersion}</c>) and CloudEvents 1.0 (one object, or a batch array, with <c>specversion: "1.0"</c>,
/// <c>type</c>, <c>source</c>, <c>id</c>, <c>time</c>, <c>data</c>). Every property name is matched case-insensitively:
/// the swagger and SDK spell <c>data</c> in camelCase, Microsoft's documentation examples in PascalCase, and numbers
/// come with or without the leading '+'. Numbers are returned as sent.
/// </para>
/// <para>
/// Other event types (other ACS events, Event Grid system events) are skipped, not rejected: one subscription may carry
/// more than this endpoint needs. The subscription handshakes and the optional <c>?token=</c> check are exactly those of
/// the call endpoint (<see cref="AcsCallEventProvider"/>), so one clinic token protects both.
/// </para>
/// <para>
/// Dedupe: the SMSReceived event id is the messageId (<see cref="ReceivedSms.MessageId"/>); a delivery report keeps its
/// event id in <see cref="DeliveryReport.ProviderEventId"/>.
/// </para>
/// </remarks>
public sealed class AcsInboundSmsProvider : IInboundSmsProvider
{
    public const string ProviderKey = AcsCallEventProvider.ProviderKey;

    public const string SmsReceivedEventType = "Microsoft.Communication.SMSReceived";

    public const string DeliveryReportEventType = "Microsoft.Communication.SMSDeliveryReportReceived";

    private const int MaxFieldLength = 512;

    /// <summary>Generous: ACS sends up to 2048 characters, and concatenated inbound texts can be longer.</summary>
    private const int MaxTextLength = 16 * 1024;

    private static readonly FrozenSet<string> SupportedMediaTypes = FrozenSet.Create(
        StringComparer.Ordinal,
        "application/json",
        "application/cloudevents+json",
        "application/cloudevents-batch+json");

    private static readonly JsonDocumentOptions DocumentOptions = new()
    {
        AllowTrailingCommas = false,
        CommentHandling = JsonCommentHandling.Disallow,
        MaxDepth = 32,
    };

    /// <summary>The Event Grid handshakes and the token check are shared with the call endpoint.</summary>
    private static readonly AcsCallEventProvider EventGrid = new();

    private readonly TimeProvider _time;

    /// <param name="timeProvider">The clock used only when an event carries no time at all.</param>
    public AcsInboundSmsProvider(TimeProvider? timeProvider = null)
    {
        _time = timeProvider ?? TimeProvider.System;
    }

    public string Key => ProviderKey;

    public IReadOnlySet<string> MediaTypes => SupportedMediaTypes;

    /// <summary>
    /// Event Grid subscription validation (200 with <c>{"validationResponse":code}</c>) and the CloudEvents
    /// abuse-protection OPTIONS (200 with <c>WebHook-Allowed-Origin</c>); null for ordinary deliveries.
    /// </summary>
    public WebhookReply? TryHandshake(WebhookRequest request) => EventGrid.TryHandshake(request);

    /// <summary>Event Grid only reads the status code.</summary>
    public WebhookReply? Acknowledgement => null;

    /// <summary>
    /// Event Grid does not sign deliveries: when the clinic has an <see cref="ClinicWebhookSecrets.AcsWebhookToken"/>,
    /// the subscription URL must carry <c>?token=</c> with that value (constant-time compare); otherwise the function key
    /// alone protects the endpoint.
    /// </summary>
    public SignatureCheck Verify(WebhookRequest request, ClinicWebhookSecrets secrets, DateTimeOffset now)
        => EventGrid.Verify(request, secrets, now);

    public string ClinicNumberOf(InboundSmsEvent e) => InboundSmsEvents.ClinicNumberOf(e);

    public IReadOnlyList<InboundSmsEvent> Parse(WebhookRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);

        using var document = ParseJson(request.Body);
        var root = document.RootElement;
        var events = new List<InboundSmsEvent>();
        switch (root.ValueKind)
        {
            case JsonValueKind.Object:
                AddEvent(events, root, null);
                break;
            case JsonValueKind.Array:
                if (root.GetArrayLength() == 0)
                {
                    throw new WebhookFormatException("ACS body holds no events.");
                }

                var index = 0;
                foreach (var item in root.EnumerateArray())
                {
                    AddEvent(events, item, index++);
                }

                break;
            default:
                throw new WebhookFormatException("ACS body must be a JSON array of events or one CloudEvents object.");
        }

        return events;
    }

    private void AddEvent(List<InboundSmsEvent> events, JsonElement item, int? index)
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

            (typeField, timeField) = ("type", "time");
        }
        else if (Property(item, "eventType") is not null)
        {
            (typeField, timeField) = ("eventType", "eventTime");
        }
        else
        {
            throw new WebhookFormatException($"{where} is neither an Event Grid event ('eventType') nor a CloudEvent ('specversion').");
        }

        var id = RequiredText(item, "id", where);
        var type = RequiredText(item, typeField, where);
        var isReceived = string.Equals(type, SmsReceivedEventType, StringComparison.OrdinalIgnoreCase);
        var isReport = string.Equals(type, DeliveryReportEventType, StringComparison.OrdinalIgnoreCase);
        if (!isReceived && !isReport)
        {
            // Subscription validation is answered by TryHandshake; anything else is not for this endpoint.
            return;
        }

        var eventTime = OptionalTimestamp(item, timeField, where);
        if (Property(item, "data") is not { ValueKind: JsonValueKind.Object } data)
        {
            throw new WebhookFormatException($"{where} has no 'data' object.");
        }

        events.Add(isReceived ? ReadReceived(id, eventTime, data, where) : ReadReport(id, eventTime, data, where));
    }

    private ReceivedSms ReadReceived(string id, DateTimeOffset? eventTime, JsonElement data, string where)
    {
        where += " (SMSReceived)";
        var messageId = OptionalText(data, "messageId", where) ?? id;
        var from = RequiredText(data, "from", where);
        var to = RequiredText(data, "to", where);

        var text = Property(data, "message") switch
        {
            null => throw new WebhookFormatException($"{where} has no 'data.message'."),
            { ValueKind: JsonValueKind.String } message => WebhookJson.String(message, $"{where} field 'message'"),
            _ => throw new WebhookFormatException($"{where} field 'message' must be a string."),
        };

        if (text.Length > MaxTextLength)
        {
            throw new WebhookFormatException($"{where} field 'message' is longer than {MaxTextLength} characters.");
        }

        var receivedAt = OptionalTimestamp(data, "receivedTimestamp", where) ?? eventTime ?? _time.GetUtcNow();
        return new ReceivedSms(ProviderKey, messageId, from, to, text, receivedAt)
        {
            SegmentCount = OptionalInt(data, "segmentCount", where),
        };
    }

    private DeliveryReport ReadReport(string id, DateTimeOffset? eventTime, JsonElement data, string where)
    {
        where += " (SMSDeliveryReportReceived)";
        var messageId = OptionalText(data, "messageId", where) ?? id;
        var from = RequiredText(data, "from", where);
        var to = RequiredText(data, "to", where);
        var deliveryStatus = RequiredText(data, "deliveryStatus", where);
        var details = OptionalText(data, "deliveryStatusDetails", where);
        var tag = OptionalText(data, "tag", where);

        var status = deliveryStatus.ToLowerInvariant() switch
        {
            "delivered" => DeliveryStatus.Delivered,
            "failed" => DeliveryStatus.Failed,
            // Only Delivered and Failed are documented. Anything else is taken as not final rather than guessed at.
            _ => DeliveryStatus.Sent,
        };

        var at = OptionalTimestamp(data, "receivedTimestamp", where) ?? LastAttempt(data, where) ?? eventTime ?? _time.GetUtcNow();
        return new DeliveryReport(
            ProviderKey,
            messageId,
            tag,
            status,
            details ?? deliveryStatus,
            CarrierBlockSignals.IsCarrierBlock(details),
            at)
        {
            FromRaw = from,
            ToRaw = to,
            ProviderEventId = id,
            RawStatus = deliveryStatus,
        };
    }

    /// <summary>The latest deliveryAttempts[].timestamp, when there are attempts.</summary>
    private static DateTimeOffset? LastAttempt(JsonElement data, string where)
    {
        if (Property(data, "deliveryAttempts") is not { ValueKind: JsonValueKind.Array } attempts)
        {
            return null;
        }

        DateTimeOffset? latest = null;
        foreach (var attempt in attempts.EnumerateArray())
        {
            if (OptionalTimestamp(attempt, "timestamp", where + " deliveryAttempts") is { } at && (latest is null || at > latest))
            {
                latest = at;
            }
        }

        return latest;
    }

    private static JsonDocument ParseJson(ReadOnlyMemory<byte> body) => WebhookJson.Parse(body, "ACS", DocumentOptions);

    private static JsonElement? Property(JsonElement item, string name) => WebhookJson.Property(item, name);

    private static string RequiredText(JsonElement item, string name, string where)
        => OptionalText(item, name, where) ?? throw new WebhookFormatException(
            Property(item, name) is null ? $"{where} has no '{name}'." : $"{where} field '{name}' must be a non-empty string.");

    /// <summary>A trimmed non-blank string, or null when absent or blank; a non-string value is malformed.</summary>
    private static string? OptionalText(JsonElement item, string name, string where)
    {
        if (Property(item, name) is not { } value)
        {
            return null;
        }

        if (value.ValueKind != JsonValueKind.String)
        {
            throw new WebhookFormatException($"{where} field '{name}' must be a string.");
        }

        var text = WebhookJson.String(value, $"{where} field '{name}'").Trim();
        if (text.Length > MaxFieldLength)
        {
            throw new WebhookFormatException($"{where} field '{name}' is longer than {MaxFieldLength} characters.");
        }

        return text.Length == 0 ? null : text;
    }

    private static int? OptionalInt(JsonElement item, string name, string where)
    {
        if (Property(item, name) is not { } value)
        {
            return null;
        }

        return value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var number) && number >= 0
            ? number
            : throw new WebhookFormatException($"{where} field '{name}' must be a whole number.");
    }

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
