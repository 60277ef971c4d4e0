using System.Globalization;
using System.Text.Json.Nodes;

namespace MissedCallFunctions.LocalHost.SmsSandbox;

/// <summary>How the event's data is spelled: ACS payloads are seen both ways.</summary>
public enum SandboxEventShape
{
    /// <summary>camelCase fields and E.164 numbers with '+': the swagger and the .NET SDK models.</summary>
    Schema,

    /// <summary>PascalCase fields and numbers without '+': the official documentation examples.</summary>
    DocExample,
}

/// <summary>One Event Grid event, renderable in either envelope.</summary>
public sealed record SandboxEvent(string Id, string Type, string Subject, DateTimeOffset Time, JsonObject Data, string Source)
{
    /// <summary>Event Grid schema: {id, topic, subject, data, eventType, eventTime, dataVersion, metadataVersion}.</summary>
    public JsonObject ToEventGridSchema() => new()
    {
        ["id"] = Id,
        ["topic"] = Source,
        ["subject"] = Subject,
        ["data"] = Data.DeepClone(),
        ["eventType"] = Type,
        ["eventTime"] = SandboxEvents.Timestamp(Time),
        ["dataVersion"] = "1.0",
        ["metadataVersion"] = "1",
    };

    /// <summary>CloudEvents 1.0: {id, source, subject, type, time, specversion, datacontenttype, data}.</summary>
    public JsonObject ToCloudEvent() => new()
    {
        ["id"] = Id,
        ["source"] = Source,
        ["subject"] = Subject,
        ["type"] = Type,
        ["time"] = SandboxEvents.Timestamp(Time),
        ["specversion"] = "1.0",
        ["datacontenttype"] = "application/json",
        ["data"] = Data.DeepClone(),
    };

    /// <summary>The body Event Grid POSTs for this one event in the Event Grid schema: an array of one.</summary>
    public string ToEventGridJson() => SandboxEvents.ToEventGridJson(this);

    /// <summary>The body Event Grid POSTs for this one event as a CloudEvent (a single object, not batched).</summary>
    public string ToCloudEventJson() => ToCloudEvent().ToJsonString();
}

/// <summary>
/// Builds the ACS SMS events Event Grid would deliver for sandbox traffic: <c>Microsoft.Communication.SMSReceived</c> for a
/// reply from a phone and <c>Microsoft.Communication.SMSDeliveryReportReceived</c> for a sent text, in the Event Grid
/// schema (a JSON array) or as CloudEvents. Posting them to the inbound webhook is the caller's job (headers:
/// <see cref="EventGridHeaders"/> / <see cref="CloudEventContentType"/>).
/// </summary>
public static class SandboxEvents
{
    public const string SmsReceivedType = "Microsoft.Communication.SMSReceived";
    public const string DeliveryReportType = "Microsoft.Communication.SMSDeliveryReportReceived";
    public const string SubscriptionValidationType = "Microsoft.EventGrid.SubscriptionValidationEvent";

    /// <summary>The ARM id of a fictitious ACS resource (event topic / source).</summary>
    public const string DefaultSource =
        "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/sandbox/providers/Microsoft.Communication/communicationServices/sms-sandbox";

    public const string EventGridContentType = "application/json";
    public const string CloudEventContentType = "application/cloudevents+json; charset=utf-8";
    public const string CloudEventBatchContentType = "application/cloudevents-batch+json; charset=utf-8";

    /// <summary>The headers of an Event Grid schema delivery (aeg-event-type: Notification).</summary>
    public static IReadOnlyDictionary<string, string> EventGridHeaders { get; } = new Dictionary<string, string>
    {
        ["aeg-event-type"] = "Notification",
        ["aeg-delivery-count"] = "0",
    };

    /// <summary>SMSReceived for a reply recorded with <see cref="SmsSandbox.Reply"/>.</summary>
    public static SandboxEvent SmsReceived(SandboxMessage reply, SandboxEventShape shape = SandboxEventShape.Schema)
    {
        ArgumentNullException.ThrowIfNull(reply);
        if (reply.Direction != SandboxDirection.Inbound)
        {
            throw new ArgumentException("SMSReceived is for a reply from a phone (an inbound message).", nameof(reply));
        }

        return SmsReceived(reply.From, reply.To, reply.Body, reply.Timestamp, reply.MessageId, shape);
    }

    /// <summary>SMSReceived for a text from <paramref name="from"/> (the phone) to <paramref name="to"/> (the clinic's ACS number).</summary>
    public static SandboxEvent SmsReceived(string from, string to, string message, DateTimeOffset receivedAt, string? messageId = null,
        SandboxEventShape shape = SandboxEventShape.Schema, string source = DefaultSource)
    {
        messageId ??= "Incoming_" + receivedAt.UtcDateTime.ToString("yyyyMMddHHmmss", CultureInfo.InvariantCulture) + Guid.NewGuid().ToString("N");
        var data = new JsonObject
        {
            [Name("messageId", shape)] = messageId,
            [Name("from", shape)] = Number(from, shape),
            [Name("to", shape)] = Number(to, shape),
            [Name("message", shape)] = message,
            [Name("receivedTimestamp", shape)] = Timestamp(receivedAt),
            [Name("segmentCount", shape)] = SegmentCount(message),
        };
        return new SandboxEvent(messageId, SmsReceivedType, Subject(to), receivedAt, data, source);
    }

