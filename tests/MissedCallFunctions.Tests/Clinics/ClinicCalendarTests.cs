using MissedCallFunctions.Clinics;

namespace MissedCallFunctions.Tests.Clinics;

public sealed class ClinicCalendarTests
{
    // Same hours as the sample clinics: a London dental practice with a lunch gap, a Los Angeles med spa open Tue-Sat.
    private static readonly ClinicConfig London = new()
    {
        Id = "riverside-dental",
        Name = "Riverside Dental Practice",
        Country = "GB",
        TimeZone = "Europe/London",
        OpeningHours = new Dictionary<string, IReadOnlyList<OpeningPeriod>>
        {
            ["monday"] = [new("08:30", "13:00"), new("14:00", "18:00")],
            ["tuesday"] = [new("08:30", "13:00"), new("14:00", "18:00")],
            ["wednesday"] = [new("14:00", "19:30"), new("08:30", "13:00")], // out of order on purpose
            ["thursday"] = [new("08:30", "13:00"), new("14:00", "18:00")],
            ["friday"] = [new("08:30", "13:00"), new("14:00", "17:00")],
            ["saturday"] = [new("09:00", "13:00")],
        },
        Holidays =
        [
            new(new DateOnly(2026, 12, 25), "Christmas Day"),
            new(new DateOnly(2026, 12, 28), "Boxing Day (substitute)"),
            new(new DateOnly(2027, 1, 1)),
        ],
        SendingHours = new() { Start = "08:00", End = "21:00" },
    };

    private static readonly ClinicConfig LosAngeles = new()
    {
        Id = "glow-med-spa",
        Name = "Glow Med Spa",
        Country = "US",
        TimeZone = "America/Los_Angeles",
        OpeningHours = new Dictionary<string, IReadOnlyList<OpeningPeriod>>
        {
            ["tuesday"] = [new("10:00", "19:00")],
            ["wednesday"] = [new("10:00", "19:00")],
            ["thursday"] = [new("10:00", "20:00")],
            ["friday"] = [new("10:00", "19:00")],
            ["saturday"] = [new("09:00", "17:00")],
        },
        Holidays = [new(new DateOnly(2026, 11, 26), "Thanksgiving"), new(new DateOnly(2026, 12, 25), "Christmas Day")],
        SendingHours = new() { Start = "09:00", End = "20:00" },
    };

    private static DateTimeOffset Utc(int year, int month, int day, int hour, int minute = 0) => new(year, month, day, hour, minute, 0, TimeSpan.Zero);

    // ---- open / closed ----

    [Theory]
    [InlineData(8, 29, false)] // Monday 2 Nov 2026, GMT
    [InlineData(8, 30, true)]
    [InlineData(12, 59, true)]
    [InlineData(13, 0, false)] // lunch
    [InlineData(13, 30, false)]
    [InlineData(14, 0, true)]
    [InlineData(17, 59, true)]
    [InlineData(18, 0, false)]
    public void IsOpen_MondayWithLunchGap_FollowsPeriods(int hour, int minute, bool open)
    {
        Assert.Equal(open, ClinicCalendar.IsOpen(London, Utc(2026, 11, 2, hour, minute)));
    }

    [Fact]
    public void IsOpen_Sunday_IsClosed()
    {
        Assert.False(ClinicCalendar.IsOpen(London, Utc(2026, 11, 8, 11)));
    }

    [Fact]
    public void IsOpen_Holiday_IsClosed()
    {
        Assert.False(ClinicCalendar.IsOpen(London, Utc(2026, 12, 25, 10))); // a Friday
        Assert.True(ClinicCalendar.IsOpen(London, Utc(2026, 12, 24, 10)));
    }

    [Fact]
    public void IsOpen_UnorderedPeriods_StillMatch()
    {
        Assert.True(ClinicCalendar.IsOpen(London, Utc(2026, 11, 4, 19))); // Wednesday late opening
        Assert.True(ClinicCalendar.IsOpen(London, Utc(2026, 11, 4, 9)));
    }

