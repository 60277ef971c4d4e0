using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using MissedCallFunctions.Clinics;
using MissedCallFunctions.Ingest;
using MissedCallFunctions.Ingest.Providers;
using MissedCallFunctions.Tests.Infrastructure;
using NSubstitute;

namespace MissedCallFunctions.Tests.Ingest;

/// <summary>The ingest use case with its storage substituted: what is refused before anything is claimed or queued.</summary>
public sealed class CallEventIngestorTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 26, 10, 0, 0, TimeSpan.Zero);

    private readonly FakeTimeProvider _time = new(Now);
    private readonly ICallEventProvider _provider = Substitute.For<ICallEventProvider>();
    private readonly IClinicDirectory _clinics = Substitute.For<IClinicDirectory>();
    private readonly IIngestLedger _ledger = Substitute.For<IIngestLedger>();
    private readonly ICallEventPublisher _publisher = Substitute.For<ICallEventPublisher>();
    private readonly CallEventIngestor _ingestor;

    public CallEventIngestorTests()
    {
        _provider.Key.Returns("fake");
        _provider.MediaTypes.Returns(new HashSet<string> { "application/json" });
        _provider.Verify(default!, default!, default).ReturnsForAnyArgs(SignatureCheck.Valid());
        _clinics.FindByNumberAsync(TestData.UkClinicNumber, Arg.Any<CancellationToken>()).Returns(TestData.UkClinic);
        _ledger.ClaimAsync(default!, default).ReturnsForAnyArgs(LedgerClaim.Claimed);
        _ingestor = new CallEventIngestor([_provider], _clinics, _ledger, _publisher, Options.Create(new IngestOptions()),
            Options.Create(new CallEventQueueOptions()), _time, NullLogger<CallEventIngestor>.Instance);
    }

    [Theory]
    [InlineData(24 * 60 + 1)]
    [InlineData(-366 * 24 * 60)]
    public async Task IngestAsync_OccurredAtBeyondADayAheadOrAYearAgo_400WithTheReasonNothingClaimed(int minutesFromNow)
    {
        _provider.Parse(default!).ReturnsForAnyArgs([Event("e1", Now.AddMinutes(minutesFromNow))]);

        var result = await _ingestor.IngestAsync("fake", Request(), CancellationToken.None);

        var rejected = Assert.IsType<IngestResult.Rejected>(result);
        Assert.Equal(400, rejected.StatusCode);
        Assert.Equal("Invalid call event", rejected.Title);
        Assert.Contains("occurred-at is more than a day in the future or a year in the past", rejected.Detail, StringComparison.Ordinal);
        Assert.Contains("2026-11-26T10:00:00", rejected.Detail, StringComparison.Ordinal);
        await _ledger.DidNotReceiveWithAnyArgs().ClaimAsync(default!, default);
        await _publisher.DidNotReceiveWithAnyArgs().PublishAsync(default!, default, default);
    }

    [Theory]
    [InlineData(24 * 60 - 1)]
    [InlineData(-364 * 24 * 60)]
    public async Task IngestAsync_OccurredAtJustInsideTheWindow_Queued(int minutesFromNow)
    {
        _provider.Parse(default!).ReturnsForAnyArgs([Event("e1", Now.AddMinutes(minutesFromNow))]);

        var result = await _ingestor.IngestAsync("fake", Request(), CancellationToken.None);

        Assert.Single(Assert.IsType<IngestResult.Accepted>(result).Queued);
        await _publisher.ReceivedWithAnyArgs(1).PublishAsync(default!, default, default);
    }

    [Fact]
    public async Task IngestAsync_BatchWithOneImpossibleEvent_400AndNoneOfItQueued()
    {
        _provider.Parse(default!).ReturnsForAnyArgs([Event("good", Now), Event("bad", Now.AddDays(30))]);

        var result = await _ingestor.IngestAsync("fake", Request(), CancellationToken.None);

        Assert.StartsWith("A call event of this request cannot be processed", Assert.IsType<IngestResult.Rejected>(result).Detail, StringComparison.Ordinal);
        await _ledger.DidNotReceiveWithAnyArgs().ClaimAsync(default!, default);
        await _publisher.DidNotReceiveWithAnyArgs().PublishAsync(default!, default, default);
    }

    [Fact]
    public async Task IngestAsync_ImpossibleEventWithAWrongSignature_401NotTheReason()
    {
        _provider.Parse(default!).ReturnsForAnyArgs([Event("e1", Now.AddDays(30))]);
        _provider.Verify(default!, default!, default).ReturnsForAnyArgs(SignatureCheck.Invalid("no match"));

        var result = await _ingestor.IngestAsync("fake", Request(), CancellationToken.None);

        Assert.Equal(401, Assert.IsType<IngestResult.Rejected>(result).StatusCode);
    }

    private static ProviderCallEvent Event(string id, DateTimeOffset occurredAt) => new()
    {
        ProviderEventId = id,
        ProviderCallId = "call-" + id,
        ClinicNumberRaw = TestData.UkClinicNumber,
        CallerRaw = TestData.UkMobile,
        Direction = CallDirection.Inbound,
        Outcome = CallOutcome.Missed,
        OccurredAt = occurredAt,
    };

    private static WebhookRequest Request() => WebhookRequest.Create("POST", "https://missedcall.example.com/api/calls/fake", "application/json", "{}");
}
