using MissedCallFunctions.Clinics;

namespace MissedCallFunctions.Bookings;

/// <summary>
/// Finds the earliest free slots to offer a patient. Pure: no I/O, no clock.
/// </summary>
/// <remarks>
/// <para>
/// Candidates start on the <see cref="BookingSettings.SlotGranularity"/> grid from each opening time, in the clinic's
/// time zone, and the appointment must end by that period's close (so lunch gaps and closing time are respected).
/// Holidays and closed days have no candidates. Nothing starts sooner than <see cref="BookingSettings.LeadTime"/>
/// after now. Wall-clock times become instants through <see cref="ClinicCalendar.ToInstant"/>, so a period that
/// spans a daylight-saving change keeps its real length and an appointment never runs past the real closing time.
/// </para>
/// <para>
/// A slot is free when one of the chairs (0..Chairs-1) has no confirmed booking and no active hold by someone else
/// overlapping it: the same per-chair rule <see cref="TableBookingStore"/> enforces, so an offered slot can be held.
/// </para>
/// <para>
/// Ordering: days in order; within a day, earliest first, or nearest to <see cref="TimeWindow.Preferred"/> when the
/// patient named a time. Offers are spread: each at least an hour from the others (half an hour around a named
/// time) while the search window has such slots; only then do closer ones fill up. The result is in chronological order (what "the first one" means to the patient).
/// With a preference nothing outside it is returned: when the result is empty, ask again without one.
/// </para>
/// </remarks>
public static class SlotFinder
{
    /// <summary>How far ahead an explicit preference may reach.</summary>
    public const int MaxSearchDays = 120;

    public static IReadOnlyList<OfferedSlot> Find(
        ClinicConfig clinic,
        BookingSettings settings,
        AppointmentType type,
        IReadOnlyList<Booking> existing,
        DateTimeOffset now,
        TimeWindow? preference,
        int max = 3,
        IReadOnlyList<SlotHold>? holds = null,
        string? holderId = null)
    {
        ArgumentNullException.ThrowIfNull(clinic);
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(type);
        ArgumentNullException.ThrowIfNull(existing);
        if (max <= 0 || type.Duration <= TimeSpan.Zero)
        {
            return [];
        }

        var granularity = settings.SlotGranularity > TimeSpan.Zero ? settings.SlotGranularity : TimeSpan.FromMinutes(15);
        var chairs = Math.Max(1, settings.Chairs);
        var zone = ClinicCalendar.TimeZoneOf(clinic);
        var earliest = now + settings.LeadTime;
        var today = ClinicCalendar.LocalDate(now, zone);

        var busy = Occupancy(existing, holds, holderId, now, chairs);

        var firstDay = preference?.DayFrom is { } from && from > today ? from : today;
        var lastDay = preference?.DayTo is { } to
            ? Min(to, today.AddDays(MaxSearchDays))
            : firstDay.AddDays(Math.Max(1, settings.HorizonDays) - 1);
        // Spread: a new offer keeps this far from the ones already picked while others have room.
        var spacing = preference?.Preferred is null ? TimeSpan.FromMinutes(60) : TimeSpan.FromMinutes(30);
        var picked = new List<OfferedSlot>();
        var backlog = new List<OfferedSlot>();
        for (var date = firstDay; date <= lastDay && picked.Count < max; date = date.AddDays(1))
        {
            if (ClinicCalendar.IsHoliday(clinic, date, out _))
            {
                continue;
            }

            var day = DayCandidates(clinic, date, zone, type, granularity, earliest, preference, busy, chairs);
            if (preference?.Preferred is { } preferred)
            {
                day = day.OrderBy(c => Math.Abs((c.Local.ToTimeSpan() - preferred.ToTimeSpan()).TotalMinutes)).ThenBy(c => c.Slot.Start).ToList();
            }

            foreach (var (slot, _) in day)
            {
                if (picked.Count >= max)
                {
                    break;
                }

                if (picked.TrueForAll(p => (p.Start - slot.Start).Duration() >= spacing))
                {
                    picked.Add(slot);
                }
                else
                {
                    backlog.Add(slot);
                }
            }
        }

        foreach (var slot in backlog)
        {
            if (picked.Count >= max)
            {
                break;
            }

            picked.Add(slot);
        }

        return picked.OrderBy(s => s.Start).ToList();
    }