    [Fact]
    public void IsOpen_SummerTime_UsesLocalClock()
    {
        // Tuesday 14 July 2026, BST (UTC+1): 07:45Z is 08:45 local.
        Assert.True(ClinicCalendar.IsOpen(London, Utc(2026, 7, 14, 7, 45)));
        Assert.False(ClinicCalendar.IsOpen(London, Utc(2026, 7, 14, 7, 15)));
        Assert.False(ClinicCalendar.IsOpen(London, Utc(2026, 7, 14, 17, 30)));
    }

    [Fact]
    public void IsOpen_LosAngelesAfterSpringForward_UsesDaylightOffset()
    {
        // 17:30Z is 10:30 PDT on Tuesday 10 March (open) but was 09:30 PST a week earlier (closed).
        Assert.True(ClinicCalendar.IsOpen(LosAngeles, Utc(2026, 3, 10, 17, 30)));
        Assert.False(ClinicCalendar.IsOpen(LosAngeles, Utc(2026, 3, 3, 17, 30)));
    }

    // ---- next opening ----

    [Fact]
    public void NextOpening_WhileOpen_IsNow()
    {
        var now = Utc(2026, 11, 2, 10);

        Assert.Equal(now, ClinicCalendar.NextOpening(London, now));
    }

    [Fact]
    public void NextOpening_DuringLunch_IsAfternoonOpening()
    {
        Assert.Equal(Utc(2026, 11, 2, 14), ClinicCalendar.NextOpening(London, Utc(2026, 11, 2, 13, 10)));
    }

    [Fact]
    public void NextOpening_EarlyMorning_IsSameDayOpening()
    {
        Assert.Equal(Utc(2026, 11, 3, 8, 30), ClinicCalendar.NextOpening(London, Utc(2026, 11, 3, 6)));
    }

    [Fact]
    public void NextOpening_FridayEvening_IsSaturdayMorning()
    {
        Assert.Equal(Utc(2026, 11, 7, 9), ClinicCalendar.NextOpening(London, Utc(2026, 11, 6, 17, 30)));
    }

    [Fact]
    public void NextOpening_SaturdayAfternoon_SkipsSundayToMonday()
    {
        Assert.Equal(Utc(2026, 11, 9, 8, 30), ClinicCalendar.NextOpening(London, Utc(2026, 11, 7, 13, 30)));
    }

    [Fact]
    public void NextOpening_ChristmasEveEvening_SkipsHoliday()
    {
        Assert.Equal(Utc(2026, 12, 26, 9), ClinicCalendar.NextOpening(London, Utc(2026, 12, 24, 18, 30)));
    }

    [Fact]
    public void NextOpening_LosAngelesSaturdayEvening_SkipsSundayAndMonday()
    {
        // Saturday 7 Nov 2026 18:00 PST -> Tuesday 10 Nov 10:00 PST.
        Assert.Equal(Utc(2026, 11, 10, 18), ClinicCalendar.NextOpening(LosAngeles, Utc(2026, 11, 8, 2)));
    }

    [Fact]
    public void NextOpening_NoOpeningHours_IsNull()
    {
        var clinic = London with { OpeningHours = new Dictionary<string, IReadOnlyList<OpeningPeriod>>() };

        Assert.Null(ClinicCalendar.NextOpening(clinic, Utc(2026, 11, 2, 10)));
        Assert.Null(ClinicCalendar.EndOfBusinessDay(clinic, Utc(2026, 11, 2, 10), 1));
    }

    [Fact]
    public void NextOpening_Result_CarriesClinicLocalOffset()
    {
        var next = ClinicCalendar.NextOpening(London, Utc(2026, 7, 14, 5))!.Value;

        Assert.Equal(TimeSpan.FromHours(1), next.Offset);
        Assert.Equal(new DateTimeOffset(2026, 7, 14, 8, 30, 0, TimeSpan.FromHours(1)), next);
    }

    // ---- end of business day ----

    [Fact]
    public void EndOfBusinessDay_NextBusinessDayFromMonday_IsTuesdayClose()
    {
        Assert.Equal(Utc(2026, 11, 3, 18), ClinicCalendar.EndOfBusinessDay(London, Utc(2026, 11, 2, 10), 1));
    }

