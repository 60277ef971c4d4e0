using MissedCallFunctions.Clinics;
using MissedCallFunctions.Common;
using MissedCallFunctions.Ingest;
using MissedCallFunctions.Recovery;
using MissedCallFunctions.Staff;
using Microsoft.Extensions.Logging;

namespace MissedCallFunctions.Triage;

public abstract record ProcessResult
{
    public sealed record Decided(CallDecision Decision, bool AlreadyProcessed) : ProcessResult;

    /// <summary>Impossible content: retrying cannot help. Hosts dead-letter (or poison-queue) it with the reason.</summary>
    public sealed record Rejected(string Reason, string Description) : ProcessResult;
}

/// <summary>
/// The processor use case: turns one queued call event into a decision, records it, and starts the recovery of a
/// missed call. Safe to run twice for the same event and concurrently for events of the same call.
/// Transient storage failures throw, so the queue redelivers.
/// </summary>
public sealed partial class CallEventProcessor(
    IClinicDirectory clinics,
    ICallRecords records,
    IOptOutLedger optOuts,
    RecoveryCoordinator recoveries,
    IStaffTaskStore staffTasks,
    Contacts.IContactDirectory contacts,
    Reporting.CallFactRecorder reportFacts,
    TimeProvider time,
    ILogger<CallEventProcessor> logger)
{
    /// <summary>A known patient calling this close to their appointment is probably calling about it.</summary>
    public static readonly TimeSpan UpcomingAppointmentWindow = TimeSpan.FromHours(48);

    public async Task<ProcessResult> ProcessAsync(CallEvent callEvent, IRecoveryOrchestrations orchestrations, CancellationToken cancellationToken)
    {
        if (CallEventValidation.Problem(callEvent, time.GetUtcNow()) is { } problem)
        {
            LogRejected(logger, callEvent.MessageId, problem);
            return new ProcessResult.Rejected("ImpossibleCallEvent", problem);
        }

        var clinic = await clinics.GetAsync(callEvent.ClinicId, cancellationToken).ConfigureAwait(false);
        if (clinic is null)
        {
            LogRejected(logger, callEvent.MessageId, "clinic no longer configured");
            return new ProcessResult.Rejected("UnknownClinic", $"Clinic '{callEvent.ClinicId}' is not configured any more.");
        }

        if (await records.GetDecisionAsync(clinic.Id, callEvent.MessageId, cancellationToken).ConfigureAwait(false) is { } done)
        {
            return new ProcessResult.Decided(new CallDecision(done.Kind, done.Reason, done.Detail), AlreadyProcessed: true);
        }

        var (facts, contact) = await GatherFactsAsync(callEvent, clinic, cancellationToken).ConfigureAwait(false);
        var decision = CallTriage.Decide(callEvent, clinic, facts);

        decision = await ActAsync(callEvent, clinic, decision, contact, orchestrations, cancellationToken).ConfigureAwait(false);
        if (decision.Reason != DecisionReasons.Missed)
        {
            await reportFacts.RecordAsync(clinic, callEvent, decision, instanceId: null, cancellationToken).ConfigureAwait(false);
        }

        // Written last: an audit row means every side effect of the decision has happened.
        await records.RecordDecisionAsync(callEvent, decision, time.GetUtcNow(), cancellationToken).ConfigureAwait(false);
        LogDecided(logger, callEvent.MessageId, clinic.Id, decision.Kind, decision.Reason, PhoneNumberTools.Mask(callEvent.CallerNumber));
        return new ProcessResult.Decided(decision, AlreadyProcessed: false);
    }

    /// <summary>The decision's side effects: start or join a recovery, end one by a call that got through, or a staff task.</summary>
    private async Task<CallDecision> ActAsync(CallEvent callEvent, ClinicConfig clinic, CallDecision decision, Contacts.Contact? contact,
        IRecoveryOrchestrations orchestrations, CancellationToken cancellationToken)
    {
        switch (decision.Kind)
        {
            case DecisionKind.Recover:
                // Known patients are greeted by the name in the clinic's records, not the network's caller ID.

                // The fact (and its pointer from the recovery) exists before the recovery can write its first timeline entry.
                await reportFacts.RecordAsync(clinic, callEvent, decision,
                    RecoveryNames.InstanceIdFor(clinic.Id, callEvent.CallerNumber!, callEvent.MessageId), cancellationToken).ConfigureAwait(false);
                var started = await recoveries.StartOrJoinAsync(
                    new MissedCall(clinic.Id, callEvent.ClinicNumber, callEvent.CallerNumber!, contact?.Name ?? callEvent.CallerName, callEvent.MessageId,
                        callEvent.OccurredAt, callEvent.ReceivedAt, KnownPatient: contact is not null),
                    orchestrations, cancellationToken).ConfigureAwait(false);
                return started == RecoveryStartResult.Joined
                    ? new CallDecision(DecisionKind.Recover, DecisionReasons.JoinedRecovery, decision.Detail + "; joined the caller's live recovery")
                    : decision;
            case DecisionKind.NotMissed when callEvent.Outcome == CallOutcome.Answered && callEvent.CallerNumber is { } caller:
                // Reached by phone (either way): the caller's live recovery, if any, stops.
                await recoveries.SignalAsync(clinic.Id, caller, new InboxItem(callEvent.MessageId, InboxKind.AnsweredCall, callEvent.OccurredAt),
                    orchestrations, cancellationToken).ConfigureAwait(false);
                return decision;
            case DecisionKind.Suppressed when decision.Reason is DecisionReasons.Landline or DecisionReasons.WithheldNumber or DecisionReasons.UpcomingAppointment:
                // No text: staff call back instead (a withheld caller is listed so staff know someone tried).
                var now = time.GetUtcNow();
                var reason = decision.Reason switch
                {
                    DecisionReasons.Landline => "missed call from a landline: please call back",
                    DecisionReasons.UpcomingAppointment => "missed call from a patient with an appointment in the next 48 hours: please call back",
                    _ => "missed call from a withheld number",
                };
                await staffTasks.OpenOrUpdateAsync(new StaffTaskRequest(clinic.Id, "call-" + StaffTaskIds.For(callEvent.MessageId), callEvent.CallerNumber,
                    callEvent.CallerName, reason, false, 1, now, clinic.TaskDueAt(now, urgent: false), [], null), cancellationToken).ConfigureAwait(false);
                return decision;
            default:
                return decision;
        }
    }

    /// <summary>What the decision needs to know, and the caller's record in the clinic's contacts (read once, used twice).</summary>
    private async Task<(TriageFacts Facts, Contacts.Contact? Contact)> GatherFactsAsync(CallEvent callEvent, ClinicConfig clinic, CancellationToken cancellationToken)
    {
        if (callEvent.Direction == CallDirection.Outbound)
        {
            return default;
        }

        bool earlier;
        switch (callEvent.Outcome)
        {
            case CallOutcome.Answered:
                await records.MarkAnsweredAsync(callEvent, cancellationToken).ConfigureAwait(false);
                return default;
            case CallOutcome.Ringing:
                // Delivered after the ring window: anything decisive reported meanwhile settles the call.
                earlier = await records.HasDecisiveEventAsync(callEvent, cancellationToken).ConfigureAwait(false)
                          || !await records.ClaimMissedCallAsync(callEvent, cancellationToken).ConfigureAwait(false);
                break;
            default:
                earlier = !await records.ClaimMissedCallAsync(callEvent, cancellationToken).ConfigureAwait(false);
                break;
        }

        if (earlier || callEvent.CallerNumber is not { } caller)
        {
            return (new TriageFacts(false, earlier), null);
        }

        // Three independent point reads on the path to the text-back: one round trip's wait instead of three.
        var optedOutRead = optOuts.IsOptedOutAsync(clinic.Id, caller, cancellationToken);
        var contactRead = contacts.FindAsync(clinic.Id, caller, cancellationToken);
        var reachedRead = records.LastReachedAtAsync(clinic.Id, caller, cancellationToken);
        await Task.WhenAll(optedOutRead, contactRead, reachedRead).ConfigureAwait(false);
        var optedOut = await optedOutRead.ConfigureAwait(false);
        var contact = await contactRead.ConfigureAwait(false);
        var reached = await reachedRead.ConfigureAwait(false) > callEvent.OccurredAt;
        var now = time.GetUtcNow();
        var upcoming = contact?.NextAppointment is { } next && next > now && next - now <= UpcomingAppointmentWindow;
        return (new TriageFacts(optedOut, earlier, upcoming, reached), contact);
    }

    [LoggerMessage(EventId = 2000, Level = LogLevel.Information, Message = "Call event {MessageId} for clinic {ClinicId}: {Decision} ({Reason}), caller {Caller}")]
    private static partial void LogDecided(ILogger logger, string messageId, string clinicId, DecisionKind decision, string reason, string caller);

    [LoggerMessage(EventId = 2001, Level = LogLevel.Warning, Message = "Call event {MessageId} rejected as poison: {Problem}")]
    private static partial void LogRejected(ILogger logger, string messageId, string problem);
}

