using System.Text.Json.Serialization;

namespace MissedCallFunctions.Ingest;

/// <summary>How a call ended, in the clinic's terms, whichever provider reported it.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<CallOutcome>))]
public enum CallOutcome
{
    Answered,
    /// <summary>Rang out: nobody picked up before the timeout.</summary>
    Missed,
    Busy,
    /// <summary>Went to voicemail (with or without a message, see <see cref="CallEvent.VoicemailLeft"/>).</summary>
    Voicemail,
    /// <summary>The caller hung up before anyone answered.</summary>
    Abandoned,
    /// <summary>The call could not be connected (routing failure, rejected).</summary>
    Failed,
    /// <summary>
    /// The call is ringing and no outcome is known yet (ACS IncomingCall). The processor decides it after the
    /// ring window, from whatever else was reported for the same call.
    /// </summary>
    Ringing,
}

[JsonConverter(typeof(JsonStringEnumConverter<CallDirection>))]
public enum CallDirection
{
    Inbound,
    Outbound,
}

/// <summary>What we could make of the caller's number.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<CallerNumberStatus>))]
public enum CallerNumberStatus
{
    Valid,
    /// <summary>Caller ID withheld, anonymous, restricted or unavailable.</summary>
    Withheld,
    /// <summary>Something was sent but it is not a dialable number.</summary>
    Invalid,
}

/// <summary>A provider's call event, normalized. This is what travels on the call-events queue.</summary>
public sealed record CallEvent
{
    public const int SchemaVersion = 1;

    /// <summary>Provider key as in the ingest route: generic, twilio, acs, telnyx, vonage, ringcentral.</summary>
    public required string Provider { get; init; }

    /// <summary>The provider's id of this event (unique per provider); the dedupe key with <see cref="Provider"/>.</summary>
    public required string ProviderEventId { get; init; }

    /// <summary>The provider's id of the call (several events can describe one call).</summary>
    public required string ProviderCallId { get; init; }

    public required string ClinicId { get; init; }

    /// <summary>The clinic number that was dialled (inbound) or that dialled out (outbound), E.164.</summary>
    public required string ClinicNumber { get; init; }

    /// <summary>The other party in E.164, or null when withheld or invalid.</summary>
    public string? CallerNumber { get; init; }

    public required CallerNumberStatus CallerNumberStatus { get; init; }

    /// <summary>What the provider sent as the caller, only when it could not be normalized (never logged).</summary>
    public string? CallerRaw { get; init; }

    public string? CallerName { get; init; }

    public required CallDirection Direction { get; init; }

    public required CallOutcome Outcome { get; init; }

    /// <summary>True when a voicemail message was recorded (only meaningful for <see cref="CallOutcome.Voicemail"/>).</summary>
    public bool? VoicemailLeft { get; init; }

    public int? RingSeconds { get; init; }

    public int? TalkSeconds { get; init; }

    public DateTimeOffset? StartedAt { get; init; }

    public DateTimeOffset? EndedAt { get; init; }

    /// <summary>When the provider says the event happened.</summary>
    public required DateTimeOffset OccurredAt { get; init; }

    /// <summary>When our ingest accepted it.</summary>
    public required DateTimeOffset ReceivedAt { get; init; }

    /// <summary>Queue message id: <c>{provider}:{provider event id}</c>, at most 128 characters (Service Bus limit).</summary>
    [JsonIgnore]
    public string MessageId => MessageIds.For(Provider, ProviderEventId);

    public int Version { get; init; } = SchemaVersion;
}

public static class MessageIds
{
    public const int MaxLength = 128;

    public static string For(string provider, string providerEventId)
    {
        var id = $"{provider}:{providerEventId}";
        if (id.Length <= MaxLength)
        {
            return id;
        }

        // Keep ids deterministic when a provider's event id is long: hash the tail.
        var hash = Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(id)));
        return $"{provider}:{hash}";
    }
}
