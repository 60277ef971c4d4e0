using MissedCallFunctions.Reporting;
using MissedCallFunctions.Staff;
using MissedCallFunctions.Tests.Infrastructure;

namespace MissedCallFunctions.Tests.Reporting;

public sealed class ClinicReportBuilderTests
{
    private static readonly DateTimeOffset Now = new(2026, 3, 10, 12, 0, 0, TimeSpan.Zero);

    private static DaySummary Day(string day, int missed = 0, int eligible = 0, int texted = 0, int delivered = 0, int replied = 0, int booked = 0,
        int reached = 0, int unrecovered = 0, int weekday = 1, int[]? hours = null) => new()
    {
        Day = day, Weekday = weekday, Missed = missed, Eligible = eligible, Texted = texted, Delivered = delivered, Replied = replied, Booked = booked,
        Reached = reached, Unrecovered = unrecovered, Hours = hours ?? new int[24],
    };

    private static ClinicReport Build(string from, string to, params DaySummary[] days) => Build(from, to, [], days);

    private static ClinicReport Build(string from, string to, IReadOnlyList<StaffTask> tasks, params DaySummary[] days)
        => ClinicReportBuilder.Build(TestData.UkClinic, from, to, days, tasks, Now, daysRecomputed: 0);

    private static StaffTask Task(DateTimeOffset due, bool urgent = false)
        => new("c", Guid.NewGuid().ToString("N"), "+447400000001", null, "call back", urgent, 1, Now.AddDays(-1), due, [], null, true, null, null);

    [Fact]
    public void Build_NoEligibleCalls_RatesAreNull()
    {
        var report = Build("2026-03-10", "2026-03-10", Day("2026-03-10", missed: 3));

        Assert.Equal((3, 3, 0), (report.Funnel.Missed, report.Funnel.Suppressed, report.Funnel.Eligible));
        Assert.Equal(new FunnelRates(null, null, null, null), report.Funnel.Rates);
    }

    [Fact]
    public void Build_SuppressedCalls_AreNotInTheDenominators()
    {
        var report = Build("2026-03-09", "2026-03-10",
            Day("2026-03-09", missed: 6, eligible: 2, texted: 2, delivered: 2, replied: 1, booked: 1),
            Day("2026-03-10", missed: 4, eligible: 2, texted: 2, delivered: 1, replied: 1, booked: 0));

        Assert.Equal(new Funnel(10, 6, 4, 4, 3, 2, 1, new FunnelRates(1.0, 0.75, 0.5, 0.25)), report.Funnel);
    }

    [Fact]
    public void Build_Heatmap_SumsTheHoursOfEachWeekday()
    {
        int[] Hours(int hour, int count)
        {
            var hours = new int[24];
            hours[hour] = count;
            return hours;
        }

        var report = Build("2026-03-02", "2026-03-10",
            Day("2026-03-02", missed: 2, weekday: 0, hours: Hours(9, 2)),
            Day("2026-03-09", missed: 3, weekday: 0, hours: Hours(9, 3)),
            Day("2026-03-10", missed: 1, weekday: 1, hours: Hours(17, 1)));

        Assert.Equal(7, report.MissedByWeekdayAndHour.Count);
        Assert.All(report.MissedByWeekdayAndHour, row => Assert.Equal(24, row.Count));
        Assert.Equal(5, report.MissedByWeekdayAndHour[0][9]);
        Assert.Equal(1, report.MissedByWeekdayAndHour[1][17]);
        Assert.Equal(report.Funnel.Missed, report.MissedByWeekdayAndHour.Sum(row => row.Sum()));
    }

    [Fact]
    public void Build_FewerThanTenReached_LostEstimateUsesTheDefaultShare()
    {
        var report = Build("2026-03-10", "2026-03-10", Day("2026-03-10", missed: 20, eligible: 15, booked: 3, reached: 9, unrecovered: 4));

        Assert.Equal(ClinicReportBuilder.DefaultBookingShare, report.Revenue.BookingShare);
        Assert.Equal(4m * 0.5m * TestData.UkClinic.AverageAppointmentValue, report.Revenue.LostEstimate);
        Assert.Equal(3m * TestData.UkClinic.AverageAppointmentValue, report.Revenue.Recovered);
        Assert.Contains("assumed", report.Revenue.Basis, StringComparison.Ordinal);
    }

