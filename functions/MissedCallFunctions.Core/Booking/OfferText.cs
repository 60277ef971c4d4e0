using System.Globalization;
using MissedCallFunctions.Clinics;

namespace MissedCallFunctions.Bookings;

/// <summary>How offered slots read in an SMS, in the clinic's time zone and its country's habits. Pure.</summary>
public static class OfferText
{
    /// <summary>"Wed 11 Mar 9:00am" (day first), or "Wed Mar 11 9:00am" in the US and Canada.</summary>
    public static string Describe(ClinicConfig clinic, OfferedSlot slot)
    {
        ArgumentNullException.ThrowIfNull(clinic);
        ArgumentNullException.ThrowIfNull(slot);
        var local = ClinicCalendar.ToLocal(clinic, slot.Start);
        var day = clinic.Country is "US" or "CA"
            ? local.ToString("ddd MMM d", CultureInfo.InvariantCulture)
            : local.ToString("ddd d MMM", CultureInfo.InvariantCulture);
        var hour = local.Hour % 12 == 0 ? 12 : local.Hour % 12;
        var meridiem = local.Hour < 12 ? "am" : "pm";
        return string.Create(CultureInfo.InvariantCulture, $"{day} {hour}:{local.Minute:00}{meridiem}");
    }

    /// <summary>"1) Wed 11 Mar 9:00am 2) Thu 12 Mar 2:30pm 3) ...": the numbers the patient answers with.</summary>
    public static string List(ClinicConfig clinic, IReadOnlyList<OfferedSlot> slots, string separator = "\n")
    {
        ArgumentNullException.ThrowIfNull(slots);
        return string.Join(separator, slots.Select((s, i) => string.Create(CultureInfo.InvariantCulture, $"{i + 1}) {Describe(clinic, s)}")));
    }
}
