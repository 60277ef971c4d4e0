using MissedCallFunctions.Clinics;
using MissedCallFunctions.Common;
using MissedCallFunctions.Ingest;
using MissedCallFunctions.Triage;

namespace MissedCallFunctions.Reporting;

/// <summary>Turns the processor's decision on a missed call into the call's fact.</summary>
public sealed class CallFactRecorder(ICallFactStore facts)
{
    /// <summary>Records a missed call (suppressed, or recovered by <paramref name="instanceId"/>); answered and outbound calls are not missed calls.</summary>
    public Task RecordAsync(ClinicConfig clinic, CallEvent callEvent, CallDecision decision, string? instanceId, CancellationToken cancellationToken)
        => decision.Kind == DecisionKind.NotMissed
            ? Task.CompletedTask
            : facts.RecordCallAsync(Fact(clinic, callEvent, decision, instanceId), cancellationToken);

    public static CallFact Fact(ClinicConfig clinic, CallEvent callEvent, CallDecision decision, string? instanceId)
    {
        var slot = LocalSlot.Of(clinic, callEvent.OccurredAt);
        var eligible = decision.Kind == DecisionKind.Recover && decision.Reason == DecisionReasons.Missed;
        return new CallFact
        {
            ClinicId = clinic.Id,
            FactId = callEvent.MessageId,
            LocalDay = slot.Day,
            LocalHour = slot.Hour,
            Weekday = slot.Weekday,
            OccurredAt = callEvent.OccurredAt,
            ReceivedAt = callEvent.ReceivedAt,
            CallerMasked = callEvent.CallerNumber is null ? "withheld" : PhoneNumberTools.Mask(callEvent.CallerNumber),
            CallerNumber = callEvent.CallerNumber,
            Eligible = eligible,
            Reason = decision.Reason,
            InstanceId = eligible ? instanceId : null,
        };
    }
}
