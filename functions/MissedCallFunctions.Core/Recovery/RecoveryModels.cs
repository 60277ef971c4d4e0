using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Serialization;
using MissedCallFunctions.Clinics;

namespace MissedCallFunctions.Recovery;

/// <summary>How a recovery ended. Reports group by it.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<RecoveryOutcome>))]
public enum RecoveryOutcome
{
    /// <summary>The patient replied; the conversation went to staff (or, later, to booking).</summary>
    RecoveredReplied,
    /// <summary>Urgent: staff alerted at once.</summary>
    HandedToStaff,
    Booked,
    /// <summary>A later answered call from or to the caller.</summary>
    ReachedByPhone,
    OptedOut,
    /// <summary>The whole ladder ran without a reply.</summary>
    NoResponse,
    /// <summary>Staff marked the callback handled.</summary>
    HandledByStaff,
    /// <summary>Staff took the conversation over (or replied by hand).</summary>
    StaffTookOver,
    /// <summary>
    /// A text to the patient could not be sent (refused by the provider, or the send failed for good), or the call was
    /// reported too late to text; staff call back.
    /// </summary>
    FailedDelivery,
}

/// <summary>What can reach a live recovery. Stored in its inbox first, so nothing is lost if the wake-up event is.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<InboxKind>))]
public enum InboxKind
{
    /// <summary>An SMS from the patient.</summary>
    Reply,
    /// <summary>The same caller missed-called again.</summary>
    RepeatCall,
    /// <summary>A later call from or to the caller was answered.</summary>
    AnsweredCall,
    StaffHandled,
    StaffTakeover,
}

/// <param name="Id">Unique per item (the provider message id or event id): the dedupe key.</param>
/// <param name="Text">The patient's words (replies only). Never logged.</param>
/// <param name="Actor">Who did it (staff name) for staff items.</param>
public sealed record InboxItem(string Id, InboxKind Kind, DateTimeOffset At, string? Text = null, string? Actor = null);

/// <summary>Input of one recovery: everything it needs, so the orchestrator never reads configuration.</summary>
/// <param name="Clinic">The clinic's configuration at the time of the call, without webhook secrets.</param>
/// <param name="Resume">Staff handed the conversation back: no text-back, the ladder runs again from now.</param>
public sealed record RecoveryInput(
    string InstanceId,
    string ClinicNumber,
    string CallerNumber,
    string? CallerName,
    string MissedCallMessageId,
    DateTimeOffset CallAt,
    ClinicConfig Clinic,
    bool KnownPatient = false,
    bool Resume = false);

public sealed record RecoveryResult(RecoveryOutcome Outcome, DateTimeOffset EndedAt, string Detail, int TextsSent);

public static class RecoveryNames
{
    /// <summary>The orchestration's registered name, the same in both hosts.</summary>
    public const string Orchestration = "MissedCallRecovery";

    /// <summary>The one external event a recovery waits for: "look at your inbox".</summary>
    public const string Doorbell = "Doorbell";

    /// <summary>
    /// One instance per missed call that started a recovery. Instance ids appear in logs and delivery-report tags, so
    /// the caller's number only goes in hashed.
    /// </summary>
    public static string InstanceIdFor(string clinicId, string callerE164, string messageId)
    {
        var hash = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes($"{callerE164}|{messageId}")))[..20].ToLowerInvariant();
        return $"mc-{clinicId}-{hash}";
    }
}