    /// <summary>A delivery report for a text sent through the sandbox (ACS reports only when enableDeliveryReport was true).</summary>
    /// <param name="deliveryStatus">"Delivered" or "Failed".</param>
    /// <param name="deliveryStatusDetails">"No error." or e.g. "Sender blocked for given recipient." (see <see cref="CarrierBlocked"/>).</param>
    public static SandboxEvent DeliveryReport(SandboxMessage sent, string deliveryStatus = "Delivered", string deliveryStatusDetails = "No error.",
        DateTimeOffset? receivedAt = null, SandboxEventShape shape = SandboxEventShape.Schema, string source = DefaultSource)
    {
        ArgumentNullException.ThrowIfNull(sent);
        if (sent.Direction != SandboxDirection.Outbound)
        {
            throw new ArgumentException("Delivery reports are for sent (outbound) messages.", nameof(sent));
        }

        var at = receivedAt ?? sent.Timestamp.AddSeconds(2);
        var segments = SegmentCount(sent.Body);
        var delivered = string.Equals(deliveryStatus, "Delivered", StringComparison.OrdinalIgnoreCase);
        var data = new JsonObject
        {
            [Name("messageId", shape)] = sent.MessageId,
            [Name("from", shape)] = Number(sent.From, shape),
            [Name("to", shape)] = Number(sent.To, shape),
            [Name("deliveryStatus", shape)] = deliveryStatus,
            [Name("deliveryStatusDetails", shape)] = deliveryStatusDetails,
            [Name("deliveryAttempts", shape)] = new JsonArray(new JsonObject
            {
                [Name("timestamp", shape)] = Timestamp(at.AddSeconds(-1)),
                [Name("segmentsSucceeded", shape)] = delivered ? segments : 0,
                [Name("segmentsFailed", shape)] = delivered ? 0 : segments,
            }),
            [Name("receivedTimestamp", shape)] = Timestamp(at),
        };
        if (sent.Tag is not null)
        {
            data[Name("tag", shape)] = sent.Tag;
        }

        return new SandboxEvent(sent.MessageId, DeliveryReportType, Subject(sent.From), at, data, source);
    }

    /// <summary>The failed delivery report ACS sends when the recipient has opted out at the carrier (STOP).</summary>
    public static SandboxEvent CarrierBlocked(SandboxMessage sent, DateTimeOffset? receivedAt = null, SandboxEventShape shape = SandboxEventShape.Schema) =>
        DeliveryReport(sent, "Failed", SmsSandbox.SenderBlockedMessage, receivedAt, shape);

    /// <summary>The Event Grid subscription handshake (header aeg-event-type: SubscriptionValidation); answer 200 {"validationResponse": code}.</summary>
    public static SandboxEvent SubscriptionValidation(string validationCode, DateTimeOffset at, string source = DefaultSource) =>
        new(Guid.NewGuid().ToString(), SubscriptionValidationType, string.Empty, at,
            new JsonObject
            {
                ["validationCode"] = validationCode,
                ["validationUrl"] = $"https://rp-eastus.eventgrid.azure.net:553/eventsubscriptions/sandbox/validate?id={validationCode}",
            }, source);

    /// <summary>An Event Grid schema delivery: a JSON array of events.</summary>
    public static string ToEventGridJson(params SandboxEvent[] events) =>
        new JsonArray([.. events.Select(e => (JsonNode)e.ToEventGridSchema())]).ToJsonString();

    /// <summary>A CloudEvents batch delivery: a JSON array of CloudEvents.</summary>
    public static string ToCloudEventsBatchJson(params SandboxEvent[] events) =>
        new JsonArray([.. events.Select(e => (JsonNode)e.ToCloudEvent())]).ToJsonString();

    /// <summary>GSM-7 texts: 160 characters in one segment, else 153 per segment; anything else (UCS-2): 70, else 67.</summary>
    public static int SegmentCount(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var gsm = text.All(IsGsm7);
        var (single, multi) = gsm ? (160, 153) : (70, 67);
        var length = gsm ? text.Sum(c => GsmExtension.Contains(c) ? 2 : 1) : text.Length;
        return length <= single ? 1 : (length + multi - 1) / multi;
    }

    internal static string Timestamp(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture);

    private const string GsmBasic =
        "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";

    private const string GsmExtension = "^{}\\[~]|€\f";

    private static bool IsGsm7(char c) => GsmBasic.Contains(c, StringComparison.Ordinal) || GsmExtension.Contains(c, StringComparison.Ordinal);

    private static string Subject(string number) => "/phonenumber/" + number.TrimStart('+');

    private static string Number(string number, SandboxEventShape shape) => shape == SandboxEventShape.DocExample ? number.TrimStart('+') : number;

    private static string Name(string camel, SandboxEventShape shape) =>
        shape == SandboxEventShape.DocExample ? char.ToUpperInvariant(camel[0]) + camel[1..] : camel;
}
