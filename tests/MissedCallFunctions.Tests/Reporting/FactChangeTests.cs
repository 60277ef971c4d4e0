using MissedCallFunctions.Recovery;
using MissedCallFunctions.Reporting;

namespace MissedCallFunctions.Tests.Reporting;

/// <summary>The timeline entries exactly as the pipeline writes them, and what each changes in the call's fact.</summary>
public sealed class FactChangeTests
{
    private static readonly DateTimeOffset At = new(2026, 3, 10, 12, 0, 0, TimeSpan.Zero);

    public static TheoryData<string, string, string?> Entries() => new()
    {
        // The orchestrator's own lines: none of them changes the fact.
        { "00-received", "missed-call", null },
        { "01-handed-back", "handed-back", null },
        { "call-abc", "repeat-call", null },
        { "intent-abc", "booking-intent", null },
        // The text-back (SendPatientSmsActivity: kind, kind-skipped, kind-refused).
        { "01-textback", "text-back", "Texted" },
        { "01-textback", "text-back-after-hours", "Texted" },
        { "01-textback", "text-back-skipped", null },
        { "01-textback", "text-back-after-hours-skipped", null },
        { "01-textback", "text-back-refused", "TextRefused" },
        { "01-textback", "text-back-after-hours-refused", "TextRefused" },
        // Delivery reports (InboundSmsRouter: "{stepKey}-delivery").
        { "01-textback-delivery", "delivered", "Delivered" },
        { "01-textback-delivery", "delivery-failed", "DeliveryFailed" },
        { "step-0-NudgePatient-delivery", "delivered", null },
        { "step-2-AlertStaff-staff-0-delivery", "delivery-failed", null },
        { "urgent-reply-delivery", "delivered", null },
        { "booking-confirmation-delivery", "delivered", null },
        // Patient replies.
        { "reply-msg-1", "reply", "Replied" },
        // The ladder.
        { "step-0-NudgePatient", "follow-up", "follow-up" },
        { "step-0-NudgePatient", "follow-up-skipped", null },
        { "step-0-NudgePatient", "follow-up-refused", null },
        { "step-1-StaffCallbackTask", "callback-task", "escalation" },
        { "step-2-AlertStaff", "staffAlert", "escalation" },
        { "step-3-AlertManager", "managerAlert", "escalation" },
        { "step-3-AlertManager", "customManagerTemplate", "escalation" },
        { "step-0-deferred", "deferred", null },
        // Urgent: staff alerted at once is an escalation; the text to the patient is not.
        { "urgent-calls", "staffAlert", "escalation" },
        { "urgent-reply-alert", "staffAlert", "escalation" },
        { "urgent-reply", "urgent-reply", null },
        { "urgent-reply", "urgent-reply-skipped", null },
        // Other texts to the patient.
        { "offer-1", "booking-offer", null },
        { "booking-link", "booking-link", null },
        { "booking-confirmation", "booking-confirmation", null },
        { "optout-confirmation", "opt-out-confirmation", null },
        { "clarify", "clarifying-question", null },
    };

    [Theory]
    [MemberData(nameof(Entries))]
    public void From_PipelineTimelineEntry_MapsToTheExpectedChange(string key, string kind, string? expected)
    {
        var change = FactChange.From(new TimelineEntry(key, kind, At, "detail"));

        FactChange? want = expected switch
        {
            null => null,
            "Texted" => new FactChange.Texted(At),
            "TextRefused" => new FactChange.TextRefused(),
            "Delivered" => new FactChange.Delivered(At),
            "DeliveryFailed" => new FactChange.DeliveryFailed(),
            "Replied" => new FactChange.Replied(At),
            "follow-up" => new FactChange.Step(key, IsFollowUp: true),
            "escalation" => new FactChange.Step(key, IsFollowUp: false),
            _ => throw new ArgumentOutOfRangeException(nameof(expected), expected, "unknown expected change"),
        };
        Assert.Equal(want, change);
    }

    [Fact]
    public void From_OutcomeEntry_Ends()
    {
        var change = FactChange.From(OutcomeEntry.Create(RecoveryOutcome.NoResponse, At, "the escalation ladder ran without a reply"));

        Assert.Equal(new FactChange.Ended(RecoveryOutcome.NoResponse, At), change);
    }

    [Fact]
    public void From_BookingReportedByTheClinic_EndsAsBooked()
    {
        var change = FactChange.From(OutcomeEntry.Create(RecoveryOutcome.Booked, At, "booking reported by the clinic", "zz-outcome-booked"));

        Assert.Equal(new FactChange.Ended(RecoveryOutcome.Booked, At), change);
    }

    [Fact]
    public void From_OutcomeKindWithUnknownName_IsNull()
    {
        Assert.Null(FactChange.From(new TimelineEntry(OutcomeEntry.Key, OutcomeEntry.Kind, At, "Exploded: no such outcome")));
    }

    public static TheoryData<RecoveryOutcome> Outcomes() => new(Enum.GetValues<RecoveryOutcome>());

    [Theory]
    [MemberData(nameof(Outcomes))]
    public void OutcomeEntry_CreateThenRead_RoundTrips(RecoveryOutcome outcome)
    {
        var entry = OutcomeEntry.Create(outcome, At, "some detail: with a colon");

        Assert.Equal(OutcomeEntry.Key, entry.Key);
        Assert.Equal(OutcomeEntry.Kind, entry.Kind);
        Assert.Equal(outcome, OutcomeEntry.Read(entry));
    }

    [Fact]
    public void OutcomeEntry_ReadOtherKind_IsNull()
    {
        Assert.Null(OutcomeEntry.Read(new TimelineEntry("zz-outcome", "reply", At, "Booked: looks like one")));
    }
}