    [Fact]
    public void EndOfBusinessDay_ZeroDaysOnBusinessDay_IsTodaysLastClose()
    {
        Assert.Equal(Utc(2026, 11, 4, 19, 30), ClinicCalendar.EndOfBusinessDay(London, Utc(2026, 11, 4, 9), 0));
    }

    [Fact]
    public void EndOfBusinessDay_ZeroDaysOnSunday_IsMondayClose()
    {
        Assert.Equal(Utc(2026, 11, 9, 18), ClinicCalendar.EndOfBusinessDay(London, Utc(2026, 11, 8, 12), 0));
    }

    [Fact]
    public void EndOfBusinessDay_FromFriday_IsSaturdayClose()
    {
        Assert.Equal(Utc(2026, 11, 7, 13), ClinicCalendar.EndOfBusinessDay(London, Utc(2026, 11, 6, 16), 1));
    }

    [Fact]
    public void EndOfBusinessDay_FromSaturday_SkipsSunday()
    {
        Assert.Equal(Utc(2026, 11, 9, 18), ClinicCalendar.EndOfBusinessDay(London, Utc(2026, 11, 7, 12), 1));
    }

    [Fact]
    public void EndOfBusinessDay_OverChristmas_SkipsHolidays()
    {
        var christmasEve = Utc(2026, 12, 24, 11);

        Assert.Equal(Utc(2026, 12, 26, 13), ClinicCalendar.EndOfBusinessDay(London, christmasEve, 1));
        Assert.Equal(Utc(2026, 12, 29, 18), ClinicCalendar.EndOfBusinessDay(London, christmasEve, 2));
    }

    [Fact]
    public void EndOfBusinessDay_OverThanksgiving_SkipsHolidayInLosAngeles()
    {
        // Wednesday 25 Nov 2026 -> Friday 27 Nov 19:00 PST.
        Assert.Equal(Utc(2026, 11, 28, 3), ClinicCalendar.EndOfBusinessDay(LosAngeles, Utc(2026, 11, 25, 20), 1));
    }

    [Fact]
    public void EndOfBusinessDay_LateEveningUtcIsNextLocalDay_CountsFromLocalDay()
    {
        // 02:00Z Wednesday is still Tuesday 18:00 in Los Angeles: next business day is Wednesday.
        Assert.Equal(Utc(2026, 11, 5, 3), ClinicCalendar.EndOfBusinessDay(LosAngeles, Utc(2026, 11, 4, 2), 1));
    }

