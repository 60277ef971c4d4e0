namespace MissedCallFunctions.Messaging;

/// <summary>
/// A send failed in a way that a later attempt with the SAME <see cref="OutgoingSms"/> (same repeatability id) may fix:
/// throttling (429), a provider error (5xx, 408), a timeout or a network failure. Durable retry policies key on this type.
/// </summary>
public sealed class SmsTransientException : Exception
{
    public SmsTransientException()
    {
    }

    public SmsTransientException(string message)
        : base(message)
    {
    }

    public SmsTransientException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public SmsTransientException(string message, int? statusCode, TimeSpan? retryAfter, Exception? innerException = null)
        : base(message, innerException)
    {
        StatusCode = statusCode;
        RetryAfter = retryAfter;
    }

    /// <summary>The HTTP (or per-recipient) status; null for timeouts and network failures.</summary>
    public int? StatusCode { get; }

    /// <summary>The provider's Retry-After, when it sent one.</summary>
    public TimeSpan? RetryAfter { get; }

    /// <summary>
    /// The request never reached the provider (name resolution, refused connection, TLS): nothing can have been sent,
    /// so even a provider without a repeatability key can be asked again.
    /// </summary>
    public bool RequestNotSent { get; init; }
}

/// <summary>
/// The channel cannot send at all (401/403/404, an unexpected status, a malformed answer): a configuration or provider
/// problem, not a property of the recipient. Retrying the same message does not help; operators must look.
/// </summary>
public sealed class SmsChannelException : Exception
{
    public SmsChannelException()
    {
    }

    public SmsChannelException(string message)
        : base(message)
    {
    }

    public SmsChannelException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public SmsChannelException(string message, int? statusCode, Exception? innerException = null)
        : base(message, innerException)
    {
        StatusCode = statusCode;
    }

    public int? StatusCode { get; }
}
