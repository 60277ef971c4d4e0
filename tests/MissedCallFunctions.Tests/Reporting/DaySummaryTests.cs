using Azure.Data.Tables;
using MissedCallFunctions.Recovery;
using MissedCallFunctions.Reporting;

namespace MissedCallFunctions.Tests.Reporting;

public sealed class DaySummaryTests
{
    private const string Day = "2026-03-10";
    private static readonly DateTimeOffset Received = new(2026, 3, 10, 9, 0, 0, TimeSpan.Zero);

    private static CallFact Suppressed(string reason, int hour) => new()
    {
        ClinicId = "c", FactId = Guid.NewGuid().ToString("N"), LocalDay = Day, LocalHour = hour, CallerMasked = "x", Reason = reason,
        ReceivedAt = Received,
    };

    private static CallFact Eligible(int hour, int? latencyMs = null, int? replySeconds = null, RecoveryOutcome? outcome = null) => new()
    {
        ClinicId = "c", FactId = Guid.NewGuid().ToString("N"), LocalDay = Day, LocalHour = hour, CallerMasked = "x", Reason = "missed",
        Eligible = true, ReceivedAt = Received, InstanceId = "i",
        TextedAt = latencyMs is { } ms ? Received.AddMilliseconds(ms) : null,
        FirstReplyAt = replySeconds is { } s && latencyMs is { } l ? Received.AddMilliseconds(l).AddSeconds(s) : null,
        Outcome = outcome,
    };

    private static IReadOnlyList<CallFact> MixedDay() =>
    [
        Suppressed("landline", 9),
        Suppressed("landline", 9),
        Suppressed("withheld-number", 10),
        Eligible(9, latencyMs: 1500, replySeconds: 120, outcome: RecoveryOutcome.Booked) with { DeliveredAt = Received.AddSeconds(5) },
        Eligible(14, latencyMs: 300, outcome: RecoveryOutcome.NoResponse) with { DeliveryFailed = true, FollowUps = 1, Escalations = 2 },
        Eligible(14, outcome: RecoveryOutcome.FailedDelivery) with { TextRefused = true },
        Eligible(23, latencyMs: 800, replySeconds: 30),
        Eligible(0, latencyMs: 100, outcome: RecoveryOutcome.ReachedByPhone),
    ];

    [Fact]
    public void From_MixedDay_CountsEligibleStagesAndSuppressedReasonsApart()
    {
        var s = DaySummary.From(Day, 1, MixedDay());

        Assert.Equal((8, 5, 3), (s.Missed, s.Eligible, s.Suppressed));
        Assert.Equal((4, 1, 2, 1), (s.Texted, s.Delivered, s.Replied, s.Booked));
        Assert.Equal(new Dictionary<string, int> { ["landline"] = 2, ["withheld-number"] = 1 }, s.SuppressedByReason);
        Assert.Equal(new Dictionary<string, int> { ["Booked"] = 1, ["FailedDelivery"] = 1, ["NoResponse"] = 1, ["ReachedByPhone"] = 1 }, s.Outcomes);
        Assert.Equal((1, 2), (s.FollowUps, s.Escalations));
    }

    [Fact]
    public void From_MixedDay_UnrecoveredAreNoResponseAndFailedDelivery_ReachedAreRepliesAndCallsThatGotThrough()
    {
        var s = DaySummary.From(Day, 1, MixedDay());

        Assert.Equal(2, s.Unrecovered);
        Assert.Equal(3, s.Reached);
    }

    [Fact]
    public void From_MixedDay_HoursCountEveryMissedCall()
    {
        var s = DaySummary.From(Day, 1, MixedDay());

        var expected = new int[24];
        expected[0] = 1;
        expected[9] = 3;
        expected[10] = 1;
        expected[14] = 2;
        expected[23] = 1;
        Assert.Equal(expected, s.Hours);
    }

    [Fact]
    public void From_MixedDay_LatenciesAreSortedAndOnlyFromEligibleCalls()
    {
        var facts = MixedDay().Append(Suppressed("landline", 11) with { TextedAt = Received.AddMilliseconds(50) }).ToList();

        var s = DaySummary.From(Day, 1, facts);

        Assert.Equal([100, 300, 800, 1500], s.TextBackLatencyMs);
        Assert.Equal([30, 120], s.FirstReplySeconds);
    }

    [Fact]
    public void From_NoCalls_IsAnEmptyDay()
    {
        var s = DaySummary.From(Day, 3, []);

        Assert.Equal((0, 0, 3), (s.Missed, s.Eligible, s.Weekday));
        Assert.Empty(s.TextBackLatencyMs);
        Assert.All(s.Hours, h => Assert.Equal(0, h));
    }

    [Fact]
    public void IsReached_SuppressedCallWithAReply_IsNotReached()
    {
        Assert.False(DaySummary.IsReached(Suppressed("landline", 9) with { FirstReplyAt = Received }));
    }

    [Fact]
    public void Codec_MixedDay_RoundTrips() => AssertRoundTrips(DaySummary.From(Day, 1, MixedDay()));

    [Fact]
    public void Codec_DayWith500Calls_RoundTrips()
    {
        var random = new Random(42);
        var facts = Enumerable.Range(0, 500).Select(i => i % 4 == 0
                ? Suppressed(i % 8 == 0 ? "landline" : "opted-out", i % 24)
                : Eligible(i % 24, latencyMs: random.Next(200, 3001), replySeconds: i % 2 == 0 ? random.Next(5, 7200) : null,
                    outcome: i % 3 == 0 ? RecoveryOutcome.Booked : RecoveryOutcome.NoResponse))
            .ToList();
        var summary = DaySummary.From(Day, 1, facts);

        Assert.Equal(375, summary.TextBackLatencyMs.Count);
        AssertRoundTrips(summary);
    }

    [Fact]
    public void Codec_RowWithOnlyAStaleMark_ReadsAsNull()
    {
        Assert.Null(DaySummaryCodec.Read(Day, new TableEntity("c", "a|" + Day) { ["Stale"] = true }));
    }

    private static void AssertRoundTrips(DaySummary summary)
    {
        var row = DaySummaryCodec.Write(new TableEntity("c", "a|" + Day), summary);
        var read = DaySummaryCodec.Read(Day, row);

        Assert.NotNull(read);
        Assert.Equal(summary with
        {
            SuppressedByReason = read.SuppressedByReason, Outcomes = read.Outcomes, Hours = read.Hours, TextBackLatencyMs = read.TextBackLatencyMs,
            FirstReplySeconds = read.FirstReplySeconds,
        }, read);
        Assert.Equal(summary.SuppressedByReason, read.SuppressedByReason);
        Assert.Equal(summary.Outcomes, read.Outcomes);
        Assert.Equal(summary.Hours, read.Hours);
        Assert.Equal(summary.TextBackLatencyMs, read.TextBackLatencyMs);
        Assert.Equal(summary.FirstReplySeconds, read.FirstReplySeconds);
    }
}
