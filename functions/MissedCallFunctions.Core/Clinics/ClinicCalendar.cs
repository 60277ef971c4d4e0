using System.Globalization;

namespace MissedCallFunctions.Clinics;

/// <summary>
/// Opening hours, holidays and business days in the clinic's own time zone. Pure: no I/O, no clock; every
/// method takes the instant it reasons about.
/// </summary>
/// <remarks>
/// Wall-clock times are turned into instants with the clinic's IANA zone, so daylight-saving changes are
/// handled: a wall time that does not exist (the spring-forward gap) moves forward by the gap (02:30 on the
/// day Los Angeles jumps from 02:00 to 03:00 becomes 03:30 PDT); a wall time that happens twice (fall back)
/// means its first occurrence. Returned instants carry the clinic's local offset.
/// </remarks>
public static class ClinicCalendar
{
    /// <summary>How far ahead searches look before deciding there is no answer (holiday-heavy configurations).</summary>
    internal const int SearchDays = 3 * 366;

    private static readonly DayOfWeek[] WeekOrder =
        [DayOfWeek.Monday, DayOfWeek.Tuesday, DayOfWeek.Wednesday, DayOfWeek.Thursday, DayOfWeek.Friday, DayOfWeek.Saturday, DayOfWeek.Sunday];

    public static TimeZoneInfo TimeZoneOf(ClinicConfig clinic) => TimeZoneInfo.FindSystemTimeZoneById(clinic.TimeZone);

    /// <summary>The clinic's local wall-clock date and time at an instant.</summary>
    public static DateTimeOffset ToLocal(ClinicConfig clinic, DateTimeOffset instant) => TimeZoneInfo.ConvertTime(instant, TimeZoneOf(clinic));

    /// <summary>Whether the clinic is open (inside an opening period, not on a holiday) at an instant.</summary>
    public static bool IsOpen(ClinicConfig clinic, DateTimeOffset utc)
    {
        var zone = TimeZoneOf(clinic);
        var date = LocalDate(utc, zone);
        if (IsHoliday(clinic, date, out _))
        {
            return false;
        }

        foreach (var (open, close) in Periods(clinic, date))
        {
            if (utc >= ToInstant(date, open, zone) && utc < ToInstant(date, close, zone))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// When the clinic is next open at or after <paramref name="utc"/> (<paramref name="utc"/> itself when it is open
    /// now), skipping closed days and holidays; null when the clinic has no opening hours at all.
    /// </summary>
    public static DateTimeOffset? NextOpening(ClinicConfig clinic, DateTimeOffset utc)
    {
        if (!HasOpeningHours(clinic))
        {
            return null;
        }

        var zone = TimeZoneOf(clinic);
        var today = LocalDate(utc, zone);
        for (var d = 0; d < SearchDays; d++)
        {
            var date = today.AddDays(d);
            if (IsHoliday(clinic, date, out _))
            {
                continue;
            }

            foreach (var (open, close) in Periods(clinic, date))
            {
                var opens = ToInstant(date, open, zone);
                if (opens >= utc)
                {
                    return opens.ToOffset(zone.GetUtcOffset(opens));
                }

                if (utc < ToInstant(date, close, zone))
                {
                    return utc.ToOffset(zone.GetUtcOffset(utc));
                }
            }
        }

        return null;
    }

    /// <summary>
    /// The closing time of the <paramref name="businessDaysLater"/>th business day after the clinic-local day of
    /// <paramref name="utc"/> (0: that day itself when it is a business day, else the next one). A business day has
    /// opening hours and is not a holiday. Null when the clinic has no business days.
    /// </summary>
    public static DateTimeOffset? EndOfBusinessDay(ClinicConfig clinic, DateTimeOffset utc, int businessDaysLater)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(businessDaysLater);
        if (!HasOpeningHours(clinic))
        {
            return null;
        }

        var zone = TimeZoneOf(clinic);
        var date = LocalDate(utc, zone);
        var remaining = businessDaysLater;
        if (remaining > 0)
        {
            date = date.AddDays(1);
        }

        for (var d = 0; d < SearchDays + (businessDaysLater * 7); d++, date = date.AddDays(1))
        {
            if (!IsBusinessDay(clinic, date))
            {
                continue;
            }

            if (remaining <= 1)
            {
                var close = Periods(clinic, date).Max(p => p.Close);
                var instant = ToInstant(date, close, zone);
                return instant.ToOffset(zone.GetUtcOffset(instant));
            }

            remaining--;
        }

        return null;
    }

    /// <summary>A day with opening hours that is not a holiday.</summary>
    public static bool IsBusinessDay(ClinicConfig clinic, DateOnly date)
        => !IsHoliday(clinic, date, out _) && Periods(clinic, date).Count > 0;

    public static bool IsHoliday(ClinicConfig clinic, DateOnly date, out Holiday? holiday)
    {
        holiday = clinic.Holidays.FirstOrDefault(h => h.Date == date);
        return holiday is not null;
    }

    public static bool HasOpeningHours(ClinicConfig clinic) => clinic.OpeningHours.Values.Any(p => p.Count > 0);

    /// <summary>The opening periods of a date's weekday, in order.</summary>
    public static IReadOnlyList<(TimeOnly Open, TimeOnly Close)> Periods(ClinicConfig clinic, DateOnly date)
        => Periods(clinic, date.DayOfWeek);

    public static IReadOnlyList<(TimeOnly Open, TimeOnly Close)> Periods(ClinicConfig clinic, DayOfWeek day)
    {
        if (!clinic.OpeningHours.TryGetValue(DayKey(day), out var periods) || periods.Count == 0)
        {
            return [];
        }

        return periods
            .Select(p => (Open: ParseTime(p.Open, "openingHours"), Close: ParseTime(p.Close, "openingHours")))
            .Where(p => p.Close > p.Open)
            .OrderBy(p => p.Open)
            .ToList();
    }

    /// <summary>Days in display order, Monday first.</summary>
    public static IReadOnlyList<DayOfWeek> Week => WeekOrder;

    /// <summary>The key of <see cref="ClinicConfig.OpeningHours"/> for a day (monday..sunday).</summary>
    public static string DayKey(DayOfWeek day) => day.ToString().ToLowerInvariant();

    internal static DateOnly LocalDate(DateTimeOffset instant, TimeZoneInfo zone)
        => DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(instant, zone).DateTime);