    /// <summary>Whether one chair is free for the whole of [start, end): the rule the store enforces.</summary>
    public static bool IsFree(DateTimeOffset start, DateTimeOffset end, IReadOnlyList<Booking> existing, IReadOnlyList<SlotHold>? holds,
        string? holderId, DateTimeOffset now, int chairs)
        => FreeChair(start, end, Occupancy(existing, holds, holderId, now, Math.Max(1, chairs)), Math.Max(1, chairs)) is not null;

    private static List<(OfferedSlot Slot, TimeOnly Local)> DayCandidates(ClinicConfig clinic, DateOnly date, TimeZoneInfo zone, AppointmentType type,
        TimeSpan granularity, DateTimeOffset earliest, TimeWindow? preference, List<(DateTimeOffset Start, DateTimeOffset End, int Chair)>[] busy, int chairs)
    {
        var result = new List<(OfferedSlot, TimeOnly)>();
        if (preference is not null && ((preference.DayFrom is { } f && date < f) || (preference.DayTo is { } t && date > t)))
        {
            return result;
        }

        var seen = new HashSet<DateTimeOffset>();
        foreach (var (open, close) in ClinicCalendar.Periods(clinic, date))
        {
            var closes = ClinicCalendar.ToInstant(date, close, zone);
            for (var offset = open.ToTimeSpan(); offset < close.ToTimeSpan(); offset += granularity)
            {
                var local = TimeOnly.FromTimeSpan(offset);
                var start = ClinicCalendar.ToInstant(date, local, zone);
                var end = start + type.Duration;
                if (end > closes)
                {
                    break;
                }

                if (start < earliest || !seen.Add(start))
                {
                    continue;
                }

                var wall = TimeOnly.FromDateTime(TimeZoneInfo.ConvertTime(start, zone).DateTime);
                if (preference is not null && !preference.Contains(date, wall))
                {
                    continue;
                }

                if (FreeChair(start, end, busy, chairs) is null)
                {
                    continue;
                }

                result.Add((new OfferedSlot(start.ToOffset(zone.GetUtcOffset(start)), type.Duration, type.Id), wall));
            }
        }

        return result;
    }

    private static List<(DateTimeOffset Start, DateTimeOffset End, int Chair)>[] Occupancy(IReadOnlyList<Booking> existing,
        IReadOnlyList<SlotHold>? holds, string? holderId, DateTimeOffset now, int chairs)
    {
        var byChair = new List<(DateTimeOffset, DateTimeOffset, int)>[chairs];
        for (var c = 0; c < chairs; c++)
        {
            byChair[c] = [];
        }

        // Bookings and holds on a chair the clinic no longer has still take a chair: spread them over the others.
        foreach (var booking in existing)
        {
            if (booking.Status == BookingStatus.Cancelled)
            {
                continue;
            }

            byChair[ChairOf(booking.Chair, chairs)].Add((booking.Start, booking.End, booking.Chair));
        }

        foreach (var hold in holds ?? [])
        {
            if (!hold.IsActive(now) || (holderId is not null && string.Equals(hold.HolderId, holderId, StringComparison.Ordinal)))
            {
                continue;
            }

            byChair[ChairOf(hold.Chair, chairs)].Add((hold.Start, hold.End, hold.Chair));
        }

        return byChair;
    }

    private static int ChairOf(int chair, int chairs) => chair >= 0 && chair < chairs ? chair : Math.Abs(chair) % chairs;

    private static int? FreeChair(DateTimeOffset start, DateTimeOffset end, List<(DateTimeOffset Start, DateTimeOffset End, int Chair)>[] busy, int chairs)
    {
        for (var c = 0; c < chairs; c++)
        {
            var clash = false;
            foreach (var (s, e, _) in busy[c])
            {
                if (s < end && start < e)
                {
                    clash = true;
                    break;
                }
            }

            if (!clash)
            {
                return c;
            }
        }

        return null;
    }

    private static DateOnly Min(DateOnly a, DateOnly b) => a < b ? a : b;
}
