using MissedCallFunctions.Clinics;
using MissedCallFunctions.Common;
using MissedCallFunctions.Ingest;

namespace MissedCallFunctions.Triage;

/// <summary>Facts about a call that need storage to know; gathered by the processor.</summary>
/// <param name="CallerOptedOut">The caller opted out of texts from this clinic.</param>
/// <param name="EarlierDecisiveEvent">Another event of the same call was decided first.</param>
/// <param name="UpcomingAppointment">The caller is a known patient with an appointment in the next 48 hours.</param>
/// <param name="ReachedSince">The caller got through on a later, answered call (this event was delivered late).</param>
public readonly record struct TriageFacts(bool CallerOptedOut, bool EarlierDecisiveEvent, bool UpcomingAppointment = false, bool ReachedSince = false);

/// <summary>Decides what a call event means for the clinic. Pure: no I/O, no clock.</summary>
public static class CallTriage
{
    public static CallDecision Decide(CallEvent call, ClinicConfig clinic, TriageFacts facts)
    {
        if (call.Direction == CallDirection.Outbound)
        {
            return CallDecision.NotMissed(DecisionReasons.Outbound, $"outbound call, {Describe(call.Outcome)}");
        }

        if (facts.EarlierDecisiveEvent)
        {
            return CallDecision.NotMissed(DecisionReasons.CallAlreadyDecided, "another event of this call was decided first");
        }

        // An ACS IncomingCall that nothing answered within the ring window is a plain no-answer.
        var outcome = call.Outcome == CallOutcome.Ringing ? CallOutcome.Missed : call.Outcome;
        if (outcome == CallOutcome.Answered)
        {
            return CallDecision.NotMissed(DecisionReasons.Answered, "answered");
        }

        var (counts, why) = clinic.MissedCallDefinition.Evaluate(outcome, call.VoicemailLeft, call.RingSeconds);
        if (!counts)
        {
            return CallDecision.Suppressed(DecisionReasons.OutsideDefinition, why);
        }

        switch (call.CallerNumberStatus)
        {
            case CallerNumberStatus.Withheld:
                return CallDecision.Suppressed(DecisionReasons.WithheldNumber, $"{why}; caller withheld their number");
            case CallerNumberStatus.Invalid:
                return CallDecision.Suppressed(DecisionReasons.InvalidNumber, $"{why}; caller number is not dialable");
        }

        var caller = call.CallerNumber!;
        if (IsInternal(caller, clinic))
        {
            return CallDecision.Suppressed(DecisionReasons.InternalNumber, $"{why}; internal number");
        }

        if (clinic.BlockedNumbers.Contains(caller, StringComparer.Ordinal))
        {
            return CallDecision.Suppressed(DecisionReasons.Blocked, $"{why}; number is on the clinic's block list");
        }

        if (facts.ReachedSince)
        {
            // "Sorry we missed you" to someone who is on the phone with reception, or was minutes ago, helps nobody.
            return CallDecision.Suppressed(DecisionReasons.ReachedByPhone, $"{why}; the caller got through on a later call");
        }

        if (facts.CallerOptedOut)
        {
            return CallDecision.Suppressed(DecisionReasons.OptedOut, $"{why}; caller opted out of texts");
        }

        if (facts.UpcomingAppointment)
        {
            return CallDecision.Suppressed(DecisionReasons.UpcomingAppointment,
                $"{why}; caller has an appointment within 48 hours, probably about it: staff should call back");
        }

        if (PhoneNumberTools.GetLineType(caller) == LineType.Landline)
        {
            return CallDecision.Suppressed(DecisionReasons.Landline, $"{why}; landline cannot take texts, staff should call back");
        }

        return CallDecision.Recover(why);
    }

    private static bool IsInternal(string caller, ClinicConfig clinic)
        => clinic.Numbers.Contains(caller, StringComparer.Ordinal)
           || clinic.InternalNumbers.Contains(caller, StringComparer.Ordinal)
           || clinic.StaffContacts.Any(s => s.Phone == caller);

    private static string Describe(CallOutcome outcome) => outcome.ToString().ToLowerInvariant();
}
