using System.Collections.Frozen;
using System.Globalization;
using MissedCallFunctions.Clinics;
using MissedCallFunctions.Ingest;
using MissedCallFunctions.Ingest.Providers;
using MissedCallFunctions.Messaging;

namespace MissedCallFunctions.Conversation.Inbound;

/// <summary>
/// Twilio Programmable Messaging webhooks, both form-encoded and signed with <c>X-Twilio-Signature</c>:
/// <list type="bullet">
/// <item>the incoming message webhook of a number or Messaging Service (<c>MessageSid, From, To, Body, NumMedia,
/// NumSegments, SmsStatus=received</c>, and <c>OptOutType</c> when Advanced Opt-Out is on) → <see cref="ReceivedSms"/>;</item>
/// <item>the status callback of a text we sent (<c>MessageSid, MessageStatus, ErrorCode, From, To</c>) →
/// <see cref="DeliveryReport"/>: delivered (and read) → Delivered; undelivered, failed, canceled → Failed; queued,
/// accepted, scheduled, sending, sent → Sent. Error 21610 (unsubscribed recipient) is an opt-out signal.</item>
/// </list>
/// </summary>
/// <remarks>
/// Twilio puts no timestamp in either webhook: times are the clock's at parse time. Status callbacks carry no tag
/// either; <see cref="TwilioSmsChannel"/> appends <c>?tag=</c> to the status callback URL and it is read back from
/// the request URL (Twilio signs the URL with its query, so the tag is covered by the signature).
/// STOP texts still arrive here as <see cref="ReceivedSms"/> (Twilio blocks the pair and passes the message on).
/// </remarks>
public sealed class TwilioInboundSmsProvider : IInboundSmsProvider
{
    public const string ProviderKey = TwilioCallEventProvider.ProviderKey;

    /// <summary>Query parameter of the status callback URL that carries the send's tag.</summary>
    public const string TagQueryParameter = TwilioSmsChannel.TagQueryParameter;

    /// <summary>The empty TwiML to answer both webhooks with (200, <c>text/xml</c>): no reply text, nothing else to do.</summary>
    public const string EmptyTwiml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response></Response>";

    private const int MaxFieldLength = 512;
    private const int MaxBodyLength = 16 * 1024;

    private static readonly FrozenSet<string> FormMediaTypes = FrozenSet.Create(StringComparer.Ordinal, TwilioCallEventProvider.FormMediaType);

    /// <summary>The signature check is the voice callbacks' one: all posted parameters, the public URL, HMAC-SHA1.</summary>
    private static readonly TwilioCallEventProvider Signatures = new();