    [Fact]
    public void Build_TenReached_LostEstimateUsesTheClinicsOwnShare()
    {
        var report = Build("2026-03-10", "2026-03-10", Day("2026-03-10", missed: 20, eligible: 15, booked: 3, reached: 10, unrecovered: 4));

        Assert.Equal(0.3, report.Revenue.BookingShare);
        Assert.Equal(Math.Round(4m * 0.3m * TestData.UkClinic.AverageAppointmentValue, 2), report.Revenue.LostEstimate);
        Assert.Equal(4, report.Revenue.UnrecoveredCalls);
        Assert.DoesNotContain("assumed", report.Revenue.Basis, StringComparison.Ordinal);
    }

    [Fact]
    public void Build_OpenTasks_OverdueAreThoseDueBeforeNow()
    {
        var report = Build("2026-03-10", "2026-03-10", [Task(Now.AddMinutes(-1)), Task(Now), Task(Now.AddHours(1), urgent: true)]);

        Assert.Equal(new TaskSummary(3, 1, 1), report.Tasks);
    }

    [Fact]
    public void Build_Days_OnePointPerDayOfTheRangeIncludingQuietDays()
    {
        var report = Build("2026-03-01", "2026-03-05",
            Day("2026-03-04", missed: 2, eligible: 1, texted: 1),
            Day("2026-03-02", missed: 1));

        Assert.Equal(["2026-03-01", "2026-03-02", "2026-03-03", "2026-03-04", "2026-03-05"], report.Days.Select(d => d.Day));
        Assert.Equal(new DayPoint("2026-03-03", 0, 0, 0, 0, 0), report.Days[2]);
        Assert.Equal(new DayPoint("2026-03-04", 2, 1, 1, 0, 0), report.Days[3]);
    }

    [Fact]
    public void Build_RangeOverALeapDay_HasEveryCalendarDay()
    {
        var report = Build("2028-02-27", "2028-03-01");

        Assert.Equal(["2028-02-27", "2028-02-28", "2028-02-29", "2028-03-01"], report.Days.Select(d => d.Day));
        Assert.Equal(0, report.Funnel.Missed);
        Assert.Equal(0, report.TextBackLatencyMs.Count);
    }

    [Fact]
    public void Build_Latencies_AreTheDistributionOfEverySampleInTheRange()
    {
        var report = Build("2026-03-09", "2026-03-10",
            Day("2026-03-09") with { TextBackLatencyMs = [100, 900] },
            Day("2026-03-10") with { TextBackLatencyMs = [300, 500, 700] });

        Assert.Equal(new Distribution(5, 500, 900, 900), report.TextBackLatencyMs);
    }
}

public sealed class DistributionTests
{
    [Fact]
    public void Of_NoSamples_HasNoPercentiles() => Assert.Equal(new Distribution(0, null, null, null), Distribution.Of([]));

    [Fact]
    public void Of_OneSample_IsThatSampleEverywhere() => Assert.Equal(new Distribution(1, 7, 7, 7), Distribution.Of([7]));

    [Fact]
    public void Of_OddCount_MedianIsTheMiddleSample() => Assert.Equal(new Distribution(3, 3, 5, 5), Distribution.Of([5, 1, 3]));

    [Fact]
    public void Of_EvenCount_MedianIsTheLowerMiddleByNearestRank() => Assert.Equal(new Distribution(4, 2, 4, 4), Distribution.Of([4, 1, 3, 2]));

    [Fact]
    public void Of_TwentySamples_P95IsThe19th()
    {
        var samples = Enumerable.Range(1, 20).Select(i => i * 10).Reverse();

        Assert.Equal(new Distribution(20, 100, 190, 200), Distribution.Of(samples));
    }

    [Fact]
    public void Of_HundredSamplesUnsorted_P95IsThe95th()
    {
        var samples = Enumerable.Range(1, 100).OrderBy(i => (i * 37) % 101).ToList();

        Assert.Equal(new Distribution(100, 50, 95, 100), Distribution.Of(samples));
    }
}