    internal static TimeOnly ParseTime(string value, string field)
        => TimeOnly.TryParseExact(value, "HH:mm", CultureInfo.InvariantCulture, DateTimeStyles.None, out var time)
            ? time
            : throw new FormatException($"{field}: '{value}' is not HH:mm.");

    /// <summary>
    /// The instant a local wall-clock time happens in a zone: gap times move forward by the gap, repeated times
    /// mean their first occurrence.
    /// </summary>
    public static DateTimeOffset ToInstant(DateOnly date, TimeOnly time, TimeZoneInfo zone)
    {
        var local = date.ToDateTime(time, DateTimeKind.Unspecified);
        if (zone.IsInvalidTime(local))
        {
            // Read with the offset in force before the jump: 02:30 PST is 03:30 PDT.
            var before = zone.GetUtcOffset(local.AddHours(-6));
            return new DateTimeOffset(local, before).ToOffset(zone.GetUtcOffset(new DateTimeOffset(local, before)));
        }

        if (zone.IsAmbiguousTime(local))
        {
            var first = zone.GetAmbiguousTimeOffsets(local).Max();
            return new DateTimeOffset(local, first);
        }

        return new DateTimeOffset(local, zone.GetUtcOffset(local));
    }
}

/// <summary>
/// When patient-facing automated texts (follow-ups, reminders) may go out: inside the clinic's sending hours,
/// in the clinic's time zone, and never on a clinic holiday. The immediate text-back to a call the person has
/// just made is conversational and is not held to this window.
/// </summary>
public static class SendingWindow
{
    public static bool IsWithinSendingHours(ClinicConfig clinic, DateTimeOffset utc)
    {
        var zone = ClinicCalendar.TimeZoneOf(clinic);
        var date = ClinicCalendar.LocalDate(utc, zone);
        if (ClinicCalendar.IsHoliday(clinic, date, out _))
        {
            return false;
        }

        var (start, end) = Window(clinic);
        return utc >= ClinicCalendar.ToInstant(date, start, zone) && utc < ClinicCalendar.ToInstant(date, end, zone);
    }

    /// <summary>
    /// <paramref name="utc"/> itself when a text may go now; otherwise the next allowed instant and why the text
    /// was deferred (e.g. "outside sending hours 08:00-21:00 Europe/London", "holiday: Christmas Day").
    /// </summary>
    public static (DateTimeOffset When, string? DeferReason) NextSendingTime(ClinicConfig clinic, DateTimeOffset utc)
    {
        var zone = ClinicCalendar.TimeZoneOf(clinic);
        var (start, end) = Window(clinic);
        var outsideHours = $"outside sending hours {clinic.SendingHours.Start}-{clinic.SendingHours.End} {clinic.TimeZone}";
        var reasons = new List<string>();
        var today = ClinicCalendar.LocalDate(utc, zone);
        for (var d = 0; d < ClinicCalendar.SearchDays; d++)
        {
            var date = today.AddDays(d);
            if (ClinicCalendar.IsHoliday(clinic, date, out var holiday))
            {
                AddOnce(reasons, $"holiday: {holiday!.Name ?? date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)}");
                continue;
            }

            var opens = ClinicCalendar.ToInstant(date, start, zone);
            var closes = ClinicCalendar.ToInstant(date, end, zone);
            if (utc >= closes)
            {
                AddOnce(reasons, outsideHours);
                continue;
            }

            if (utc >= opens)
            {
                return (utc, reasons.Count == 0 ? null : string.Join("; then ", reasons));
            }

            if (d == 0)
            {
                AddOnce(reasons, outsideHours); // early morning; on later days the reason is what was skipped
            }

            return (opens.ToOffset(zone.GetUtcOffset(opens)), string.Join("; then ", reasons));
        }

        throw new InvalidOperationException($"Clinic '{clinic.Id}' has no sending day in the next {ClinicCalendar.SearchDays} days.");
    }

    private static (TimeOnly Start, TimeOnly End) Window(ClinicConfig clinic)
        => (ClinicCalendar.ParseTime(clinic.SendingHours.Start, "sendingHours.start"),
            ClinicCalendar.ParseTime(clinic.SendingHours.End, "sendingHours.end"));

    private static void AddOnce(List<string> reasons, string reason)
    {
        if (!reasons.Contains(reason))
        {
            reasons.Add(reason);
        }
    }
}
