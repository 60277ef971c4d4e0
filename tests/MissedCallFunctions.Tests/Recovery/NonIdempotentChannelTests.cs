using Microsoft.Extensions.Logging.Abstractions;
using MissedCallFunctions.Clinics;
using MissedCallFunctions.Conversation;
using MissedCallFunctions.Messaging;
using MissedCallFunctions.Recovery;
using MissedCallFunctions.Tests.Infrastructure;
using MissedCallFunctions.Triage;
using NSubstitute;

namespace MissedCallFunctions.Tests.Recovery;

/// <summary>
/// Sending through a provider without a repeatability key (Twilio): a send that got no answer is never repeated, a
/// definite "not now" is. The outbox, ledger and timeline are the real tables on Azurite.
/// </summary>
public sealed class NonIdempotentChannelTests : IAsyncLifetime
{
    private TestStack _stack = null!;

    public async Task InitializeAsync() => _stack = await TestStack.CreateAsync();

    public async Task DisposeAsync() => await _stack.DisposeAsync();

    private SendPatientSmsActivity Activity(ISmsChannel channel)
    {
        var resolver = Substitute.For<ISmsChannelResolver>();
        resolver.For(Arg.Any<ClinicConfig>()).Returns(channel);
        return new SendPatientSmsActivity(_stack.Get<IClinicDirectory>(), resolver, _stack.Get<ISmsOutbox>(), _stack.Get<IOptOutLedger>(),
            _stack.Get<IConversationStore>(), _stack.Get<IRecoveryTimeline>(), TimeProvider.System, NullLogger<SendPatientSmsActivity>.Instance);
    }

    private static PatientSmsRequest Text() => new("mc-" + Guid.NewGuid().ToString("N"), TestData.UkClinicId, "01-textback", TestData.UkClinicNumber,
        "+4474007" + Random.Shared.Next(10_000, 99_999), "Sorry we missed your call", Guid.NewGuid().ToString(), DateTimeOffset.UtcNow, "text-back");

    [Fact]
    public async Task SendPatientSms_NoAnswerFromAProviderWithoutRepeatability_CountedSentAndNeverResent()
    {
        var channel = new ScriptedChannel(idempotent: false, new SmsTransientException("no answer", null, null));
        var request = Text();

        var first = await Activity(channel).RunAsync(request, CancellationToken.None);
        var retry = await Activity(channel).RunAsync(request, CancellationToken.None);

        Assert.Equal(PatientSmsStatus.Sent, first.Status);
        Assert.Equal(PatientSmsStatus.Sent, retry.Status);
        Assert.Equal(1, channel.Attempts);
        Assert.Equal("uncertain", (await _stack.Get<ISmsOutbox>().GetAsync(request.InstanceId, request.StepKey, CancellationToken.None))!.Status);
    }

    [Fact]
    public async Task SendPatientSms_ThrottledByAProviderWithoutRepeatability_RetrySends()
    {
        var channel = new ScriptedChannel(idempotent: false, new SmsTransientException("throttled", 429, TimeSpan.FromSeconds(1)));
        var request = Text();

        await Assert.ThrowsAsync<SmsTransientException>(() => Activity(channel).RunAsync(request, CancellationToken.None));
        var retry = await Activity(channel).RunAsync(request, CancellationToken.None);

        Assert.Equal(PatientSmsStatus.Sent, retry.Status);
        Assert.Equal("SM-2", retry.ProviderMessageId);
        Assert.Equal(2, channel.Attempts);
    }

    [Fact]
    public async Task SendPatientSms_RequestNeverLeftForAProviderWithoutRepeatability_RetrySends()
    {
        var channel = new ScriptedChannel(idempotent: false, new SmsTransientException("connection refused", null, null) { RequestNotSent = true });
        var request = Text();

        await Assert.ThrowsAsync<SmsTransientException>(() => Activity(channel).RunAsync(request, CancellationToken.None));
        var retry = await Activity(channel).RunAsync(request, CancellationToken.None);

        Assert.Equal("SM-2", retry.ProviderMessageId);
        Assert.Equal(2, channel.Attempts);
    }

    [Fact]
    public async Task SendPatientSms_GatewayErrorFromAProviderWithoutRepeatability_NotResent()
    {
        var channel = new ScriptedChannel(idempotent: false, new SmsTransientException("bad gateway", 502, null));
        var request = Text();

        var first = await Activity(channel).RunAsync(request, CancellationToken.None);
        await Activity(channel).RunAsync(request, CancellationToken.None);

        Assert.Equal(PatientSmsStatus.Sent, first.Status);
        Assert.Equal(1, channel.Attempts);
    }

    [Fact]
    public async Task SendPatientSms_NoAnswerFromAProviderWithRepeatability_RetryResendsTheSameRequest()
    {
        var channel = new ScriptedChannel(idempotent: true, new SmsTransientException("no answer", null, null));
        var request = Text();

        await Assert.ThrowsAsync<SmsTransientException>(() => Activity(channel).RunAsync(request, CancellationToken.None));
        var retry = await Activity(channel).RunAsync(request, CancellationToken.None);

        Assert.Equal(PatientSmsStatus.Sent, retry.Status);
        Assert.Equal(2, channel.Attempts);
        Assert.Single(channel.RepeatabilityIds.Distinct());
    }

    /// <summary>Fails the first attempt as scripted, accepts the rest.</summary>
    private sealed class ScriptedChannel(bool idempotent, Exception firstFailure) : ISmsChannel
    {
        public int Attempts { get; private set; }

        public List<string> RepeatabilityIds { get; } = [];

        public bool Idempotent => idempotent;

        public Task<SmsSendResult> SendAsync(OutgoingSms sms, CancellationToken ct)
        {
            Attempts++;
            RepeatabilityIds.Add(sms.RepeatabilityRequestId);
            return Attempts == 1 ? Task.FromException<SmsSendResult>(firstFailure) : Task.FromResult(SmsSendResult.AcceptedAs($"SM-{Attempts}", 201));
        }
    }
}
