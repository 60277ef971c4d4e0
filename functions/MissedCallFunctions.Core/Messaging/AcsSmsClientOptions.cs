using Azure.Core;

namespace MissedCallFunctions.Messaging;

/// <summary>
/// Pipeline options for <see cref="AcsSmsClient"/>. Retries are minimal on purpose (<c>Retry.MaxRetries = 0</c>): the Durable
/// retry policy owns retries and resends the same repeatability id, so an attempt fails fast with a
/// <see cref="SmsTransientException"/> instead of sleeping inside an activity.
/// </summary>
public sealed class AcsSmsClientOptions : ClientOptions
{
    public const string DefaultApiVersion = "2021-03-07";
    public static readonly TimeSpan DefaultNetworkTimeout = TimeSpan.FromSeconds(10);

    public AcsSmsClientOptions()
    {
        Retry.MaxRetries = 0;
        Retry.NetworkTimeout = DefaultNetworkTimeout;
        Diagnostics.ApplicationId = "MissedCallFunctions";
        Diagnostics.IsLoggingContentEnabled = false; // bodies carry phone numbers and message text
    }

    public string ApiVersion { get; set; } = DefaultApiVersion;

    /// <summary>The clock of the HMAC policy's x-ms-date.</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;
}
