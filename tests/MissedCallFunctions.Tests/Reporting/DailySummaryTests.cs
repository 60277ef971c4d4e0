using System.Text.RegularExpressions;
using Azure;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using MissedCallFunctions.Clinics;
using MissedCallFunctions.Messaging;
using MissedCallFunctions.Reporting;
using MissedCallFunctions.Staff;
using MissedCallFunctions.Tests.Infrastructure;
using NSubstitute;
using NSubstitute.ExceptionExtensions;

namespace MissedCallFunctions.Tests.Reporting;

/// <summary>The manager's morning text: its wording, when it is due in each clinic's zone, and that it goes out once.</summary>
public sealed class DailySummaryTests
{
    private const string UkManager = "+447400123402";
    private const string UsManager = "+13105550144";
    private const string Link = "https://missedcalls.example.org/api/dashboard/riverside-dental?token=dev-riverside-dashboard-token-0001";

    // 09:00 in London (GMT), 01:00 in Los Angeles.
    private static readonly DateTimeOffset UkMorning = new(2026, 11, 25, 9, 0, 0, TimeSpan.Zero);

    private static readonly DateOnly Tuesday = new(2026, 11, 24);

    private static ClinicReport Report(int missed = 7, int texted = 5, int replied = 3, int booked = 1, decimal recovered = 180, string currency = "GBP",
        int open = 2, int overdue = 1)
    {
        var empty = ClinicReportBuilder.Build(TestData.UkClinic, "2026-11-24", "2026-11-24", [], [], UkMorning, 0);
        return empty with
        {
            Funnel = empty.Funnel with { Missed = missed, Eligible = texted, Texted = texted, Replied = replied, Booked = booked },
            Revenue = empty.Revenue with { Currency = currency, Recovered = recovered, BookedAppointments = booked },
            Tasks = new TaskSummary(open, overdue, 0),
        };
    }

    [Fact]
    public void Compose_TypicalDay_GivesFiguresTasksAndLink()
    {
        var text = DailySummaryText.Compose("Riverside Dental Practice", Tuesday, Report(), Link);

        Assert.Equal(
            "Riverside Dental Practice, Tue 24 Nov: 7 missed calls, 5 texted, 3 replied, 1 booked (GBP 180). 2 open tasks (1 overdue). Dashboard: " + Link,
            text);
    }

    [Fact]
    public void Compose_OneOfEachAndNoLink_UsesSingularAndEndsWithTasks()
    {
        var text = DailySummaryText.Compose("Glow Med Spa", new DateOnly(2026, 11, 26), Report(1, 1, 1, 1, 350, "USD", 1, 0), null);

        Assert.Equal("Glow Med Spa, Thu 26 Nov: 1 missed call, 1 texted, 1 replied, 1 booked (USD 350). 1 open task.", text);
    }

    [Fact]
    public void Compose_QuietDay_SaysNoOpenTasks()
    {
        var text = DailySummaryText.Compose("Glow Med Spa", Tuesday, Report(0, 0, 0, 0, 0, "USD", 0, 0), null);

        Assert.Equal("Glow Med Spa, Tue 24 Nov: 0 missed calls, 0 texted, 0 replied, 0 booked (USD 0). No open tasks.", text);
    }

