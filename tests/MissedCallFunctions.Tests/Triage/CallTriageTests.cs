using MissedCallFunctions.Ingest;
using MissedCallFunctions.Tests.Infrastructure;
using MissedCallFunctions.Triage;

namespace MissedCallFunctions.Tests.Triage;

public sealed class CallTriageTests
{
    private static CallDecision Decide(CallEvent call, bool optedOut = false, bool earlier = false)
        => CallTriage.Decide(call, TestData.UkClinic, new TriageFacts(optedOut, earlier));

    [Fact]
    public void Decide_MissedCallFromMobile_Recovers()
    {
        var decision = Decide(TestData.MissedCall());
        Assert.Equal(DecisionKind.Recover, decision.Kind);
        Assert.Equal(DecisionReasons.Missed, decision.Reason);
    }

    [Theory]
    [InlineData(CallOutcome.Busy)]
    [InlineData(CallOutcome.Abandoned)]
    public void Decide_CountedOutcomes_Recover(CallOutcome outcome)
        => Assert.Equal(DecisionKind.Recover, Decide(TestData.MissedCall(outcome: outcome)).Kind);

    [Fact]
    public void Decide_Answered_NotMissed()
    {
        var decision = Decide(TestData.MissedCall(outcome: CallOutcome.Answered));
        Assert.Equal((DecisionKind.NotMissed, DecisionReasons.Answered), (decision.Kind, decision.Reason));
    }

    [Fact]
    public void Decide_Outbound_NotMissed()
        => Assert.Equal(DecisionReasons.Outbound, Decide(TestData.MissedCall(direction: CallDirection.Outbound, outcome: CallOutcome.Missed)).Reason);

    [Fact]
    public void Decide_VoicemailWithMessage_SuppressedOutsideDefinition()
    {
        // The UK sample clinic does not count voicemails with a message (staff listen and call back).
        var decision = Decide(TestData.MissedCall(outcome: CallOutcome.Voicemail, voicemailLeft: true));
        Assert.Equal((DecisionKind.Suppressed, DecisionReasons.OutsideDefinition), (decision.Kind, decision.Reason));
    }

    [Fact]
    public void Decide_VoicemailWithoutMessage_Recovers()
        => Assert.Equal(DecisionKind.Recover, Decide(TestData.MissedCall(outcome: CallOutcome.Voicemail, voicemailLeft: false)).Kind);

    [Fact]
    public void Decide_ShortAbandon_SuppressedAsMisdial()
    {
        var decision = Decide(TestData.MissedCall(outcome: CallOutcome.Abandoned, ringSeconds: 2));
        Assert.Equal(DecisionReasons.OutsideDefinition, decision.Reason);
        Assert.Contains("under 5s", decision.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void Decide_Failed_SuppressedOutsideDefinition()
        => Assert.Equal(DecisionReasons.OutsideDefinition, Decide(TestData.MissedCall(outcome: CallOutcome.Failed)).Reason);

    [Fact]
    public void Decide_WithheldNumber_Suppressed()
        => Assert.Equal(DecisionReasons.WithheldNumber, Decide(TestData.MissedCall(caller: null)).Reason);

    [Fact]
    public void Decide_InvalidNumber_Suppressed()
        => Assert.Equal(DecisionReasons.InvalidNumber,
            Decide(TestData.MissedCall(caller: null, status: CallerNumberStatus.Invalid)).Reason);

    [Theory]
    [InlineData("+442079460099")] // listed internal number
    [InlineData("+442079460001")] // the clinic's own second line
    [InlineData("+447400123401")] // a staff contact's mobile
    public void Decide_InternalNumber_Suppressed(string caller)
        => Assert.Equal(DecisionReasons.InternalNumber, Decide(TestData.MissedCall(caller: caller)).Reason);

    [Fact]
    public void Decide_BlockedNumber_Suppressed()
        => Assert.Equal(DecisionReasons.Blocked, Decide(TestData.MissedCall(caller: "+447400123666")).Reason);

    [Fact]
    public void Decide_OptedOutCaller_Suppressed()
        => Assert.Equal(DecisionReasons.OptedOut, Decide(TestData.MissedCall(), optedOut: true).Reason);

    [Fact]
    public void Decide_Landline_Suppressed()
    {
        var decision = Decide(TestData.MissedCall(caller: TestData.UkLandline));
        Assert.Equal((DecisionKind.Suppressed, DecisionReasons.Landline), (decision.Kind, decision.Reason));
    }

    [Fact]
    public void Decide_UsNumberOfUnknownType_CountsAsMobile()
    {
        // North American numbers are FIXED_LINE_OR_MOBILE: unknown, so they get the text.
        var call = TestData.MissedCall(caller: "+13105550199") with { ClinicId = TestData.UsClinic.Id, ClinicNumber = TestData.UsClinicNumber };
        Assert.Equal(DecisionKind.Recover, CallTriage.Decide(call, TestData.UsClinic, default).Kind);
    }

    [Fact]
    public void Decide_AnotherEventOfTheCallDecidedFirst_NotMissed()
        => Assert.Equal(DecisionReasons.CallAlreadyDecided, Decide(TestData.MissedCall(), earlier: true).Reason);

    [Fact]
    public void Decide_RingingAfterWindow_TreatedAsNoAnswer()
        => Assert.Equal(DecisionKind.Recover, Decide(TestData.MissedCall(outcome: CallOutcome.Ringing)).Kind);

    [Fact]
    public void Decide_Detail_HoldsNoPhoneNumber()
    {
        foreach (var caller in new[] { TestData.UkMobile, TestData.UkLandline, "+447400123666" })
        {
            var decision = Decide(TestData.MissedCall(caller: caller));
            Assert.DoesNotContain("123", decision.Detail, StringComparison.Ordinal);
        }
    }
}
