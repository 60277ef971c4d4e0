using MissedCallFunctions.Recovery;
using MissedCallFunctions.Reporting;
using MissedCallFunctions.Storage;
using MissedCallFunctions.Tests.Infrastructure;

namespace MissedCallFunctions.Tests.Reporting;

/// <summary>The reporting records in Table Storage (Azurite), each test in a clinic partition of its own.</summary>
public sealed class CallFactStoreTests : IAsyncLifetime
{
    private static readonly DateTimeOffset Noon = new(2026, 3, 10, 12, 0, 0, TimeSpan.Zero);
    private readonly string _clinicId = "clinic-" + Guid.NewGuid().ToString("N")[..8];
    private TestStack _stack = null!;

    public async Task InitializeAsync() => _stack = await TestStack.CreateAsync(clinicsFile: null);

    public async Task DisposeAsync() => await _stack.DisposeAsync();

    private ICallFactStore Store => _stack.Get<ICallFactStore>();

    private ClinicReports Reports => _stack.Get<ClinicReports>();

    private static CancellationToken Ct => CancellationToken.None;

    private CallFact Fact(string day = "2026-03-10", string? instanceId = null, bool eligible = true, string? id = null) => new()
    {
        ClinicId = _clinicId,
        FactId = id ?? "evt-" + Guid.NewGuid().ToString("N")[..10],
        LocalDay = day,
        LocalHour = 12,
        Weekday = 1,
        OccurredAt = Noon,
        ReceivedAt = Noon.AddMilliseconds(150),
        CallerMasked = "+44*******123",
        CallerNumber = "+447400000123",
        Eligible = eligible,
        Reason = eligible ? "missed" : "landline",
        InstanceId = instanceId,
    };

    [Fact]
    public async Task ApplyAsync_EveryChangeTwice_CountsDoNotDouble()
    {
        var fact = Fact(instanceId: "inst-1");
        await Store.RecordCallAsync(fact, Ct);
        FactChange[] changes =
        [
            new FactChange.Texted(Noon.AddSeconds(1)),
            new FactChange.Delivered(Noon.AddSeconds(3)),
            new FactChange.Replied(Noon.AddMinutes(2)),
            new FactChange.Step("step-0-NudgePatient", IsFollowUp: true),
            new FactChange.Step("step-1-StaffCallbackTask", IsFollowUp: false),
            new FactChange.Ended(RecoveryOutcome.Booked, Noon.AddMinutes(5)),
        ];

        foreach (var round in Enumerable.Range(0, 2))
        {
            foreach (var change in changes)
            {
                Assert.True(await Store.ApplyAsync(_clinicId, "inst-1", change, Ct), $"round {round}: {change}");
            }

            await Store.RecordCallAsync(fact, Ct);
        }

        var stored = await Store.GetFactAsync(_clinicId, fact.LocalDay, fact.FactId, Ct);
        Assert.NotNull(stored);
        Assert.Equal(1, stored.FollowUps);
        Assert.Equal(1, stored.Escalations);
        Assert.Equal(Noon.AddSeconds(1), stored.TextedAt);
        Assert.Equal(Noon.AddMinutes(2), stored.FirstReplyAt);
        Assert.Equal(RecoveryOutcome.Booked, stored.Outcome);

        var (days, recomputed) = await Reports.SummariesAsync(_clinicId, fact.LocalDay, fact.LocalDay, Ct);
        Assert.Equal(1, recomputed);
        var day = Assert.Single(days);
        Assert.Equal((1, 1, 1, 1, 1, 1, 1), (day.Missed, day.Eligible, day.Texted, day.Delivered, day.Replied, day.Booked, day.FollowUps));
        Assert.Equal(1, day.Escalations);
    }