    [Theory]
    [InlineData(1050.5, "USD 1,050.50")]
    [InlineData(12345, "USD 12,345")]
    [InlineData(85.25, "USD 85.25")]
    public void Compose_Revenue_IsCurrencyCodeWithInvariantAmount(double recovered, string expected)
    {
        var text = DailySummaryText.Compose("Glow Med Spa", Tuesday, Report(recovered: (decimal)recovered, currency: "USD"), null);

        Assert.Contains($"({expected}).", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Compose_LongNameAndBusyDayAndLongLink_StaysUnderMaxLengthAndAscii()
    {
        var name = "The Very Long Named Riverside Dental and Implant Practice of Greater London and the Home Counties";
        var link = "https://missedcalls-prod-func-uksouth-01.azurewebsites.net/api/dashboard/riverside-dental-and-implants?token="
                   + new string('a', 43);

        var text = DailySummaryText.Compose(name, Tuesday, Report(999, 999, 999, 999, 99_999.99m, "GBP", 99, 99), link);

        Assert.True(text.Length <= DailySummaryText.MaxLength, $"{text.Length} characters: {text}");
        Assert.StartsWith("The Very Long", text, StringComparison.Ordinal);
        Assert.EndsWith(link, text, StringComparison.Ordinal);
        Assert.All(text, c => Assert.InRange(c, ' ', '~'));
    }

    [Fact]
    public void Compose_LongName_IsCutToMaxNameLength()
    {
        var name = new string('x', 100);

        var text = DailySummaryText.Compose(name, Tuesday, Report(), Link);

        Assert.StartsWith(new string('x', DailySummaryText.MaxNameLength) + ", Tue 24 Nov:", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Compose_SampleClinic_HoldsNoPhoneNumberOrNames()
    {
        var clinic = TestData.UkClinic;

        var text = DailySummaryText.Compose(clinic.Name, Tuesday, Report(), Link);

        Assert.DoesNotMatch(new Regex(@"\+?\d[\d ]{6,}\d"), text);
        foreach (var number in clinic.Numbers.Concat(clinic.StaffContacts.Select(c => c.Phone)))
        {
            Assert.DoesNotContain(number.TrimStart('+'), text, StringComparison.Ordinal);
        }

        Assert.All(clinic.StaffContacts, c => Assert.DoesNotContain(c.Name, text, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("2026-11-25T07:29:00Z", null)]
    [InlineData("2026-11-25T07:30:00Z", "2026-11-24")]
    [InlineData("2026-11-25T23:59:00Z", "2026-11-24")]
    [InlineData("2026-11-26T00:00:00Z", null)]
    [InlineData("2026-07-01T06:15:00Z", null)] // 07:15 BST
    [InlineData("2026-07-01T06:30:00Z", "2026-06-30")] // 07:30 BST
    public void DueDay_UkClinicAt0730_IsYesterdayFromSendTimeLondonTime(string utc, string? expected)
    {
        var due = DailySummarySchedule.DueDay(TestData.UkClinic, DateTimeOffset.Parse(utc, System.Globalization.CultureInfo.InvariantCulture));

        Assert.Equal(expected, due is { } day ? ReportRange.Format(day) : null);
    }

    [Theory]
    [InlineData("2026-11-25T09:00:00Z", null)] // 01:00 PST
    [InlineData("2026-11-25T15:59:00Z", null)] // 07:59 PST
    [InlineData("2026-11-25T16:00:00Z", "2026-11-24")] // 08:00 PST
    [InlineData("2026-11-26T07:59:00Z", "2026-11-24")] // 23:59 PST on the 25th
    [InlineData("2026-11-26T08:00:00Z", null)] // midnight PST: the 25th's summary waits for 08:00
    public void DueDay_UsClinicAt0800_FollowsLosAngelesTime(string utc, string? expected)
    {
        var due = DailySummarySchedule.DueDay(TestData.UsClinic, DateTimeOffset.Parse(utc, System.Globalization.CultureInfo.InvariantCulture));

        Assert.Equal(expected, due is { } day ? ReportRange.Format(day) : null);
    }

    [Fact]
    public void DueDay_Disabled_IsNull()
    {
        var clinic = TestData.UkClinic with { DailySummary = new DailySummarySettings { Enabled = false } };

        Assert.Null(DailySummarySchedule.DueDay(clinic, UkMorning));
    }

    [Fact]
    public void LinkFor_BaseUrlAndToken_PointsAtTheClinicsDashboard()
    {
        var options = new DashboardOptions { PublicBaseUrl = "https://missedcalls.example.org/" };

        Assert.Equal(Link, options.LinkFor(TestData.UkClinic));
        Assert.Null(new DashboardOptions().LinkFor(TestData.UkClinic));
        Assert.Null(options.LinkFor(TestData.UkClinic with { DashboardTokens = [] }));
    }

    [Fact]
    public async Task SendDueAsync_TwiceOnAUkMorning_TextsOnlyTheUkManagerOnce()
    {
        var stack = new Stack(UkMorning);

        var first = await stack.Sender.SendDueAsync(CancellationToken.None);
        var second = await stack.Sender.SendDueAsync(CancellationToken.None);

        Assert.Equal(1, first);
        Assert.Equal(0, second);
        var sms = Assert.Single(stack.Sent);
        Assert.Equal(UkManager, sms.To);
        Assert.Equal(TestData.UkClinic.Numbers[0], sms.From);
        Assert.StartsWith("Riverside Dental Practice, Tue 24 Nov: 0 missed calls", sms.Body, StringComparison.Ordinal);
        Assert.Equal(DailySummarySender.RepeatabilityId("riverside-dental", Tuesday, UkManager), sms.RepeatabilityRequestId);
        Assert.All(stack.Logs.Collector.GetSnapshot(), r => Assert.DoesNotContain(UkManager, r.Message, StringComparison.Ordinal));
    }

    [Fact]
    public async Task SendDueAsync_ThroughADay_EachClinicGetsItsSummaryAtItsOwnMorning()
    {
        var stack = new Stack(new DateTimeOffset(2026, 11, 25, 7, 0, 0, TimeSpan.Zero));
        var sentAt = new List<(DateTimeOffset At, string To)>();

        for (var tick = 0; tick < 4 * 25; tick++)
        {
            var before = stack.Sent.Count;
            await stack.Sender.SendDueAsync(CancellationToken.None);
            sentAt.AddRange(stack.Sent.Skip(before).Select(s => (stack.Time.GetUtcNow(), s.To)));
            stack.Time.Advance(TimeSpan.FromMinutes(15));
        }

        Assert.Equal(
            [
                // 23:00 on the 24th in Los Angeles: the 23rd's summary, not sent yet, goes out late rather than never.
                (new DateTimeOffset(2026, 11, 25, 7, 0, 0, TimeSpan.Zero), UsManager),
                (new DateTimeOffset(2026, 11, 25, 7, 30, 0, TimeSpan.Zero), UkManager),
                (new DateTimeOffset(2026, 11, 25, 16, 0, 0, TimeSpan.Zero), UsManager),
                (new DateTimeOffset(2026, 11, 26, 7, 30, 0, TimeSpan.Zero), UkManager),
            ],
            sentAt);
    }

    [Fact]
    public async Task SendDueAsync_TransientFailureThenSuccess_RetriesWithTheSameRepeatabilityIdAndFirstSent()
    {
        var stack = new Stack(UkMorning);
        var attempts = new List<OutgoingSms>();
        stack.Channel.SendAsync(Arg.Do<OutgoingSms>(attempts.Add), Arg.Any<CancellationToken>())
            .Returns(_ => throw new SmsTransientException("throttled", 429, null), _ => SmsSendResult.AcceptedAs("msg-2"));

        var failed = await stack.Sender.SendDueAsync(CancellationToken.None);
        stack.Time.Advance(TimeSpan.FromMinutes(15));
        var retried = await stack.Sender.SendDueAsync(CancellationToken.None);
        var after = await stack.Sender.SendDueAsync(CancellationToken.None);

        Assert.Equal((0, 1, 0), (failed, retried, after));
        Assert.Equal(2, attempts.Count);
        Assert.Equal(attempts[0].RepeatabilityRequestId, attempts[1].RepeatabilityRequestId);
        Assert.Equal(attempts[0].RepeatabilityFirstSent, attempts[1].RepeatabilityFirstSent);
        Assert.Contains(stack.Logs.Collector.GetSnapshot(), r => r.Level == LogLevel.Warning && r.Id.Id == 5103);
    }

    [Fact]
    public async Task SendDueAsync_ClinicWithoutManager_SendsNothingAndLogsOnce()
    {
        var uk = TestData.UkClinic with { StaffContacts = TestData.UkClinic.StaffContacts.Where(c => c.Role != StaffRole.Manager).ToList() };
        var stack = new Stack(UkMorning, [uk]);

        await stack.Sender.SendDueAsync(CancellationToken.None);
        stack.Time.Advance(TimeSpan.FromMinutes(15));
        await stack.Sender.SendDueAsync(CancellationToken.None);

        Assert.Empty(stack.Sent);
        Assert.Single(stack.Logs.Collector.GetSnapshot(), r => r.Id.Id == 5102 && r.Level == LogLevel.Warning);
    }

    [Fact]
    public async Task SendDueAsync_RefusedByProvider_DoesNotRetryTheDay()
    {
        var stack = new Stack(UkMorning);
        stack.Channel.SendAsync(Arg.Any<OutgoingSms>(), Arg.Any<CancellationToken>()).Returns(SmsSendResult.Refused(400, "Invalid number"));

        var first = await stack.Sender.SendDueAsync(CancellationToken.None);
        stack.Time.Advance(TimeSpan.FromMinutes(15));
        await stack.Sender.SendDueAsync(CancellationToken.None);

        Assert.Equal(0, first);
        await stack.Channel.Received(1).SendAsync(Arg.Any<OutgoingSms>(), Arg.Any<CancellationToken>());
        Assert.Contains(stack.Logs.Collector.GetSnapshot(), r => r.Id.Id == 5101);
    }

    /// <summary>The sender over substitutes for the clinic directory, the report stores and the channel, and an in-memory ledger.</summary>
    private sealed class Stack
    {
        public Stack(DateTimeOffset now, IReadOnlyList<ClinicConfig>? clinics = null)
        {
            Time = new FakeTimeProvider(now);
            var directory = Substitute.For<IClinicDirectory>();
            directory.ListAsync(Arg.Any<CancellationToken>()).Returns(clinics ?? [TestData.UkClinic, TestData.UsClinic]);
            var facts = Substitute.For<ICallFactStore>();
            facts.ListDaysAsync(Arg.Any<string>(), Arg.Any<string>(), Arg.Any<string>(), Arg.Any<CancellationToken>()).Returns([]);
            var tasks = Substitute.For<IStaffTaskStore>();
            tasks.ListAsync(Arg.Any<string>(), Arg.Any<bool>(), Arg.Any<CancellationToken>()).Returns([]);
            Channel.SendAsync(Arg.Do<OutgoingSms>(Sent.Add), Arg.Any<CancellationToken>())
                .Returns(_ => SmsSendResult.AcceptedAs("msg-" + Sent.Count));
            var channels = Substitute.For<ISmsChannelResolver>();
            channels.For(Arg.Any<ClinicConfig>()).Returns(Channel);
            Sender = new DailySummarySender(directory, new ClinicReports(facts, tasks, Time, NullLogger<ClinicReports>.Instance), new MemoryLedger(),
                channels, Options.Create(new DashboardOptions { PublicBaseUrl = "https://missedcalls.example.org" }), Time, Logs);
        }

        public FakeTimeProvider Time { get; }

        public ISmsChannel Channel { get; } = Substitute.For<ISmsChannel>();

        public List<OutgoingSms> Sent { get; } = [];

        public FakeLogger<DailySummarySender> Logs { get; } = new();

        public DailySummarySender Sender { get; }
    }

    /// <summary>The ledger's contract in memory (the table one is exercised in <see cref="DailySummaryEndToEndTests"/>).</summary>
    private sealed class MemoryLedger : IDailySummaryLedger
    {
        private readonly Dictionary<(string, DateOnly), (string Status, DateTimeOffset FirstSent, int Attempts)> _days = [];
        private readonly HashSet<(string, DateOnly, string)> _sent = [];

        public Task<DailySummaryClaim?> TryClaimAsync(string clinicId, DateOnly day, DateTimeOffset now, CancellationToken cancellationToken)
        {
            if (!_days.TryGetValue((clinicId, day), out var row))
            {
                _days[(clinicId, day)] = ("sending", now, 1);
                return Task.FromResult<DailySummaryClaim?>(new DailySummaryClaim(clinicId, day, now, 1, ETag.All));
            }

            if (row.Status != "released")
            {
                return Task.FromResult<DailySummaryClaim?>(null);
            }

            _days[(clinicId, day)] = ("sending", row.FirstSent, row.Attempts + 1);
            return Task.FromResult<DailySummaryClaim?>(new DailySummaryClaim(clinicId, day, row.FirstSent, row.Attempts + 1, ETag.All));
        }

        public Task<bool> WasSentToAsync(DailySummaryClaim claim, string recipient, CancellationToken cancellationToken)
            => Task.FromResult(_sent.Contains((claim.ClinicId, claim.Day, recipient)));

        public Task RecordSentAsync(DailySummaryClaim claim, string recipient, string providerMessageId, CancellationToken cancellationToken)
        {
            _sent.Add((claim.ClinicId, claim.Day, recipient));
            return Task.CompletedTask;
        }

        public Task CompleteAsync(DailySummaryClaim claim, string outcome, CancellationToken cancellationToken)
        {
            _days[(claim.ClinicId, claim.Day)] = _days[(claim.ClinicId, claim.Day)] with { Status = outcome };
            return Task.CompletedTask;
        }

        public Task ReleaseAsync(DailySummaryClaim claim, CancellationToken cancellationToken)
        {
            _days[(claim.ClinicId, claim.Day)] = _days[(claim.ClinicId, claim.Day)] with { Status = "released" };
            return Task.CompletedTask;
        }
    }
}