    [Fact]
    public void EndOfBusinessDay_NegativeDays_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => ClinicCalendar.EndOfBusinessDay(London, Utc(2026, 11, 2, 10), -1));
    }

    // ---- sending window ----

    [Fact]
    public void NextSendingTime_InsideWindow_IsNowWithoutReason()
    {
        var now = Utc(2026, 11, 3, 12);

        Assert.True(SendingWindow.IsWithinSendingHours(London, now));
        Assert.Equal((now, (string?)null), SendingWindow.NextSendingTime(London, now));
    }

    [Fact]
    public void NextSendingTime_EarlyMorning_DefersToWindowStart()
    {
        var (when, reason) = SendingWindow.NextSendingTime(London, Utc(2026, 11, 3, 7, 30));

        Assert.Equal(Utc(2026, 11, 3, 8), when);
        Assert.Equal("outside sending hours 08:00-21:00 Europe/London", reason);
    }

    [Fact]
    public void NextSendingTime_LateEvening_DefersToNextMorning()
    {
        Assert.False(SendingWindow.IsWithinSendingHours(London, Utc(2026, 11, 3, 21)));

        var (when, reason) = SendingWindow.NextSendingTime(London, Utc(2026, 11, 3, 21, 30));

        Assert.Equal(Utc(2026, 11, 4, 8), when);
        Assert.Equal("outside sending hours 08:00-21:00 Europe/London", reason);
    }

    [Fact]
    public void NextSendingTime_OnHoliday_DefersWithHolidayName()
    {
        Assert.False(SendingWindow.IsWithinSendingHours(London, Utc(2026, 12, 25, 12)));

        var (when, reason) = SendingWindow.NextSendingTime(London, Utc(2026, 12, 25, 12));

        Assert.Equal(Utc(2026, 12, 26, 8), when);
        Assert.Equal("holiday: Christmas Day", reason);
    }

    [Fact]
    public void NextSendingTime_EveningBeforeHoliday_GivesBothReasons()
    {
        var (when, reason) = SendingWindow.NextSendingTime(London, Utc(2026, 12, 24, 22));

        Assert.Equal(Utc(2026, 12, 26, 8), when);
        Assert.Equal("outside sending hours 08:00-21:00 Europe/London; then holiday: Christmas Day", reason);
    }

    [Fact]
    public void NextSendingTime_UnnamedHoliday_UsesDate()
    {
        var (when, reason) = SendingWindow.NextSendingTime(London, Utc(2027, 1, 1, 10));

        Assert.Equal(Utc(2027, 1, 2, 8), when);
        Assert.Equal("holiday: 2027-01-01", reason);
    }

    [Fact]
    public void NextSendingTime_ClosedDayButNoHoliday_AllowsSending()
    {
        // The sending window is about the recipient's day, not the clinic's opening: Sunday is fine.
        Assert.True(SendingWindow.IsWithinSendingHours(London, Utc(2026, 11, 8, 11)));
    }

    // ---- daylight saving ----

    [Fact]
    public void NextOpening_LondonAcrossSpringForward_UsesSummerTime()
    {
        // Saturday 28 Mar 2026 13:30 GMT; clocks go forward Sunday 29 Mar; Monday 08:30 BST is 07:30Z.
        var next = ClinicCalendar.NextOpening(London, Utc(2026, 3, 28, 13, 30))!.Value;

        Assert.Equal(Utc(2026, 3, 30, 7, 30), next);
        Assert.Equal(TimeSpan.FromHours(1), next.Offset);
    }

    [Fact]
    public void NextOpening_LondonAcrossFallBack_UsesWinterTime()
    {
        // Saturday 24 Oct 2026 13:30 BST; clocks go back Sunday 25 Oct; Monday 08:30 GMT is 08:30Z.
        var next = ClinicCalendar.NextOpening(London, Utc(2026, 10, 24, 12, 30))!.Value;

        Assert.Equal(Utc(2026, 10, 26, 8, 30), next);
        Assert.Equal(TimeSpan.Zero, next.Offset);
    }

    [Fact]
    public void NextOpening_LosAngelesAcrossSpringForward_UsesPdt()
    {
        // Saturday 7 Mar 2026 17:00 PST (01:00Z Sunday) -> Tuesday 10 Mar 10:00 PDT = 17:00Z.
        Assert.Equal(Utc(2026, 3, 10, 17), ClinicCalendar.NextOpening(LosAngeles, Utc(2026, 3, 8, 1)));
    }

    [Fact]
    public void NextOpening_LosAngelesAcrossFallBack_UsesPst()
    {
        // Saturday 31 Oct 2026 17:00 PDT (00:00Z Sunday) -> Tuesday 3 Nov 10:00 PST = 18:00Z.
        Assert.Equal(Utc(2026, 11, 3, 18), ClinicCalendar.NextOpening(LosAngeles, Utc(2026, 11, 1, 0)));
    }

    [Fact]
    public void EndOfBusinessDay_LondonAcrossFallBack_IsWinterClose()
    {
        // Saturday 24 Oct (BST) -> Monday 26 Oct 18:00 GMT, not 17:00Z.
        Assert.Equal(Utc(2026, 10, 26, 18), ClinicCalendar.EndOfBusinessDay(London, Utc(2026, 10, 24, 10), 1));
    }

    [Fact]
    public void IsWithinSendingHours_LondonSpringForwardSunday_UsesSummerTime()
    {
        // Sunday 29 Mar 2026 is BST from 01:00Z: 07:30Z is 08:30 local (inside), 06:30Z is 07:30 local (outside).
        Assert.True(SendingWindow.IsWithinSendingHours(London, Utc(2026, 3, 29, 7, 30)));
        Assert.False(SendingWindow.IsWithinSendingHours(London, Utc(2026, 3, 29, 6, 30)));
        Assert.Equal(Utc(2026, 3, 29, 7), SendingWindow.NextSendingTime(London, Utc(2026, 3, 29, 6, 30)).When);
        // The day before, 07:30Z is still 07:30 GMT (outside).
        Assert.False(SendingWindow.IsWithinSendingHours(London, Utc(2026, 3, 28, 7, 30)));
    }

    [Fact]
    public void NextSendingTime_LosAngelesOvernightIntoSpringForward_IsNinePdt()
    {
        // Saturday 7 Mar 21:00 PST (05:00Z Sunday) -> Sunday 8 Mar 09:00 PDT = 16:00Z.
        var (when, reason) = SendingWindow.NextSendingTime(LosAngeles, Utc(2026, 3, 8, 5));

        Assert.Equal(Utc(2026, 3, 8, 16), when);
        Assert.Equal(TimeSpan.FromHours(-7), when.Offset);
        Assert.Equal("outside sending hours 09:00-20:00 America/Los_Angeles", reason);
    }

    [Fact]
    public void NextSendingTime_LosAngelesOvernightIntoFallBack_IsNinePst()
    {
        // Saturday 31 Oct 21:00 PDT (04:00Z Sunday) -> Sunday 1 Nov 09:00 PST = 17:00Z.
        var (when, _) = SendingWindow.NextSendingTime(LosAngeles, Utc(2026, 11, 1, 4));

        Assert.Equal(Utc(2026, 11, 1, 17), when);
        Assert.Equal(TimeSpan.FromHours(-8), when.Offset);
    }

    [Fact]
    public void NextSendingTime_WindowStartInSpringGap_MovesForwardByTheGap()
    {
        // 02:30 does not exist on 8 Mar 2026 in Los Angeles (02:00 PST -> 03:00 PDT): it means 03:30 PDT.
        var clinic = LosAngeles with { SendingHours = new() { Start = "02:30", End = "21:00" } };

        var (when, _) = SendingWindow.NextSendingTime(clinic, Utc(2026, 3, 8, 9)); // 01:00 PST

        Assert.Equal(Utc(2026, 3, 8, 10, 30), when);
        Assert.False(SendingWindow.IsWithinSendingHours(clinic, Utc(2026, 3, 8, 10, 15))); // 03:15 PDT
        Assert.True(SendingWindow.IsWithinSendingHours(clinic, Utc(2026, 3, 8, 10, 30)));
    }

    [Fact]
    public void NextSendingTime_WindowStartInRepeatedHour_UsesFirstOccurrence()
    {
        // 01:30 happens twice on 1 Nov 2026 in Los Angeles: the first, 01:30 PDT, is 08:30Z.
        var clinic = LosAngeles with { SendingHours = new() { Start = "01:30", End = "21:00" } };

        Assert.Equal(Utc(2026, 11, 1, 8, 30), SendingWindow.NextSendingTime(clinic, Utc(2026, 11, 1, 7)).When);
    }

    [Theory]
    [InlineData("Europe/London", 2026, 3, 29, 1, 30, "2026-03-29T01:30:00Z")] // gap 01:00-02:00 -> 02:30 BST
    [InlineData("Europe/London", 2026, 10, 25, 1, 30, "2026-10-25T00:30:00Z")] // repeated: first is BST
    [InlineData("America/Los_Angeles", 2026, 3, 8, 2, 30, "2026-03-08T10:30:00Z")]
    [InlineData("America/Los_Angeles", 2026, 11, 1, 1, 30, "2026-11-01T08:30:00Z")]
    [InlineData("America/Los_Angeles", 2026, 7, 1, 12, 0, "2026-07-01T19:00:00Z")]
    public void ToInstant_DstEdges_ResolvesWallClock(string zone, int year, int month, int day, int hour, int minute, string expectedUtc)
    {
        var instant = ClinicCalendar.ToInstant(new DateOnly(year, month, day), new TimeOnly(hour, minute), TimeZoneInfo.FindSystemTimeZoneById(zone));

        Assert.Equal(DateTimeOffset.Parse(expectedUtc, System.Globalization.CultureInfo.InvariantCulture), instant);
    }
}
