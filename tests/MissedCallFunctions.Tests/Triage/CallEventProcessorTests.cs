using Azure.Data.Tables;
using MissedCallFunctions.Ingest;
using MissedCallFunctions.Recovery;
using NSubstitute;
using MissedCallFunctions.Storage;
using MissedCallFunctions.Tests.Infrastructure;
using MissedCallFunctions.Triage;

namespace MissedCallFunctions.Tests.Triage;

/// <summary>The processor against real tables on Azurite.</summary>
public sealed class CallEventProcessorTests : IAsyncLifetime
{
    private readonly IRecoveryOrchestrations _durable = Substitute.For<IRecoveryOrchestrations>();
    private TestStack _stack = null!;

    public async Task InitializeAsync()
    {
        _stack = await TestStack.CreateAsync();
        _durable.StartAsync(Arg.Any<RecoveryInput>(), Arg.Any<CancellationToken>()).Returns(true);
        _durable.IsLiveAsync(Arg.Any<string>(), Arg.Any<CancellationToken>()).Returns((bool?)true);
    }

    public async Task DisposeAsync() => await _stack.DisposeAsync();

    private CallEventProcessor Processor => _stack.Get<CallEventProcessor>();

    private TableClient Table(string name) => _stack.Get<StorageClients>().Table(name);

    private async Task<TableEntity> AuditRowAsync(CallEvent call)
        => (await Table(TableNames.CallAudit).GetEntityAsync<TableEntity>(call.ClinicId, TableKeys.Escape(call.MessageId))).Value;

    [Theory]
    [InlineData("missed", DecisionKind.Recover, DecisionReasons.Missed)]
    [InlineData("answered", DecisionKind.NotMissed, DecisionReasons.Answered)]
    [InlineData("outbound", DecisionKind.NotMissed, DecisionReasons.Outbound)]
    [InlineData("withheld", DecisionKind.Suppressed, DecisionReasons.WithheldNumber)]
    [InlineData("internal", DecisionKind.Suppressed, DecisionReasons.InternalNumber)]
    [InlineData("blocked", DecisionKind.Suppressed, DecisionReasons.Blocked)]
    [InlineData("landline", DecisionKind.Suppressed, DecisionReasons.Landline)]
    [InlineData("voicemail-with-message", DecisionKind.Suppressed, DecisionReasons.OutsideDefinition)]
    [InlineData("failed", DecisionKind.Suppressed, DecisionReasons.OutsideDefinition)]
    public async Task Process_EachKindOfCall_RecordsDecisionInAudit(string scenario, DecisionKind kind, string reason)
    {
        var call = scenario switch
        {
            "missed" => TestData.MissedCall(),
            "answered" => TestData.MissedCall(outcome: CallOutcome.Answered),
            "outbound" => TestData.MissedCall(direction: CallDirection.Outbound),
            "withheld" => TestData.MissedCall(caller: null),
            "internal" => TestData.MissedCall(caller: "+442079460099"),
            "blocked" => TestData.MissedCall(caller: "+447400123666"),
            "landline" => TestData.MissedCall(caller: TestData.UkLandline),
            "voicemail-with-message" => TestData.MissedCall(outcome: CallOutcome.Voicemail, voicemailLeft: true),
            "failed" => TestData.MissedCall(outcome: CallOutcome.Failed),
            _ => throw new ArgumentOutOfRangeException(nameof(scenario)),
        };

        var result = Assert.IsType<ProcessResult.Decided>(await Processor.ProcessAsync(call, _durable, CancellationToken.None));

        Assert.Equal((kind, reason), (result.Decision.Kind, result.Decision.Reason));
        var row = await AuditRowAsync(call);
        Assert.Equal(kind.ToString(), row.GetString("Decision"));
        Assert.Equal(reason, row.GetString("Reason"));
        Assert.Equal(call.Outcome.ToString(), row.GetString("Outcome"));
    }

    [Fact]
    public async Task Process_OptedOutCaller_SuppressedAndNoRecoveryRequested()
    {
        await _stack.Get<IOptOutLedger>().OptOutAsync(TestData.UkClinicId, TestData.UkMobile, "test", DateTimeOffset.UtcNow, CancellationToken.None);
        var call = TestData.MissedCall();

        var result = Assert.IsType<ProcessResult.Decided>(await Processor.ProcessAsync(call, _durable, CancellationToken.None));

        Assert.Equal(DecisionReasons.OptedOut, result.Decision.Reason);
        await _durable.DidNotReceive().StartAsync(Arg.Any<RecoveryInput>(), Arg.Any<CancellationToken>());
    }

