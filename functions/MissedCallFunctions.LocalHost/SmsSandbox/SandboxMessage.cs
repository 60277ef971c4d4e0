namespace MissedCallFunctions.LocalHost.SmsSandbox;

public enum SandboxDirection
{
    /// <summary>Sent through POST /sms (clinic to patient).</summary>
    Outbound,

    /// <summary>A reply from a phone, recorded with <see cref="SmsSandbox.Reply"/> (patient to clinic).</summary>
    Inbound,
}

/// <summary>One text in the sandbox.</summary>
/// <param name="MessageId">The ACS-style id (Outgoing_... / Incoming_...); delivery reports and SMSReceived events carry it.</param>
/// <param name="AuthScheme">For outbound messages: how the send was authenticated ("HMAC-SHA256" or "Bearer").</param>
public sealed record SandboxMessage(
    string MessageId,
    SandboxDirection Direction,
    string From,
    string To,
    string Body,
    DateTimeOffset Timestamp,
    string? Tag = null,
    bool EnableDeliveryReport = false,
    string? RepeatabilityRequestId = null,
    string? RepeatabilityFirstSent = null,
    string? AuthScheme = null,
    string? ApiVersion = null)
{
    /// <summary>The patient's side of the thread: To for outbound, From for inbound.</summary>
    public string Phone => Direction == SandboxDirection.Outbound ? To : From;
}

/// <summary>One POST /sms as the sandbox saw it: what was signed, and how it was answered.</summary>
/// <param name="SignedPathAndQuery">The request target exactly as it arrived (what an HMAC client must have signed).</param>
/// <param name="SignedHeaders">The SignedHeaders of an HMAC Authorization, else null.</param>
/// <param name="AuthFailure">Why authentication failed; null when it passed or was not reached.</param>
/// <param name="Fault">The injected fault that answered the request, if any.</param>
public sealed record SandboxRequest(
    DateTimeOffset Timestamp,
    string Method,
    string SignedPathAndQuery,
    string Host,
    string? ApiVersion,
    int StatusCode,
    string? AuthScheme,
    string? SignedHeaders,
    string? AuthFailure,
    string? BearerToken,
    SmsSandboxFault? Fault,
    int Recipients);

/// <summary>What POST /sms can be made to do instead of working.</summary>
public enum SmsSandboxFault
{
    /// <summary>429 with Retry-After.</summary>
    TooManyRequests = 429,

    /// <summary>503.</summary>
    ServiceUnavailable = 503,

    /// <summary>Hangs until the fault window ends or the client gives up, without storing anything.</summary>
    Timeout = 1,

    /// <summary>Stores the message, then hangs like <see cref="Timeout"/>: the client times out on a send that did happen (repeatability must dedupe the resend).</summary>
    AcceptThenTimeout = 2,
}
