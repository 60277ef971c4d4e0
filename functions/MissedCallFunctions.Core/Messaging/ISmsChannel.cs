namespace MissedCallFunctions.Messaging;

/// <summary>
/// The narrow port for sending one text to one recipient. Implementations must be safe to call again with the same
/// <see cref="OutgoingSms"/> (same repeatability id) after a transient failure: the provider deduplicates on it.
/// </summary>
public interface ISmsChannel
{
    /// <summary>Sends one text.</summary>
    /// <returns>Accepted, or a permanent per-recipient refusal (opted out, invalid number, ...).</returns>
    /// <exception cref="SmsTransientException">Throttled (429), provider error (5xx), timeout or network failure: retry the SAME <paramref name="sms"/>.</exception>
    /// <exception cref="SmsChannelException">The channel itself is misconfigured or broken (401/403/404, malformed answer): retrying the message cannot help.</exception>
    Task<SmsSendResult> SendAsync(OutgoingSms sms, CancellationToken ct);

    /// <summary>
    /// Whether a resend of the same <see cref="OutgoingSms"/> can never text twice (the provider deduplicates on the
    /// repeatability id). False for providers without such a key (Twilio): callers then never resend after a send that
    /// got no answer.
    /// </summary>
    bool Idempotent { get; }
}

/// <summary>One text to one recipient.</summary>
/// <param name="From">E.164 sender owned by the SMS resource (or a short code / alphanumeric sender id).</param>
/// <param name="To">E.164 recipient.</param>
/// <param name="Body">The text; never logged at Information level.</param>
/// <param name="RepeatabilityRequestId">A GUID generated once per (business message, recipient), persisted, and reused on every retry.</param>
/// <param name="RepeatabilityFirstSent">When the first attempt was made; persisted with the id and reused on every retry.</param>
/// <param name="Tag">Echoed back in delivery reports (e.g. the recovery id); no personal data.</param>
public sealed record OutgoingSms(string From, string To, string Body, string RepeatabilityRequestId, DateTimeOffset RepeatabilityFirstSent, string Tag);

/// <summary>The outcome of a send that reached the provider and got a definite per-recipient answer.</summary>
/// <param name="ProviderMessageId">The provider's id (ACS messageId, the key of delivery reports); null when not accepted.</param>
/// <param name="Accepted">Queued by the provider. Not "delivered": delivery is reported later.</param>
/// <param name="HttpStatusCode">The per-recipient status (202 when accepted), else the request's status.</param>
/// <param name="ErrorMessage">The provider's reason when not accepted.</param>
/// <param name="Retryable">
/// Whether a later attempt could succeed. Transient failures are thrown as <see cref="SmsTransientException"/>, so this
/// is false for every result the ACS channel returns; it is part of the contract for channels that report soft failures.
/// </param>
/// <param name="OptOutSignal">The carrier or provider blocks this sender for this recipient (STOP): record an opt-out.</param>
public sealed record SmsSendResult(string? ProviderMessageId, bool Accepted, int HttpStatusCode, string? ErrorMessage, bool Retryable, bool OptOutSignal = false)
{
    public static SmsSendResult AcceptedAs(string providerMessageId, int httpStatusCode = 202) => new(providerMessageId, true, httpStatusCode, null, false);

    public static SmsSendResult Refused(int httpStatusCode, string? errorMessage, string? errorCode = null) =>
        new(null, false, httpStatusCode, errorMessage, false, CarrierBlockSignals.IsCarrierBlock(errorMessage, errorCode));
}