    [Fact]
    public async Task Process_MissedCallDeliveredAfterTheCallersAnsweredRedial_SuppressedAsReachedByPhone()
    {
        var missedAt = DateTimeOffset.UtcNow.AddSeconds(-40);
        // The redial got through and was reported first (the miss waited out an ACS ring window, or a provider retry).
        await Processor.ProcessAsync(TestData.MissedCall(outcome: CallOutcome.Answered, at: missedAt.AddSeconds(25)), _durable, CancellationToken.None);

        var result = Assert.IsType<ProcessResult.Decided>(await Processor.ProcessAsync(TestData.MissedCall(at: missedAt), _durable, CancellationToken.None));

        Assert.Equal((DecisionKind.Suppressed, DecisionReasons.ReachedByPhone), (result.Decision.Kind, result.Decision.Reason));
        await _durable.DidNotReceive().StartAsync(Arg.Any<RecoveryInput>(), Arg.Any<CancellationToken>());
    }

    [Fact]
    public async Task Process_MissedCallAfterAnEarlierAnsweredCall_StillRecovered()
    {
        await Processor.ProcessAsync(TestData.MissedCall(outcome: CallOutcome.Answered, at: DateTimeOffset.UtcNow.AddHours(-2)), _durable, CancellationToken.None);

        var result = Assert.IsType<ProcessResult.Decided>(await Processor.ProcessAsync(TestData.MissedCall(), _durable, CancellationToken.None));

        Assert.Equal(DecisionReasons.Missed, result.Decision.Reason);
        await _durable.Received(1).StartAsync(Arg.Any<RecoveryInput>(), Arg.Any<CancellationToken>());
    }

    [Fact]
    public async Task Process_MissedCall_StartsOneRecoveryOnce()
    {
        var call = TestData.MissedCall();

        await Processor.ProcessAsync(call, _durable, CancellationToken.None);
        var again = Assert.IsType<ProcessResult.Decided>(await Processor.ProcessAsync(call, _durable, CancellationToken.None));

        Assert.True(again.AlreadyProcessed);
        await _durable.Received(1).StartAsync(
            Arg.Is<RecoveryInput>(i => i.CallerNumber == TestData.UkMobile && i.Clinic.Webhooks.TwilioAuthToken == null), Arg.Any<CancellationToken>());
        var recovery = await _stack.Get<IRecoveryRegistry>().GetAsync(TestData.UkClinicId, TestData.UkMobile, CancellationToken.None);
        Assert.True(recovery!.Live);
    }

    [Fact]
    public async Task Process_TwoMissedCallsFromOneCallerAtTheSameMoment_OneRecoveryAndOneJoin()
    {
        var first = TestData.MissedCall();
        var second = TestData.MissedCall();

        var results = await Task.WhenAll(Processor.ProcessAsync(first, _durable, CancellationToken.None), Processor.ProcessAsync(second, _durable, CancellationToken.None));

        var reasons = results.Cast<ProcessResult.Decided>().Select(r => r.Decision.Reason).Order().ToArray();
        Assert.Equal(new[] { DecisionReasons.JoinedRecovery, DecisionReasons.Missed }, reasons);
        await _durable.Received(1).StartAsync(Arg.Any<RecoveryInput>(), Arg.Any<CancellationToken>());
        var live = await _stack.Get<IRecoveryRegistry>().GetAsync(TestData.UkClinicId, TestData.UkMobile, CancellationToken.None);
        var inbox = await _stack.Get<IRecoveryInbox>().ListAsync(live!.InstanceId, CancellationToken.None);
        Assert.Equal(InboxKind.RepeatCall, Assert.Single(inbox).Kind);
        await _durable.Received(1).WakeAsync(live.InstanceId, Arg.Any<CancellationToken>());
    }

