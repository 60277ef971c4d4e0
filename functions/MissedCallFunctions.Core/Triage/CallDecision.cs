using System.Text.Json.Serialization;

namespace MissedCallFunctions.Triage;

[JsonConverter(typeof(JsonStringEnumConverter<DecisionKind>))]
public enum DecisionKind
{
    /// <summary>Not a missed call: answered, outbound, or settled by another event of the same call.</summary>
    NotMissed,
    /// <summary>A missed call that must not be texted, with the reason.</summary>
    Suppressed,
    /// <summary>A missed call to recover: the recovery (text-back and ladder) starts.</summary>
    Recover,
}

/// <summary>Why a call is not recovered. Stored as text in the audit so reports can group by it.</summary>
public static class DecisionReasons
{
    public const string Answered = "answered";
    public const string Outbound = "outbound";
    public const string CallAlreadyDecided = "call-already-decided";
    public const string OutsideDefinition = "outside-definition";
    public const string WithheldNumber = "withheld-number";
    public const string InvalidNumber = "invalid-number";
    public const string InternalNumber = "internal-number";
    public const string Blocked = "blocked";
    public const string OptedOut = "opted-out";
    public const string Landline = "landline";
    public const string UpcomingAppointment = "upcoming-appointment";
    /// <summary>The caller got through on a later call that was reported before this missed one.</summary>
    public const string ReachedByPhone = "reached-by-phone";
    public const string Missed = "missed";
    /// <summary>A repeat missed call from a caller with a live recovery: no second text-back.</summary>
    public const string JoinedRecovery = "joined-recovery";
}

/// <param name="Kind">What happens next.</param>
/// <param name="Reason">One of <see cref="DecisionReasons"/>.</param>
/// <param name="Detail">A short human explanation (no phone numbers).</param>
public sealed record CallDecision(DecisionKind Kind, string Reason, string Detail)
{
    public static CallDecision NotMissed(string reason, string detail) => new(DecisionKind.NotMissed, reason, detail);

    public static CallDecision Suppressed(string reason, string detail) => new(DecisionKind.Suppressed, reason, detail);

    public static CallDecision Recover(string detail) => new(DecisionKind.Recover, DecisionReasons.Missed, detail);
}
