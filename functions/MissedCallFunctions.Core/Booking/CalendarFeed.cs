using System.Security.Cryptography;
using System.Text;
using Ical.Net;
using Ical.Net.CalendarComponents;
using Ical.Net.DataTypes;
using Ical.Net.Serialization;
using MissedCallFunctions.Clinics;
using MissedCallFunctions.Common;

namespace MissedCallFunctions.Bookings;

/// <summary>
/// The clinic's bookings as an iCalendar feed (RFC 5545) that staff subscribe to in Outlook, Google or Apple Calendar.
/// Pure: the output depends only on its inputs (DTSTAMP is when the booking last changed), so it can be cached.
/// </summary>
/// <remarks>
/// Times are UTC (<c>20260311T090000Z</c>), so no VTIMEZONE is needed; calendar apps show them in local time. Each
/// booking is one VEVENT with the stable UID <c>{bookingId}@missedcallfunctions</c>; a cancelled booking stays in the
/// feed with STATUS:CANCELLED and a higher SEQUENCE so subscribed calendars remove it. Events carry no clinical
/// details and no phone number in clear: the summary names the appointment type and the patient's first name, or the
/// masked number when there is no name.
/// </remarks>
public static class CalendarFeed
{
    public const string UidSuffix = "@missedcallfunctions";

    public const string ContentType = "text/calendar; charset=utf-8";

    public static string Render(ClinicConfig clinic, IReadOnlyList<Booking> bookings, BookingSettings? settings = null)
    {
        ArgumentNullException.ThrowIfNull(clinic);
        ArgumentNullException.ThrowIfNull(bookings);

        var calendar = new Calendar { ProductId = "-//MissedCallFunctions//Bookings//EN", Method = "PUBLISH" };
        calendar.AddProperty("X-WR-CALNAME", $"{clinic.Name} appointments");
        calendar.AddProperty("X-PUBLISHED-TTL", "PT15M");
        foreach (var booking in bookings.OrderBy(b => b.Start).ThenBy(b => b.BookingId, StringComparer.Ordinal))
        {
            var typeName = settings?.AppointmentTypes.FirstOrDefault(t => string.Equals(t.Id, booking.AppointmentTypeId, StringComparison.OrdinalIgnoreCase))?.Name
                ?? booking.AppointmentTypeId;
            var changed = booking.CancelledAt ?? booking.CreatedAt;
            var cancelled = booking.Status == BookingStatus.Cancelled;
            calendar.Events.Add(new CalendarEvent
            {
                Uid = booking.BookingId + UidSuffix,
                DtStart = Utc(booking.Start),
                DtEnd = Utc(booking.End),
                DtStamp = Utc(changed),
                Created = Utc(booking.CreatedAt),
                LastModified = Utc(changed),
                Summary = $"Appointment: {typeName} ({PatientLabel(booking)})",
                Description = $"Booked by text message ({booking.Source}). Reference {booking.BookingId}.",
                Location = clinic.Address,
                Status = cancelled ? EventStatus.Cancelled : EventStatus.Confirmed,
                // A cancelled booking has Sequence bumped by the store; a feed built from older data still outranks the original.
                Sequence = cancelled ? Math.Max(1, booking.Sequence) : booking.Sequence,
                Transparency = cancelled ? "TRANSPARENT" : "OPAQUE",
            });
        }

        return new CalendarSerializer().SerializeToString(calendar) ?? string.Empty;
    }

    /// <summary>The patient's first name, or their masked number (+44*******456) when we do not know it.</summary>
    public static string PatientLabel(Booking booking)
    {
        ArgumentNullException.ThrowIfNull(booking);
        var first = booking.PatientName?.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault();
        if (!string.IsNullOrEmpty(first))
        {
            var clean = new string(first.Where(c => char.IsLetter(c) || c is '-' or '\'').Take(40).ToArray());
            if (clean.Length > 0)
            {
                return clean;
            }
        }

        return PhoneNumberTools.Mask(booking.PatientPhone);
    }

    private static CalDateTime Utc(DateTimeOffset instant) => new(instant.UtcDateTime, CalDateTime.UtcTzId);
}

/// <summary>
/// The secret token in a calendar feed URL (<c>/clinics/{id}/calendar.ics?token=...</c>): calendar apps cannot send
/// headers, so the URL itself is the credential. Compared in constant time.
/// </summary>
public static class CalendarFeedTokens
{
    /// <summary>A new random token: 32 bytes, base64url without padding (43 characters).</summary>
    public static string Create() => Base64Url(RandomNumberGenerator.GetBytes(32));

    /// <summary>A token derived from a server secret, so one secret serves every clinic and rotating it revokes all feeds.</summary>
    public static string Derive(string secret, string clinicId)
    {
        ArgumentException.ThrowIfNullOrEmpty(secret);
        ArgumentException.ThrowIfNullOrEmpty(clinicId);
        return Base64Url(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes("calendar-feed:" + clinicId)));
    }

    /// <summary>Whether <paramref name="presented"/> is one of the clinic's calendar tokens (see <see cref="Common.SecretTokens"/>).</summary>
    public static bool Verify(string? presented, IEnumerable<string?> valid) => Common.SecretTokens.Matches(presented, valid);

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
