using System.Globalization;
using MissedCallFunctions.Clinics;
using MissedCallFunctions.Recovery;

namespace MissedCallFunctions.Reporting;

/// <summary>
/// One missed call as the reports see it: what was decided, what was sent, what came back, how it ended. Built up by
/// idempotent merges as the pipeline writes its own records (decision, timeline, outcome), so a retried write never
/// counts anything twice.
/// </summary>
public sealed record CallFact
{
    public required string ClinicId { get; init; }

    /// <summary>The call's id in the report (the ingest message id of the missed-call event).</summary>
    public required string FactId { get; init; }

    /// <summary>The clinic-local day of the call, yyyy-MM-dd.</summary>
    public required string LocalDay { get; init; }

    /// <summary>0..23 in the clinic's time zone.</summary>
    public int LocalHour { get; init; }

    /// <summary>0 = Monday .. 6 = Sunday.</summary>
    public int Weekday { get; init; }

    public DateTimeOffset OccurredAt { get; init; }

    /// <summary>When ingest accepted the event: the start of the text-back latency.</summary>
    public DateTimeOffset ReceivedAt { get; init; }

    public required string CallerMasked { get; init; }

    /// <summary>The caller in E.164 (null when withheld), so staff can open the thread; never shown in lists or logs.</summary>
    public string? CallerNumber { get; init; }

    /// <summary>True when a recovery was started for the call; false when it was suppressed (see <see cref="Reason"/>).</summary>
    public bool Eligible { get; init; }

    /// <summary>The decision reason (a <c>DecisionReasons</c> value).</summary>
    public required string Reason { get; init; }

    public string? InstanceId { get; init; }

    public DateTimeOffset? TextedAt { get; init; }

    public bool TextRefused { get; init; }

    public DateTimeOffset? DeliveredAt { get; init; }

    public bool DeliveryFailed { get; init; }

    public DateTimeOffset? FirstReplyAt { get; init; }

    public int FollowUps { get; init; }

    public int Escalations { get; init; }

    public RecoveryOutcome? Outcome { get; init; }

    public DateTimeOffset? EndedAt { get; init; }

    public bool Booked => Outcome == RecoveryOutcome.Booked;

    public TimeSpan? TextBackLatency => TextedAt - ReceivedAt;

    public TimeSpan? TimeToFirstReply => FirstReplyAt is { } reply && TextedAt is { } texted ? reply - texted : null;

    /// <summary>An eligible call that ended with nobody reached: what the clinic probably lost.</summary>
    public bool Unrecovered => Eligible && Outcome is RecoveryOutcome.NoResponse or RecoveryOutcome.FailedDelivery;
}

/// <summary>Where a call falls in the clinic's calendar: its local day, hour and weekday.</summary>
public readonly record struct LocalSlot(string Day, int Hour, int Weekday)
{
    public static LocalSlot Of(ClinicConfig clinic, DateTimeOffset instant)
    {
        var local = ClinicCalendar.ToLocal(clinic, instant);
        return new LocalSlot(local.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), local.Hour, ((int)local.DayOfWeek + 6) % 7);
    }
}

/// <summary>
/// The outcome line of a recovery's timeline. One format, written and read here, so the reports can pick the outcome
/// up from the timeline without a second write path.
/// </summary>
public static class OutcomeEntry
{
    public const string Kind = "outcome";
    public const string Key = "zz-outcome";

    public static TimelineEntry Create(RecoveryOutcome outcome, DateTimeOffset at, string detail, string key = Key)
        => new(key, Kind, at, $"{outcome}: {detail}");

    public static RecoveryOutcome? Read(TimelineEntry entry)
    {
        if (entry.Kind != Kind)
        {
            return null;
        }

        var colon = entry.Detail.IndexOf(':', StringComparison.Ordinal);
        var name = colon < 0 ? entry.Detail : entry.Detail[..colon];
        return Enum.TryParse<RecoveryOutcome>(name, ignoreCase: false, out var outcome) ? outcome : null;
    }
}

/// <summary>What a timeline entry changes in the call's fact (pure; the mapping the reports rely on).</summary>
public abstract record FactChange
{
    public sealed record Texted(DateTimeOffset At) : FactChange;

    public sealed record TextRefused : FactChange;

    public sealed record Delivered(DateTimeOffset At) : FactChange;

    public sealed record DeliveryFailed : FactChange;

    public sealed record Replied(DateTimeOffset At) : FactChange;

    /// <summary>A ladder step or urgent escalation, counted once per step key.</summary>
    public sealed record Step(string StepKey, bool IsFollowUp) : FactChange;

    public sealed record Ended(RecoveryOutcome Outcome, DateTimeOffset At) : FactChange;

    public const string TextBackKey = "01-textback";

    public static FactChange? From(TimelineEntry entry)
    {
        if (OutcomeEntry.Read(entry) is { } outcome)
        {
            return new Ended(outcome, entry.At);
        }

        switch (entry.Key)
        {
            case TextBackKey when entry.Kind.EndsWith("-refused", StringComparison.Ordinal):
                return new TextRefused();
            case TextBackKey when entry.Kind.StartsWith("text-back", StringComparison.Ordinal) && !entry.Kind.EndsWith("-skipped", StringComparison.Ordinal):
                return new Texted(entry.At);
            case TextBackKey + "-delivery":
                return entry.Kind == "delivered" ? new Delivered(entry.At) : new DeliveryFailed();
            case "urgent-calls" or "urgent-reply-alert":
                // Staff alerted at once: an escalation outside the ladder.
                return new Step(entry.Key, IsFollowUp: false);
        }

        if (entry.Kind == "reply")
        {
            return new Replied(entry.At);
        }

        if (entry.Key.StartsWith("step-", StringComparison.Ordinal) && !entry.Key.EndsWith("-delivery", StringComparison.Ordinal))
        {
            if (entry.Kind == "follow-up")
            {
                return new Step(entry.Key, IsFollowUp: true);
            }

            var escalation = entry.Key.EndsWith($"-{EscalationAction.StaffCallbackTask}", StringComparison.Ordinal)
                             || entry.Key.EndsWith($"-{EscalationAction.AlertStaff}", StringComparison.Ordinal)
                             || entry.Key.EndsWith($"-{EscalationAction.AlertManager}", StringComparison.Ordinal);
            if (escalation && entry.Kind != "deferred")
            {
                return new Step(entry.Key, IsFollowUp: false);
            }
        }

        return null;
    }
}
