using Microsoft.DurableTask;
using Microsoft.Extensions.Logging.Abstractions;
using MissedCallFunctions.Clinics;
using MissedCallFunctions.Conversation;
using MissedCallFunctions.Messaging;
using MissedCallFunctions.Recovery;
using MissedCallFunctions.Staff;
using MissedCallFunctions.Tests.Infrastructure;
using MissedCallFunctions.Triage;
using NSubstitute;

namespace MissedCallFunctions.Tests.Recovery;

/// <summary>How the sending activities report failures to the orchestrator's retry policy.</summary>
public sealed class RecoveryActivityTests
{
    private readonly IClinicDirectory _clinics = Substitute.For<IClinicDirectory>();
    private readonly ISmsChannelResolver _channels = Substitute.For<ISmsChannelResolver>();

    public RecoveryActivityTests()
    {
        _clinics.GetAsync(TestData.UkClinicId, Arg.Any<CancellationToken>()).Returns(TestData.UkClinic);
        _channels.For(Arg.Any<ClinicConfig>()).Returns(_ => throw new InvalidOperationException("the ACS SMS channel is not configured in this host"));
    }

    private SendPatientSmsActivity SendPatientSms() => new(_clinics, _channels, Substitute.For<ISmsOutbox>(), Substitute.For<IOptOutLedger>(),
        Substitute.For<IConversationStore>(), Substitute.For<IRecoveryTimeline>(), TimeProvider.System, NullLogger<SendPatientSmsActivity>.Instance);

    private static PatientSmsRequest Text() => new("mc-test", TestData.UkClinicId, "01-textback", TestData.UkClinicNumber, TestData.UkMobile, "hello",
        Guid.NewGuid().ToString(), DateTimeOffset.UtcNow, "text-back");

    [Fact]
    public async Task SendPatientSms_ChannelNotConfigured_ThrowsTheChannelFailureThatIsNotRetried()
    {
        var error = await Assert.ThrowsAsync<SmsChannelException>(() => SendPatientSms().RunAsync(Text(), CancellationToken.None));

        Assert.Contains("not configured", error.Message, StringComparison.Ordinal);
        Assert.False(RecoveryRun.IsWorthRetrying(TaskFailureDetails.FromException(error)));
    }

    [Fact]
    public async Task SendPatientSms_ClinicGone_ThrowsTheChannelFailureThatIsNotRetried()
    {
        _clinics.GetAsync(TestData.UkClinicId, Arg.Any<CancellationToken>()).Returns((ClinicConfig?)null);

        var error = await Assert.ThrowsAsync<SmsChannelException>(() => SendPatientSms().RunAsync(Text(), CancellationToken.None));

        Assert.False(RecoveryRun.IsWorthRetrying(TaskFailureDetails.FromException(error)));
    }

    [Fact]
    public async Task AlertStaff_ChannelNotConfigured_ThrowsTheChannelFailureThatIsNotRetried()
    {
        var activity = new AlertStaffActivity(_clinics, _channels, Substitute.For<ISmsOutbox>(), Substitute.For<IRecoveryTimeline>(),
            new TaskLinks(Microsoft.Extensions.Options.Options.Create(new RecoveryOptions()), TimeProvider.System), TimeProvider.System);
        var request = new StaffAlertRequest("mc-test", TestData.UkClinicId, "step-2-AlertStaff", [StaffRole.Staff], MessageTemplates.StaffAlert,
            TestData.UkClinicNumber, TestData.UkMobile, DateTimeOffset.UtcNow, "task mc-test", Guid.NewGuid().ToString(), DateTimeOffset.UtcNow);

        await Assert.ThrowsAsync<SmsChannelException>(() => activity.RunAsync(request, CancellationToken.None));
    }

    [Theory]
    [InlineData(typeof(SmsTransientException), true)]
    [InlineData(typeof(InvalidOperationException), true)]
    [InlineData(typeof(TimeoutException), true)]
    [InlineData(typeof(SmsChannelException), false)]
    public void IsWorthRetrying_ByFailureType_OnlyChannelFailuresAreFinal(Type exceptionType, bool retried)
    {
        var exception = (Exception)Activator.CreateInstance(exceptionType, "failed")!;

        Assert.Equal(retried, RecoveryRun.IsWorthRetrying(TaskFailureDetails.FromException(exception)));
    }

    [Fact]
    public void Retry_ThePolicyEveryActivityUses_AsksIsWorthRetrying()
    {
        var policy = RecoveryRun.Retry.Retry!.Policy!;
        // What the engine hands the policy after an activity threw (failure details on, as in both hosts).
        var core = new global::DurableTask.Core.Exceptions.TaskFailedException("failed")
        {
            FailureDetails = new global::DurableTask.Core.FailureDetails(new SmsChannelException("401")),
        };

        Assert.Equal(10, policy.MaxNumberOfAttempts);
        Assert.False(policy.Handle(core));
    }
}
