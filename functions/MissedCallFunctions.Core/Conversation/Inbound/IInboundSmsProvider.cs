using MissedCallFunctions.Clinics;
using MissedCallFunctions.Ingest;
using MissedCallFunctions.Ingest.Providers;

namespace MissedCallFunctions.Conversation.Inbound;

/// <summary>
/// One SMS provider's webhook dialect for texts from patients and delivery reports: its handshakes, its body format and
/// its signature scheme. The SMS twin of <see cref="ICallEventProvider"/>. Implementations are stateless and
/// thread-safe; they never log and never do I/O.
/// </summary>
public interface IInboundSmsProvider
{
    /// <summary>Route key: <c>POST /api/sms/{Key}</c> (e.g. "acs", "twilio").</summary>
    string Key { get; }

    /// <summary>Media types (lower case, no parameters) this provider posts; anything else is a 415.</summary>
    IReadOnlySet<string> MediaTypes { get; }

    /// <summary>
    /// Answers a subscription handshake (Event Grid validation, CloudEvents OPTIONS) without touching the conversation
    /// pipeline. Returns null when the request is not a handshake.
    /// </summary>
    WebhookReply? TryHandshake(WebhookRequest request);

    /// <summary>
    /// Reads the body into events. Event types this pipeline does not handle are skipped (an empty list is a valid
    /// answer: acknowledge it). Throws <see cref="WebhookFormatException"/> when the body is not what this provider
    /// sends. Does not check the signature (the clinic, and so the secret, is not known yet).
    /// </summary>
    IReadOnlyList<InboundSmsEvent> Parse(WebhookRequest request);

    /// <summary>Checks the request's authenticity with the secrets of the clinic the events belong to.</summary>
    SignatureCheck Verify(WebhookRequest request, ClinicWebhookSecrets secrets, DateTimeOffset now);

    /// <summary>
    /// The answer to a handled webhook when the provider reads it (Twilio executes a TwiML answer); null for the
    /// generic 202 JSON summary.
    /// </summary>
    WebhookReply? Acknowledgement { get; }

    /// <summary>
    /// The clinic's number in the event, as sent (not normalized): the recipient (To) of a <see cref="ReceivedSms"/>,
    /// the sender (From) of a <see cref="DeliveryReport"/>. Look the clinic up by it, then <see cref="Verify"/>.
    /// </summary>
    string ClinicNumberOf(InboundSmsEvent e);
}

/// <summary>The clinic-number rule shared by every provider.</summary>
public static class InboundSmsEvents
{
    /// <inheritdoc cref="IInboundSmsProvider.ClinicNumberOf"/>
    public static string ClinicNumberOf(InboundSmsEvent e) => e switch
    {
        null => throw new ArgumentNullException(nameof(e)),
        ReceivedSms received => received.ToRaw,
        DeliveryReport report => report.FromRaw,
        _ => throw new ArgumentException($"Unknown inbound SMS event {e.GetType().Name}.", nameof(e)),
    };
}