    /// <summary>Short, non-personal descriptions of the commonest delivery error codes, for <see cref="DeliveryReport.Detail"/>.</summary>
    private static readonly FrozenDictionary<string, string> KnownErrors = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["21610"] = "unsubscribed recipient",
        ["21211"] = "invalid 'To' number",
        ["21614"] = "'To' is not a mobile number",
        ["30003"] = "unreachable destination handset",
        ["30004"] = "message blocked",
        ["30005"] = "unknown destination handset",
        ["30006"] = "landline or unreachable carrier",
        ["30007"] = "message filtered by the carrier",
        ["30008"] = "unknown error",
        ["30034"] = "sender not registered (A2P 10DLC)",
    }.ToFrozenDictionary(StringComparer.Ordinal);

    private readonly TimeProvider _time;

    /// <param name="timeProvider">The clock that stamps events (Twilio's webhooks carry no time).</param>
    public TwilioInboundSmsProvider(TimeProvider? timeProvider = null)
    {
        _time = timeProvider ?? TimeProvider.System;
    }

    public string Key => ProviderKey;

    public IReadOnlySet<string> MediaTypes => FormMediaTypes;

    /// <summary>The reply to acknowledge a webhook with: 200 and empty TwiML, so Twilio sends nothing back.</summary>
    public static WebhookReply AcknowledgeReply { get; } = new(200, EmptyTwiml, "text/xml");

    public WebhookReply? TryHandshake(WebhookRequest request) => null;

    /// <summary>Twilio runs whatever TwiML it gets back: empty TwiML, so nothing is sent and nothing is logged as an error.</summary>
    public WebhookReply Acknowledgement => AcknowledgeReply;

    public SignatureCheck Verify(WebhookRequest request, ClinicWebhookSecrets secrets, DateTimeOffset now)
        => Signatures.Verify(request, secrets, now);

    public string ClinicNumberOf(InboundSmsEvent e) => InboundSmsEvents.ClinicNumberOf(e);

    public IReadOnlyList<InboundSmsEvent> Parse(WebhookRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Body.IsEmpty)
        {
            throw new WebhookFormatException("body is empty: expected form-encoded Twilio messaging webhook parameters");
        }

        var form = TwilioCallEventProvider.ParseForm(request.Body.Span);
        var messageSid = Optional(form, "MessageSid") ?? Optional(form, "SmsSid") ?? Optional(form, "SmsMessageSid")
            ?? throw new WebhookFormatException("'MessageSid' is missing: not a Twilio messaging webhook");
        Limit(messageSid, "MessageSid");

        var status = Optional(form, "MessageStatus") ?? Optional(form, "SmsStatus");
        if (status is null ? form.ContainsKey("Body") : status is "received" or "receiving")
        {
            return [ReadReceived(form, messageSid)];
        }

        if (status is null)
        {
            throw new WebhookFormatException("neither 'MessageStatus' nor 'Body' is present: not a Twilio messaging webhook");
        }

        return [ReadReport(form, messageSid, status, request)];
    }

    private ReceivedSms ReadReceived(IReadOnlyDictionary<string, string> form, string messageSid)
    {
        var from = Required(form, "From");
        var to = Required(form, "To");
        if (!form.TryGetValue("Body", out var body))
        {
            throw new WebhookFormatException("'Body' is missing: not a Twilio incoming message");
        }

        if (body.Length > MaxBodyLength)
        {
            throw new WebhookFormatException($"'Body' is longer than {MaxBodyLength} characters");
        }

        var optOutType = Optional(form, "OptOutType");
        return new ReceivedSms(ProviderKey, messageSid, from, to, body, _time.GetUtcNow())
        {
            SegmentCount = Count(form, "NumSegments"),
            MediaCount = Count(form, "NumMedia") ?? 0,
            OptOutType = optOutType is null ? null : Limit(optOutType, "OptOutType").ToUpperInvariant(),
        };
    }

    private DeliveryReport ReadReport(IReadOnlyDictionary<string, string> form, string messageSid, string rawStatus, WebhookRequest request)
    {
        var status = rawStatus switch
        {
            "delivered" or "read" or "partially_delivered" => DeliveryStatus.Delivered,
            "undelivered" or "failed" or "canceled" => DeliveryStatus.Failed,
            "queued" or "accepted" or "scheduled" or "sending" or "sent" => DeliveryStatus.Sent,
            _ => throw new WebhookFormatException("'MessageStatus' is not a Twilio message status"),
        };

        var from = Required(form, "From");
        var to = Required(form, "To");
        var errorCode = Optional(form, "ErrorCode");
        if (errorCode is not null && (errorCode.Length > 10 || !errorCode.All(char.IsAsciiDigit)))
        {
            throw new WebhookFormatException("'ErrorCode' must be a number");
        }

        // Twilio sends ErrorCode=0 on some successful callbacks: that is no error.
        if (errorCode is "0")
        {
            errorCode = null;
        }

        var detail = errorCode is null
            ? rawStatus
            : KnownErrors.TryGetValue(errorCode, out var meaning)
                ? $"{rawStatus}: error {errorCode} ({meaning})"
                : $"{rawStatus}: error {errorCode}";

        var tag = request.Query.TryGetValue(TagQueryParameter, out var tagValue) && !string.IsNullOrWhiteSpace(tagValue)
            ? Limit(tagValue.Trim(), TagQueryParameter)
            : null;

        return new DeliveryReport(
            ProviderKey,
            messageSid,
            tag,
            status,
            detail,
            CarrierBlockSignals.IsCarrierBlock(null, errorCode),
            _time.GetUtcNow())
        {
            FromRaw = from,
            ToRaw = to,
            ErrorCode = errorCode,
            RawStatus = rawStatus,
        };
    }

    private static string Required(IReadOnlyDictionary<string, string> form, string name)
    {
        if (!form.TryGetValue(name, out var value))
        {
            throw new WebhookFormatException($"'{name}' is missing: not a Twilio messaging webhook");
        }

        return string.IsNullOrWhiteSpace(value)
            ? throw new WebhookFormatException($"'{name}' is empty")
            : Limit(value.Trim(), name);
    }

    private static string? Optional(IReadOnlyDictionary<string, string> form, string name)
        => form.TryGetValue(name, out var value) && !string.IsNullOrWhiteSpace(value) ? value.Trim() : null;

    private static int? Count(IReadOnlyDictionary<string, string> form, string name)
    {
        var text = Optional(form, name);
        if (text is null)
        {
            return null;
        }

        return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var count)
            ? count
            : throw new WebhookFormatException($"'{name}' must be a whole number");
    }

    private static string Limit(string value, string name)
        => value.Length <= MaxFieldLength ? value : throw new WebhookFormatException($"'{name}' is longer than {MaxFieldLength} characters");
}