/// <summary>Checks that a queued event could have come from our ingest (poison detection).</summary>
public static class CallEventValidation
{
    public static string? Problem(CallEvent e, DateTimeOffset now)
    {
        if (e.Version != CallEvent.SchemaVersion)
        {
            return $"schema version {e.Version} is not supported";
        }

        if (string.IsNullOrWhiteSpace(e.ClinicId) || string.IsNullOrWhiteSpace(e.Provider) || string.IsNullOrWhiteSpace(e.ProviderEventId)
            || string.IsNullOrWhiteSpace(e.ProviderCallId))
        {
            return "clinic, provider, event id and call id are required";
        }

        if (!PhoneNumberTools.IsValidE164(e.ClinicNumber))
        {
            return "clinic number is not E.164";
        }

        if (e.CallerNumberStatus == CallerNumberStatus.Valid && !PhoneNumberTools.IsValidE164(e.CallerNumber))
        {
            return "caller marked valid but its number is not E.164";
        }

        if (e.RingSeconds is < 0 || e.TalkSeconds is < 0)
        {
            return "negative duration";
        }

        if (e.OccurredAt > now.AddDays(1) || e.OccurredAt < now.AddYears(-1))
        {
            return "occurred-at is more than a day in the future or a year in the past";
        }

        if (!Enum.IsDefined(e.Outcome) || !Enum.IsDefined(e.Direction) || !Enum.IsDefined(e.CallerNumberStatus))
        {
            return "unknown outcome, direction or caller status";
        }

        return null;
    }
}