    [Fact]
    public async Task ApplyAsync_UnknownInstance_ReturnsFalse()
    {
        Assert.False(await Store.ApplyAsync(_clinicId, "no-such-instance", new FactChange.Texted(Noon), Ct));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task ApplyAsync_TwoReplies_KeepsTheEarliestInEitherOrder(bool earliestFirst)
    {
        var fact = Fact(instanceId: "inst-reply");
        await Store.RecordCallAsync(fact, Ct);
        var early = Noon.AddMinutes(1);
        var late = Noon.AddMinutes(9);

        foreach (var at in earliestFirst ? new[] { early, late } : [late, early])
        {
            Assert.True(await Store.ApplyAsync(_clinicId, "inst-reply", new FactChange.Replied(at), Ct));
        }

        var stored = await Store.GetFactAsync(_clinicId, fact.LocalDay, fact.FactId, Ct);
        Assert.Equal(early, stored?.FirstReplyAt);
    }

    [Fact]
    public async Task RecordCallAsync_AfterTheTimelineApplied_DoesNotEraseIt()
    {
        var fact = Fact(instanceId: "inst-retry");
        await Store.RecordCallAsync(fact, Ct);
        await Store.ApplyAsync(_clinicId, "inst-retry", new FactChange.Texted(Noon.AddSeconds(1)), Ct);
        await Store.ApplyAsync(_clinicId, "inst-retry", new FactChange.DeliveryFailed(), Ct);
        await Store.ApplyAsync(_clinicId, "inst-retry", new FactChange.Ended(RecoveryOutcome.FailedDelivery, Noon.AddMinutes(1)), Ct);

        await Store.RecordCallAsync(fact, Ct); // a retried decision: only decision fields set

        var stored = await Store.GetFactAsync(_clinicId, fact.LocalDay, fact.FactId, Ct);
        Assert.NotNull(stored);
        Assert.Equal(Noon.AddSeconds(1), stored.TextedAt);
        Assert.True(stored.DeliveryFailed);
        Assert.Equal(RecoveryOutcome.FailedDelivery, stored.Outcome);
    }

    [Fact]
    public async Task SaveDayAsync_FactWrittenAfterTheDayWasRead_ReturnsFalseAndStaysStale()
    {
        await Store.RecordCallAsync(Fact(eligible: false), Ct);
        var read = Assert.Single(await Store.ListDaysAsync(_clinicId, "2026-03-10", "2026-03-10", Ct));
        Assert.True(read.Stale);

        await Store.RecordCallAsync(Fact(eligible: false), Ct);
        var summary = DaySummary.From(read.Day, 1, await Store.ListFactsAsync(_clinicId, read.Day, read.Day, Ct));

        Assert.False(await Store.SaveDayAsync(_clinicId, summary, read.ETag, Ct));
        var after = Assert.Single(await Store.ListDaysAsync(_clinicId, "2026-03-10", "2026-03-10", Ct));
        Assert.True(after.Stale);

        Assert.True(await Store.SaveDayAsync(_clinicId, summary, after.ETag, Ct));
        var saved = Assert.Single(await Store.ListDaysAsync(_clinicId, "2026-03-10", "2026-03-10", Ct));
        Assert.False(saved.Stale);
        Assert.Equal(2, saved.Summary?.Missed);
    }

    [Fact]
    public async Task SummariesAsync_SecondReport_RecomputesOnlyTheDaysWrittenTo()
    {
        foreach (var day in new[] { "2026-03-01", "2026-03-02", "2026-03-05" })
        {
            await Store.RecordCallAsync(Fact(day, instanceId: "inst-" + day), Ct);
        }

        var first = await Reports.SummariesAsync(_clinicId, "2026-03-01", "2026-03-31", Ct);
        var second = await Reports.SummariesAsync(_clinicId, "2026-03-01", "2026-03-31", Ct);
        await Store.ApplyAsync(_clinicId, "inst-2026-03-02", new FactChange.Texted(Noon), Ct);
        var third = await Reports.SummariesAsync(_clinicId, "2026-03-01", "2026-03-31", Ct);

        Assert.Equal(3, first.Recomputed);
        Assert.Equal(0, second.Recomputed);
        Assert.Equal(1, third.Recomputed);
        Assert.Equal(3, third.Days.Count);
        Assert.Equal(1, Assert.Single(third.Days, d => d.Day == "2026-03-02").Texted);
        Assert.Equal(0, Assert.Single(third.Days, d => d.Day == "2026-03-05").Texted);
    }

    [Fact]
    public async Task LinkAsync_HandBack_SecondInstanceReportsIntoTheSameFact()
    {
        var fact = Fact(instanceId: "inst-first");
        await Store.RecordCallAsync(fact, Ct);
        await Store.LinkAsync(_clinicId, "inst-resumed", "inst-first", Ct);

        // A store with an empty pointer cache (another worker) finds the link in the table.
        var other = new TableCallFactStore(_stack.Get<StorageClients>());
        Assert.True(await other.ApplyAsync(_clinicId, "inst-resumed", new FactChange.Replied(Noon.AddMinutes(3)), Ct));
        Assert.True(await other.ApplyAsync(_clinicId, "inst-resumed", new FactChange.Ended(RecoveryOutcome.RecoveredReplied, Noon.AddMinutes(4)), Ct));

        var facts = await Store.ListFactsAsync(_clinicId, fact.LocalDay, fact.LocalDay, Ct);
        var stored = Assert.Single(facts);
        Assert.Equal(fact.FactId, stored.FactId);
        Assert.Equal("inst-first", stored.InstanceId);
        Assert.Equal(Noon.AddMinutes(3), stored.FirstReplyAt);
        Assert.Equal(RecoveryOutcome.RecoveredReplied, stored.Outcome);
    }

    [Fact]
    public async Task LinkAsync_PreviousInstanceWithoutFact_LinksNothing()
    {
        await Store.LinkAsync(_clinicId, "inst-new", "inst-unknown", Ct);

        Assert.False(await Store.ApplyAsync(_clinicId, "inst-new", new FactChange.Texted(Noon), Ct));
    }

    [Fact]
    public async Task RecordCallsAsync_CompleteFactsOverManyBatches_StoresEveryFieldWithOneStaleMarkPerDay()
    {
        // 260 facts over 7 days, two thirds with a recovery (and so a pointer row): several batches of up to 100 rows.
        var facts = Enumerable.Range(0, 260).Select(i =>
        {
            var eligible = i % 3 != 0;
            var day = $"2026-04-{1 + (i % 7):D2}";
            var received = Noon.AddDays(i % 7).AddMinutes(i);
            return Fact(day, instanceId: eligible ? $"bulk-{i}" : null, eligible: eligible, id: $"evt-{i:D4}") with
            {
                LocalHour = i % 24,
                ReceivedAt = received,
                TextedAt = eligible ? received.AddMilliseconds(200 + i) : null,
                DeliveredAt = eligible && i % 5 != 0 ? received.AddSeconds(3) : null,
                DeliveryFailed = eligible && i % 5 == 0,
                TextRefused = eligible && i % 50 == 1,
                FirstReplyAt = eligible && i % 2 == 0 ? received.AddMinutes(4) : null,
                FollowUps = eligible ? i % 2 : 0,
                Escalations = eligible ? i % 3 : 0,
                Outcome = eligible ? (i % 4 == 0 ? RecoveryOutcome.Booked : RecoveryOutcome.NoResponse) : null,
                EndedAt = eligible ? received.AddHours(1) : null,
            };
        }).ToList();

        await Store.RecordCallsAsync(facts, Ct);
        await Store.RecordCallsAsync(facts, Ct); // again: the same rows, nothing counted twice

        var stored = await Store.ListFactsAsync(_clinicId, "2026-04-01", "2026-04-07", Ct);
        Assert.Equal(facts.OrderBy(f => f.LocalDay, StringComparer.Ordinal).ThenBy(f => f.FactId, StringComparer.Ordinal), stored);
        var days = await Store.ListDaysAsync(_clinicId, "2026-04-01", "2026-04-07", Ct);
        Assert.Equal(7, days.Count);
        Assert.All(days, d => Assert.True(d.Stale));

        // The pointers were written: the timeline still reports into a bulk-recorded fact.
        var other = new TableCallFactStore(_stack.Get<StorageClients>());
        Assert.True(await other.ApplyAsync(_clinicId, "bulk-1", new FactChange.Replied(Noon.AddDays(1)), Ct));

        var (summaries, recomputed) = await Reports.SummariesAsync(_clinicId, "2026-04-01", "2026-04-07", Ct);
        Assert.Equal(7, recomputed);
        Assert.Equal(260, summaries.Sum(d => d.Missed));
        Assert.Equal(facts.Count(f => f.Booked), summaries.Sum(d => d.Booked));
        Assert.Equal(facts.Sum(f => f.FollowUps), summaries.Sum(d => d.FollowUps));
        Assert.Equal(facts.Sum(f => f.Escalations), summaries.Sum(d => d.Escalations));
    }
}
