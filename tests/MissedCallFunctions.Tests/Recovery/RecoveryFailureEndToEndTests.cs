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

    private async Task MissCallAsync(string caller)
    {
        var id = "evt-" + Guid.NewGuid().ToString("N");
        var json = $$"""{"eventId":"{{id}}","callId":"c-{{id}}","clinicNumber":"{{TestData.UkClinicNumber}}","caller":"{{caller}}","outcome":"missed","ringSeconds":25,"occurredAt":"{{DateTimeOffset.UtcNow:O}}"}""";
        using var response = await Host.Http.SendAsync(Host.GenericEvent(json));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
    }

    private IReadOnlyList<SandboxMessage> TextsTo(string phone) => Host.Sandbox.Messages.Where(m => m.Direction == SandboxDirection.Outbound && m.To == phone).ToList();

    private async Task<RecoveryRecord> EndedAsync(string caller, int seconds = 30)
    {
        var registry = Host.Get<IRecoveryRegistry>();
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (DateTime.UtcNow < deadline)
        {
            if (await registry.GetAsync(TestData.UkClinicId, caller, CancellationToken.None) is { Live: false } ended)
            {
                return ended;
            }

            await Task.Delay(200);
        }

        throw new TimeoutException($"The recovery of {caller} did not end within {seconds} s.");
    }

    private async Task<StaffTask?> TaskForAsync(string caller)
        => (await Host.Get<IStaffTaskStore>().ListAsync(TestData.UkClinicId, openOnly: false, CancellationToken.None)).FirstOrDefault(t => t.CallerNumber == caller);

    [Fact]
    public async Task MissedCall_ProviderRejectsTheCredentials_TriedOnce_StaffCallBackAndTheRecoveryEnds()
    {
        var caller = NewCaller();
        // One 401, then the sandbox works again: a retried send would be accepted and the caller texted.
        Host.Sandbox.InjectFaults((SmsSandboxFault)401, DateTimeOffset.UtcNow.AddMinutes(1), times: 1);

        await MissCallAsync(caller);
        var ended = await EndedAsync(caller);

        Assert.Equal(RecoveryOutcome.FailedDelivery, ended.Outcome);
        var task = await TaskForAsync(caller);
        Assert.NotNull(task);
        Assert.True(task.Open);
        Assert.Equal("text could not be sent: please call back", task.Reason);
        Assert.Empty(TextsTo(caller));
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
        var ended = await EndedAsync(caller);

        Assert.Equal(RecoveryOutcome.FailedDelivery, ended.Outcome);
        Assert.Equal("missed call reported too late to text: please call back", (await TaskForAsync(caller))?.Reason);
        var timeline = await Host.Get<IRecoveryTimeline>().ListAsync(ended.InstanceId, CancellationToken.None);
        Assert.Contains(timeline, t => t.Key == "01-textback" && t.Kind == "text-back-skipped");
        await Task.Delay(TimeSpan.FromSeconds(2));
        Assert.Empty(TextsTo(caller));
    }
}
