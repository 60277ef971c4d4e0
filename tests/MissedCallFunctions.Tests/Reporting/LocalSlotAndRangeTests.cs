using MissedCallFunctions.Reporting;
using MissedCallFunctions.Tests.Infrastructure;

namespace MissedCallFunctions.Tests.Reporting;

public sealed class LocalSlotTests
{
    [Theory]
    // London: clocks go forward at 01:00 UTC on 29 March 2026 and back at 01:00 UTC on 25 October 2026.
    [InlineData("2026-03-28T23:30:00Z", "2026-03-28", 23, 5)]
    [InlineData("2026-03-29T00:59:00Z", "2026-03-29", 0, 6)]
    [InlineData("2026-03-29T01:00:00Z", "2026-03-29", 2, 6)]
    [InlineData("2026-06-30T23:30:00Z", "2026-07-01", 0, 2)]
    [InlineData("2026-10-24T23:00:00Z", "2026-10-25", 0, 6)]
    [InlineData("2026-10-25T00:30:00Z", "2026-10-25", 1, 6)]
    [InlineData("2026-10-25T01:30:00Z", "2026-10-25", 1, 6)]
    public void Of_LondonAcrossDstAndMidnight_IsTheClinicLocalSlot(string utc, string day, int hour, int weekday)
    {
        var slot = LocalSlot.Of(TestData.UkClinic, DateTimeOffset.Parse(utc, System.Globalization.CultureInfo.InvariantCulture));

        Assert.Equal("Europe/London", TestData.UkClinic.TimeZone);
        Assert.Equal(new LocalSlot(day, hour, weekday), slot);
    }

    [Theory]
    // Los Angeles: clocks go forward at 10:00 UTC on 8 March 2026 and back at 09:00 UTC on 1 November 2026.
    [InlineData("2026-03-08T07:59:00Z", "2026-03-07", 23, 5)]
    [InlineData("2026-03-08T08:00:00Z", "2026-03-08", 0, 6)]
    [InlineData("2026-03-08T09:59:00Z", "2026-03-08", 1, 6)]
    [InlineData("2026-03-08T10:00:00Z", "2026-03-08", 3, 6)]
    [InlineData("2026-03-09T06:59:00Z", "2026-03-08", 23, 6)]
    [InlineData("2026-03-09T07:00:00Z", "2026-03-09", 0, 0)]
    [InlineData("2026-11-01T08:30:00Z", "2026-11-01", 1, 6)]
    [InlineData("2026-11-01T09:30:00Z", "2026-11-01", 1, 6)]
    public void Of_LosAngelesAcrossDstAndMidnight_IsTheClinicLocalSlot(string utc, string day, int hour, int weekday)
    {
        var slot = LocalSlot.Of(TestData.UsClinic, DateTimeOffset.Parse(utc, System.Globalization.CultureInfo.InvariantCulture));

        Assert.Equal("America/Los_Angeles", TestData.UsClinic.TimeZone);
        Assert.Equal(new LocalSlot(day, hour, weekday), slot);
    }
}

public sealed class ReportRangeTests
{
    private static readonly DateOnly Today = new(2026, 3, 10);

    [Theory]
    [InlineData(null, null, null, "2026-02-09", "2026-03-10")]
    [InlineData("", "", "", "2026-02-09", "2026-03-10")]
    [InlineData(null, null, "7", "2026-03-04", "2026-03-10")]
    [InlineData(null, null, "1", "2026-03-10", "2026-03-10")]
    [InlineData(null, "2026-01-31", "7", "2026-01-25", "2026-01-31")]
    [InlineData(null, "2026-01-31", null, "2026-01-02", "2026-01-31")]
    [InlineData("2026-03-01", null, null, "2026-03-01", "2026-03-10")]
    [InlineData("2026-01-01", "2026-01-01", null, "2026-01-01", "2026-01-01")]
    [InlineData(null, "2000-01-05", null, "1999-12-07", "2000-01-05")]
    [InlineData("2027-03-01", "2027-03-10", null, "2027-03-01", "2027-03-10")]
    [InlineData("2025-03-11", "2026-03-10", null, "2025-03-11", "2026-03-10")]
    [InlineData(null, null, "400", "2025-02-04", "2026-03-10")]
    [InlineData("2025-02-04", "2026-03-10", null, "2025-02-04", "2026-03-10")]
    public void Parse_ValidInput_IsTheInclusiveRange(string? from, string? to, string? days, string expectedFrom, string expectedTo)
    {
        var (range, problem) = ReportRange.Parse(from, to, Today, days);

        Assert.Null(problem);
        Assert.Equal(new ReportRange(ReportRange.ParseDay(expectedFrom), ReportRange.ParseDay(expectedTo)), range);
    }

    [Theory]
    [InlineData("2026-13-01", null, null, "'from'")]
    [InlineData("10/03/2026", null, null, "'from'")]
    [InlineData(null, "2026-02-30", null, "'to'")]
    [InlineData(null, "tomorrow", null, "'to'")]
    [InlineData("2026-05-01", "2026-04-01", null, "after")]
    [InlineData("2025-02-03", "2026-03-10", null, "at most 400")]
    [InlineData("2024-01-01", "2026-01-01", null, "at most 400")]
    [InlineData(null, "0001-01-01", null, "'to' must be a day from 2000-01-01 to 2027-03-10")]
    [InlineData(null, "0001-01-01", "30", "'to' must be a day")]
    [InlineData(null, "9999-12-31", null, "'to' must be a day")]
    [InlineData(null, "2027-03-11", null, "'to' must be a day")]
    [InlineData("0001-01-01", "2026-01-01", null, "'from' must be a day")]
    [InlineData("1999-12-31", "2000-01-05", null, "'from' must be a day")]
    [InlineData(null, null, "0", "'days'")]
    [InlineData(null, null, "401", "'days'")]
    [InlineData(null, null, "abc", "'days'")]
    [InlineData(null, null, "-5", "'days'")]
    [InlineData(null, null, " 5", "'days'")]
    [InlineData("2026-03-01", null, "5", "either 'from' or 'days'")]
    public void Parse_InvalidInput_IsAProblem(string? from, string? to, string? days, string mentions)
    {
        var (range, problem) = ReportRange.Parse(from, to, Today, days);

        Assert.Null(range);
        Assert.NotNull(problem);
        Assert.Contains(mentions, problem, StringComparison.Ordinal);
    }
}
