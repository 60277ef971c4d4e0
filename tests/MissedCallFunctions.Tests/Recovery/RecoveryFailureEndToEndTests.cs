using System.Net;
using MissedCallFunctions.LocalHost.SmsSandbox;
using MissedCallFunctions.Recovery;
using MissedCallFunctions.Staff;
using MissedCallFunctions.Tests.Infrastructure;

namespace MissedCallFunctions.Tests.Recovery;

/// <summary>
/// Recoveries that cannot go the normal way, on the real engine. A host of their own (a class fixture per class): the
/// sandbox faults they inject would hit the texts of other tests' recoveries.
/// </summary>
public sealed class RecoveryFailureEndToEndTests(RecoveryHostFixture fixture) : IClassFixture<RecoveryHostFixture>
{
    private static int _next = Random.Shared.Next(500_000, 900_000);

    private LocalHostRunner Host => fixture.Host;

    private static string NewCaller() => $"+447400{Interlocked.Increment(ref _next):D6}";

    [Fact]
    public async Task MissedCall_ProviderRejectsTheCredentials_TriedOnce_StaffCallBackAndTheRecoveryEnds()
    {
        var caller = NewCaller();
        // One 401, then the sandbox works again: a retried send would be accepted and the caller texted.
        Host.Sandbox.InjectFaults((SmsSandboxFault)401, DateTimeOffset.UtcNow.AddMinutes(1), times: 1);

        await Host.MissCallAsync(caller);
        var ended = await Host.EndedAsync(caller);

        Assert.Equal(RecoveryOutcome.FailedDelivery, ended.Outcome);
        var task = await Host.TaskForAsync(caller);
        Assert.NotNull(task);
        Assert.True(task.Open);
        Assert.Equal("text could not be sent: please call back", task.Reason);
        Assert.Empty(Host.TextsTo(caller));
        Assert.Single(Host.Sandbox.Requests, r => r.StatusCode == 401);
        var timeline = await Host.Get<IRecoveryTimeline>().ListAsync(ended.InstanceId, CancellationToken.None);
        Assert.Contains(timeline, t => t.Key == "01-textback" && t.Kind.EndsWith("-refused", StringComparison.Ordinal));
    }

    [Fact]
    public async Task MissedCall_EventProcessedTwoDaysLate_NotTexted_StaffCallBackAndTheRecoveryEnds()
    {
        // A dead-letter replay: received and accepted two days ago, processed now.
        var caller = NewCaller();
        var callAt = DateTimeOffset.UtcNow.AddDays(-2);
        var call = new MissedCall(TestData.UkClinicId, TestData.UkClinicNumber, caller, null, "generic:replayed-" + Guid.NewGuid().ToString("N"), callAt, callAt);

        Assert.Equal(RecoveryStartResult.Started,
            await Host.Get<RecoveryCoordinator>().StartOrJoinAsync(call, Host.Get<IRecoveryOrchestrations>(), CancellationToken.None));
        var ended = await Host.EndedAsync(caller);

        Assert.Equal(RecoveryOutcome.FailedDelivery, ended.Outcome);
        Assert.Equal("missed call reported too late to text: please call back", (await Host.TaskForAsync(caller))?.Reason);
        var timeline = await Host.Get<IRecoveryTimeline>().ListAsync(ended.InstanceId, CancellationToken.None);
        Assert.Contains(timeline, t => t.Key == "01-textback" && t.Kind == "text-back-skipped");
        await Task.Delay(TimeSpan.FromSeconds(2));
        Assert.Empty(Host.TextsTo(caller));
    }
}
