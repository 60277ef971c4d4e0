namespace MissedCallFunctions.Conversation.Inbound;

/// <summary>
/// Something an SMS provider reported about the clinic's texting: a text from a patient (<see cref="ReceivedSms"/>) or
/// the fate of a text we sent (<see cref="DeliveryReport"/>). Phone numbers are as the provider sent them (with or
/// without '+'); normalize them with <c>PhoneNumberTools.Normalize</c> before use.
/// </summary>
public abstract record InboundSmsEvent
{
    private protected InboundSmsEvent()
    {
    }

    /// <summary>
    /// Stable across redeliveries of the same provider event (Event Grid and Twilio both deliver at least once):
    /// the key for idempotent handling, unique within one provider.
    /// </summary>
    public abstract string DedupeKey { get; }
}

/// <summary>A text from a phone to one of the clinic's numbers.</summary>
/// <param name="Provider">The provider key ("acs", "twilio").</param>
/// <param name="MessageId">The provider's id of the inbound text (ACS messageId = the Event Grid event id, Twilio MessageSid): the dedupe key.</param>
/// <param name="FromRaw">The patient's number as sent.</param>
/// <param name="ToRaw">The clinic's number as sent.</param>
/// <param name="Text">The message body; personal data, never logged at Information level.</param>
/// <param name="ReceivedAt">When the provider received it (ACS receivedTimestamp; Twilio sends no time, so the clock at parse time).</param>
public sealed record ReceivedSms(string Provider, string MessageId, string FromRaw, string ToRaw, string Text, DateTimeOffset ReceivedAt)
    : InboundSmsEvent
{
    /// <summary>Number of SMS segments, when the provider says (ACS segmentCount, Twilio NumSegments).</summary>
    public int? SegmentCount { get; init; }

    /// <summary>Number of attached media items (Twilio NumMedia; always 0 for ACS).</summary>
    public int MediaCount { get; init; }

    /// <summary>
    /// The provider's own keyword classification, when it made one: Twilio sends <c>OptOutType</c> (STOP, START, HELP)
    /// only when Advanced Opt-Out is enabled on the Messaging Service. Null otherwise: classify <see cref="Text"/> yourself.
    /// </summary>
    public string? OptOutType { get; init; }

    public override string DedupeKey => MessageId;
}

/// <summary>What happened to a text we sent.</summary>
/// <param name="Provider">The provider key ("acs", "twilio").</param>
/// <param name="MessageId">The provider's id of the SENT text (ACS messageId, Twilio MessageSid): matches <c>SmsSendResult.ProviderMessageId</c>.</param>
/// <param name="Tag">The tag given at send time (ACS smsSendOptions.tag; Twilio: the <c>tag</c> query parameter of the status callback URL).</param>
/// <param name="Status">Delivered, Failed, or Sent (intermediate: queued, accepted, sent to the carrier).</param>
/// <param name="Detail">The provider's reason or status text (ACS deliveryStatusDetails; Twilio status and error code). No personal data.</param>
/// <param name="OptOutSignal">The recipient blocked this sender (ACS "Sender blocked for given recipient.", Twilio error 21610): record an opt-out.</param>
/// <param name="At">When the provider reported it (ACS receivedTimestamp; Twilio sends no time, so the clock at parse time).</param>
public sealed record DeliveryReport(
    string Provider,
    string MessageId,
    string? Tag,
    DeliveryStatus Status,
    string? Detail,
    bool OptOutSignal,
    DateTimeOffset At) : InboundSmsEvent
{
    /// <summary>The sender of the text: the clinic's number, as sent.</summary>
    public required string FromRaw { get; init; }

    /// <summary>The recipient of the text: the patient's number, as sent.</summary>
    public required string ToRaw { get; init; }

    /// <summary>The provider's error code when it gave one (Twilio ErrorCode such as 30003 or 21610).</summary>
    public string? ErrorCode { get; init; }

    /// <summary>The provider's own id of this report (ACS event id); null when it has none (Twilio).</summary>
    public string? ProviderEventId { get; init; }

    /// <summary>
    /// ACS: the event id. Twilio: <c>{MessageSid}:{MessageStatus}</c>, as one text gets several status callbacks
    /// (sent, then delivered) that must not be mistaken for duplicates of each other.
    /// </summary>
    public override string DedupeKey => ProviderEventId ?? $"{MessageId}:{RawStatus ?? Status.ToString().ToLowerInvariant()}";

    /// <summary>The provider's status word as sent (Twilio MessageStatus, ACS deliveryStatus).</summary>
    public string? RawStatus { get; init; }
}

/// <summary>Where a sent text stands.</summary>
public enum DeliveryStatus
{
    /// <summary>Intermediate: accepted, queued or handed to the carrier; a final report follows.</summary>
    Sent,

    /// <summary>Final: the handset received it.</summary>
    Delivered,

    /// <summary>Final: it will not be delivered (unreachable, blocked, opted out, filtered...).</summary>
    Failed,
}
