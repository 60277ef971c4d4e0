using MissedCallFunctions.Clinics;

namespace MissedCallFunctions.Ingest.Providers;

/// <summary>
/// One telephony provider's webhook dialect: its handshakes, its body format and its signature scheme.
/// Implementations are stateless and thread-safe; they never log and never do I/O.
/// </summary>
public interface ICallEventProvider
{
    /// <summary>Route key: <c>POST /api/calls/{Key}</c>.</summary>
    string Key { get; }

    /// <summary>Media types (lower case, no parameters) this provider posts; anything else is a 415.</summary>
    IReadOnlySet<string> MediaTypes { get; }

    /// <summary>
    /// Answers a subscription handshake (Event Grid validation, CloudEvents OPTIONS, RingCentral Validation-Token)
    /// without touching the call pipeline. Returns null when the request is not a handshake.
    /// </summary>
    WebhookReply? TryHandshake(WebhookRequest request);

    /// <summary>
    /// The answer to a handled webhook when the provider acts on it (Twilio executes the answer to a Dial action URL
    /// as TwiML, with the caller possibly still on the line); null for the generic 202 JSON summary.
    /// </summary>
    WebhookReply? Acknowledgement { get; }

    /// <summary>
    /// Reads the body into provider events. Throws <see cref="WebhookFormatException"/> when the body is not
    /// what this provider sends. Does not check the signature (the clinic, and so the secret, is not known yet).
    /// </summary>
    IReadOnlyList<ProviderCallEvent> Parse(WebhookRequest request);

    /// <summary>Checks the request's authenticity with the secrets of the clinic the events belong to.</summary>
    SignatureCheck Verify(WebhookRequest request, ClinicWebhookSecrets secrets, DateTimeOffset now);
}

/// <summary>A call event as the provider described it, before phone numbers are normalized.</summary>
public sealed record ProviderCallEvent
{
    public required string ProviderEventId { get; init; }

    public required string ProviderCallId { get; init; }

    /// <summary>The clinic's number as sent (the dialled number for inbound calls).</summary>
    public required string ClinicNumberRaw { get; init; }

    /// <summary>The other party as sent; null or empty when the provider sent nothing.</summary>
    public string? CallerRaw { get; init; }

    public string? CallerName { get; init; }

    public required CallDirection Direction { get; init; }

    /// <summary>Null when the event is not terminal (ringing, initiated, in progress): it is acknowledged and ignored.</summary>
    public CallOutcome? Outcome { get; init; }

    public bool? VoicemailLeft { get; init; }

    public int? RingSeconds { get; init; }

    public int? TalkSeconds { get; init; }

    public DateTimeOffset? StartedAt { get; init; }

    public DateTimeOffset? EndedAt { get; init; }

    /// <summary>When the provider says the event happened; null when the provider did not say.</summary>
    public DateTimeOffset? OccurredAt { get; init; }
}

/// <summary>An HTTP reply decided by a provider adapter (handshakes).</summary>
public sealed record WebhookReply(int StatusCode, string? Body = null, string? ContentType = null)
{
    public IReadOnlyDictionary<string, string> Headers { get; init; } = new Dictionary<string, string>();
}

public enum SignatureStatus
{
    Valid,
    Missing,
    Invalid,
    /// <summary>Signed, but outside the timestamp tolerance (replay protection).</summary>
    Expired,
    /// <summary>The clinic has no secret for this provider: nothing can be verified, so nothing is accepted.</summary>
    NotConfigured,
}

public readonly record struct SignatureCheck(SignatureStatus Status, string Detail)
{
    public bool IsValid => Status == SignatureStatus.Valid;

    public static SignatureCheck Valid() => new(SignatureStatus.Valid, "signature valid");

    public static SignatureCheck Missing(string detail) => new(SignatureStatus.Missing, detail);

    public static SignatureCheck Invalid(string detail) => new(SignatureStatus.Invalid, detail);

    public static SignatureCheck Expired(string detail) => new(SignatureStatus.Expired, detail);

    public static SignatureCheck NotConfigured(string detail) => new(SignatureStatus.NotConfigured, detail);
}

/// <summary>The body is not what the provider sends. The message is safe to return to the caller (no body echo).</summary>
public sealed class WebhookFormatException(string message) : Exception(message);