    [Fact]
    public async Task Process_LandlineCaller_OpensStaffCallbackTask()
    {
        await Processor.ProcessAsync(TestData.MissedCall(caller: TestData.UkLandline), _durable, CancellationToken.None);

        var task = Assert.Single(await _stack.Get<MissedCallFunctions.Staff.IStaffTaskStore>().ListAsync(TestData.UkClinicId, true, CancellationToken.None));
        Assert.Equal(TestData.UkLandline, task.CallerNumber);
        Assert.Contains("landline", task.Reason, StringComparison.Ordinal);
        await _durable.DidNotReceive().StartAsync(Arg.Any<RecoveryInput>(), Arg.Any<CancellationToken>());
    }

    [Fact]
    public async Task Process_TwoMissedEventsOfOneCallConcurrently_OneRecovery()
    {
        // e.g. Twilio's dial-action callback and its status callback for the same call, handled by two processors.
        var first = TestData.MissedCall(eventId: "CA1:dial:no-answer", callId: "CA1");
        var second = TestData.MissedCall(eventId: "CA1:status:no-answer", callId: "CA1");

        var results = await Task.WhenAll(
            Enumerable.Range(0, 8).Select(i => Processor.ProcessAsync(i % 2 == 0 ? first : second, _durable, CancellationToken.None)));

        // Redeliveries of the owning event may schedule again (idempotent by instance id): one recovery instance.
        var instances = _durable.ReceivedCalls().Where(c => c.GetMethodInfo().Name == nameof(IRecoveryOrchestrations.StartAsync))
            .Select(c => ((RecoveryInput)c.GetArguments()[0]!).InstanceId).Distinct().ToList();
        Assert.Single(instances);
        Assert.Contains(results.Cast<ProcessResult.Decided>(), r => r.Decision.Reason == DecisionReasons.CallAlreadyDecided);
        Assert.Equal(2, (await Table(TableNames.CallAudit).QueryAsync<TableEntity>(e => e.PartitionKey == TestData.UkClinicId).CollectAsync()).Count);
    }

    [Fact]
    public async Task Process_AcsRingingAfterAnswer_NotMissed()
    {
        var answered = TestData.MissedCall(outcome: CallOutcome.Answered, eventId: "cb-1", callId: "corr-1");
        var ringing = TestData.MissedCall(outcome: CallOutcome.Ringing, eventId: "ic-1", callId: "corr-1");

        await Processor.ProcessAsync(answered, _durable, CancellationToken.None);
        var result = Assert.IsType<ProcessResult.Decided>(await Processor.ProcessAsync(ringing, _durable, CancellationToken.None));

        Assert.Equal(DecisionReasons.CallAlreadyDecided, result.Decision.Reason);
    }

    [Fact]
    public async Task Process_AcsRingingWithNothingElse_Recovers()
    {
        var ringing = TestData.MissedCall(outcome: CallOutcome.Ringing, eventId: "ic-2", callId: "corr-2");

        var result = Assert.IsType<ProcessResult.Decided>(await Processor.ProcessAsync(ringing, _durable, CancellationToken.None));

        Assert.Equal(DecisionKind.Recover, result.Decision.Kind);
    }

    [Theory]
    [InlineData("future")]
    [InlineData("bad-clinic-number")]
    [InlineData("unknown-clinic")]
    [InlineData("negative-duration")]
    public async Task Process_ImpossibleEvent_RejectedWithReason(string scenario)
    {
        var call = TestData.MissedCall();
        call = scenario switch
        {
            "future" => call with { OccurredAt = DateTimeOffset.UtcNow.AddDays(3) },
            "bad-clinic-number" => call with { ClinicNumber = "12345" },
            "unknown-clinic" => call with { ClinicId = "no-such-clinic" },
            _ => call with { RingSeconds = -4 },
        };

        var rejected = Assert.IsType<ProcessResult.Rejected>(await Processor.ProcessAsync(call, _durable, CancellationToken.None));

        Assert.False(string.IsNullOrWhiteSpace(rejected.Reason));
        Assert.False(string.IsNullOrWhiteSpace(rejected.Description));
    }

    [Fact]
    public async Task Process_Logs_MaskCallerNumber()
    {
        await Processor.ProcessAsync(TestData.MissedCall(), _durable, CancellationToken.None);

        var messages = _stack.Logs.GetSnapshot().Select(r => r.Message).ToList();
        Assert.NotEmpty(messages);
        Assert.DoesNotContain(messages, m => m.Contains(TestData.UkMobile, StringComparison.Ordinal));
        Assert.Contains(messages, m => m.Contains("+44*******456", StringComparison.Ordinal));
    }
}
