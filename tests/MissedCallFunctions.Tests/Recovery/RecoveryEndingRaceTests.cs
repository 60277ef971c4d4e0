using MissedCallFunctions.Recovery;
using MissedCallFunctions.Staff;
using MissedCallFunctions.Tests.Infrastructure;
using NSubstitute;

namespace MissedCallFunctions.Tests.Recovery;

/// <summary>A repeat call that lands while the caller's recovery is ending, on real tables (Azurite); the engine is a substitute.</summary>
public sealed class RecoveryEndingRaceTests : IAsyncLifetime
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

    private static string NewCaller() => "+4474008" + Random.Shared.Next(10_000, 99_999);

    private static MissedCall Call(string caller) => new(TestData.UkClinicId, TestData.UkClinicNumber, caller, null, "evt-" + Guid.NewGuid().ToString("N"),
        DateTimeOffset.UtcNow, DateTimeOffset.UtcNow);

    [Fact]
    public async Task StartOrJoin_RecoveryEndsWhileTheCallJoins_StartsANewRecovery()
    {
        var caller = NewCaller();
        var registry = _stack.Get<IRecoveryRegistry>();
        var coordinator = _stack.Get<RecoveryCoordinator>();
        Assert.Equal(RecoveryStartResult.Started, await coordinator.StartOrJoinAsync(Call(caller), _durable, CancellationToken.None));
        var first = (await registry.GetAsync(TestData.UkClinicId, caller, CancellationToken.None))!;

        // The recovery ends between the repeat call's inbox write and its doorbell: it will never read the call.
        _durable.When(d => d.WakeAsync(first.InstanceId, Arg.Any<CancellationToken>())).Do(_ =>
            registry.EndAsync(TestData.UkClinicId, caller, first.InstanceId, RecoveryOutcome.NoResponse, DateTimeOffset.UtcNow, CancellationToken.None)
                .GetAwaiter().GetResult());

        var result = await coordinator.StartOrJoinAsync(Call(caller), _durable, CancellationToken.None);

        Assert.Equal(RecoveryStartResult.Started, result);
        var now = await registry.GetAsync(TestData.UkClinicId, caller, CancellationToken.None);
        Assert.True(now!.Live);
        Assert.NotEqual(first.InstanceId, now.InstanceId);
        await _durable.Received(2).StartAsync(Arg.Any<RecoveryInput>(), Arg.Any<CancellationToken>());
    }

    [Fact]
    public async Task Complete_RepeatCallUnreadInTheInbox_OpensACallbackTask()
    {
        var caller = NewCaller();
        var instanceId = "rec-" + Guid.NewGuid().ToString("N");
        await _stack.Get<IRecoveryRegistry>().TryAddLiveAsync(TestData.UkClinicId, caller, instanceId, DateTimeOffset.UtcNow, CancellationToken.None);
        await _stack.Get<IRecoveryInbox>().AddAsync(instanceId, new InboxItem("evt-late", InboxKind.RepeatCall, DateTimeOffset.UtcNow), CancellationToken.None);

        await _stack.Get<CompleteRecoveryActivity>().RunAsync(new CompleteRecoveryRequest(TestData.UkClinicId, caller, instanceId, RecoveryOutcome.NoResponse,
            DateTimeOffset.UtcNow, "ladder ran", HandledInboxIds: []), CancellationToken.None);

        var task = await _stack.Get<IStaffTaskStore>().GetAsync(TestData.UkClinicId, instanceId, CancellationToken.None);
        Assert.NotNull(task);
        Assert.True(task.Open);
        Assert.Contains("call back", task.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Complete_OnlyAStopUnreadInTheInbox_OpensNoTask()
    {
        var caller = NewCaller();
        var instanceId = "rec-" + Guid.NewGuid().ToString("N");
        await _stack.Get<IRecoveryInbox>().AddAsync(instanceId, new InboxItem("sms-late", InboxKind.Reply, DateTimeOffset.UtcNow, "STOP"), CancellationToken.None);

        await _stack.Get<CompleteRecoveryActivity>().RunAsync(new CompleteRecoveryRequest(TestData.UkClinicId, caller, instanceId, RecoveryOutcome.NoResponse,
            DateTimeOffset.UtcNow, "ladder ran", HandledInboxIds: []), CancellationToken.None);

        Assert.Null(await _stack.Get<IStaffTaskStore>().GetAsync(TestData.UkClinicId, instanceId, CancellationToken.None));
    }
}
