using System.Globalization;
using System.Text.Json;
using MissedCallFunctions.Bookings;
using MissedCallFunctions.Clinics;
using MissedCallFunctions.Common;
using MissedCallFunctions.Recovery;
using Microsoft.AspNetCore.Http;

namespace MissedCallFunctions.Http;

public sealed record ReportedBooking(string? Phone, DateTimeOffset? Start, string? AppointmentTypeId, string? Name, string? Reference);

/// <summary>
/// The clinic's calendar: an iCalendar feed (secret token in the URL, for Outlook / Google / Apple Calendar), and the
/// staff API to list, cancel and report bookings (booking-link mode: a booking made through the link counts only
/// when it is reported).
/// </summary>
public sealed class BookingHttpHandler(
    IClinicDirectory clinics, IBookingStore bookings, IRecoveryRegistry registry, IRecoveryTimeline timeline, StaffHttpHandler staff, TimeProvider time)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>The widest booking list, as for reports: a year with room either way.</summary>
    public const int MaxListDays = Reporting.ReportRange.MaxDays;

    /// <summary>How far back a reported booking may start (a booking entered the morning after).</summary>
    public static readonly TimeSpan ReportedStartBefore = TimeSpan.FromDays(1);

    /// <summary>How far ahead a reported booking may start.</summary>
    public const int ReportedStartYearsAhead = 2;

    /// <summary>The earliest time a booking list may name; times near DateTimeOffset.MinValue overflow the store's key arithmetic.</summary>
    private static readonly DateTimeOffset EarliestListed = new(2000, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public async Task<IResult> CalendarAsync(HttpRequest request, string clinicId, CancellationToken cancellationToken)
    {
        var clinic = await clinics.GetAsync(clinicId, cancellationToken).ConfigureAwait(false);
        if (clinic is null || !CalendarFeedTokens.Verify(request.Query["token"].FirstOrDefault(), clinic.CalendarFeedTokens))
        {
            return HttpProblems.Problem(401, "Calendar token required", "Use the calendar URL with this clinic's calendar token.");
        }

        var now = time.GetUtcNow();
        var list = await bookings.ListAsync(clinic.Id, now.AddDays(-30), now.AddDays(120), cancellationToken).ConfigureAwait(false);
        return Results.Text(CalendarFeed.Render(clinic, list, clinic.Booking), "text/calendar; charset=utf-8");
    }

    public async Task<IResult> ListAsync(HttpRequest request, string clinicId, CancellationToken cancellationToken)
    {
        if (await staff.AuthorizeAsync(request, clinicId, cancellationToken).ConfigureAwait(false) is { } refusal)
        {
            return refusal;
        }

        var now = time.GetUtcNow();
        if (!TryParseTime(request.Query["from"], now.AddDays(-1), out var from) || !TryParseTime(request.Query["to"], now.AddDays(30), out var to))
        {
            return HttpProblems.Problem(400, "Invalid date range", "'from' and 'to' must be ISO 8601 date-times (e.g. 2026-11-26T09:00:00Z).");
        }

        var latest = now.AddYears(ReportedStartYearsAhead + 1);
        if (from < EarliestListed || to > latest || from >= to || (to - from).TotalDays > MaxListDays)
        {
            return HttpProblems.Problem(400, "Invalid date range", string.Create(CultureInfo.InvariantCulture,
                $"'from' must be before 'to', both from {EarliestListed:yyyy-MM-dd} to {latest:yyyy-MM-dd}, at most {MaxListDays} days apart."));
        }

        return Results.Json(await bookings.ListAsync(clinicId, from, to, cancellationToken).ConfigureAwait(false), Json);
    }

    /// <summary>An absent value takes <paramref name="fallback"/>; a value without an offset is UTC.</summary>
    private static bool TryParseTime(string? text, DateTimeOffset fallback, out DateTimeOffset value)
    {
        value = fallback;
        return string.IsNullOrEmpty(text)
               || DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AllowWhiteSpaces, out value);
    }

    public async Task<IResult> CancelAsync(HttpRequest request, string clinicId, string bookingId, CancellationToken cancellationToken)
    {
        if (await staff.AuthorizeAsync(request, clinicId, cancellationToken).ConfigureAwait(false) is { } refusal)
        {
            return refusal;
        }

        if (!System.Text.RegularExpressions.Regex.IsMatch(bookingId, "^[A-Za-z0-9-]{1,100}$"))
        {
            return HttpProblems.Problem(404, "Unknown booking", "This clinic has no booking with that id.");
        }

        var cancelled = await bookings.CancelAsync(clinicId, bookingId, cancellationToken).ConfigureAwait(false);
        return cancelled is null ? HttpProblems.Problem(404, "Unknown booking", "This clinic has no booking with that id.") : Results.Json(cancelled, Json);
    }

    /// <summary>A booking made through the clinic's booking link (or by phone), reported by staff or the practice system.</summary>
    public async Task<IResult> ReportAsync(HttpRequest request, string clinicId, CancellationToken cancellationToken)
    {
        if (await staff.AuthorizeAsync(request, clinicId, cancellationToken).ConfigureAwait(false) is { } refusal)
        {
            return refusal;
        }

        ReportedBooking? body = null;
        var bytes = await IngestHttpHandler.ReadBodyAsync(request, 16 * 1024, cancellationToken).ConfigureAwait(false);
        if (bytes is null)
        {
            return HttpProblems.Problem(413, "Payload too large", "A reported booking is limited to 16 KiB.");
        }

        try
        {
            body = bytes.Length == 0 ? null : JsonSerializer.Deserialize<ReportedBooking>(bytes, Json);
        }
        catch (JsonException)
        {
            // Reported below as an invalid booking.
        }

        var clinic = (await clinics.GetAsync(clinicId, cancellationToken).ConfigureAwait(false))!;
        var settings = clinic.Booking ?? BookingSettings.Default;
        if (body?.Start is not { } start || !PhoneNumberTools.IsValidE164(body.Phone) || settings.TypeOrDefault(body.AppointmentTypeId) is not { } type)
        {
            return HttpProblems.Problem(400, "Invalid booking", "Send {\"phone\":\"+E.164\",\"start\":\"ISO 8601\",\"appointmentTypeId\":\"...\"}.");
        }

        var now = time.GetUtcNow();
        if (start < now - ReportedStartBefore || start > now.AddYears(ReportedStartYearsAhead))
        {
            return HttpProblems.Problem(400, "Invalid booking", string.Create(CultureInfo.InvariantCulture,
                $"'start' must be from a day ago to {ReportedStartYearsAhead} years ahead ({now - ReportedStartBefore:O} to {now.AddYears(ReportedStartYearsAhead):O})."));
        }

        // The calendar works in 5-minute cells: a reported time is recorded from the cell it starts in.
        start = new DateTimeOffset(start.UtcTicks - (start.UtcTicks % BookingGrid.Cell.Ticks), TimeSpan.Zero);
        var id = "rep-" + StaffTaskIdsFor(body.Reference ?? $"{body.Phone}|{start:O}");
        var result = await bookings.TryConfirmAsync(new BookingRequest(clinic.Id, id, start, type.Duration, type.Id, body.Phone!, body.Name, "reported",
            clinic.AverageAppointmentValue), Math.Min(settings.Chairs + BookSlotActivity.OverflowChairs, 99), cancellationToken).ConfigureAwait(false);
        if (!result.Confirmed)
        {
            return HttpProblems.Problem(409, "Not recorded", result.Refusal ?? "The booking could not be recorded.");
        }

        // The missed call this booking recovers now counts as booked.
        if (await registry.MarkBookedAsync(clinic.Id, body.Phone!, cancellationToken).ConfigureAwait(false) is { } instanceId)
        {
            // On the recovery's timeline (and so in the reports): booked, as reported by the clinic.
            await timeline.RecordAsync(clinic.Id, instanceId,
                Reporting.OutcomeEntry.Create(RecoveryOutcome.Booked, time.GetUtcNow(), "booking reported by the clinic", "zz-outcome-booked"),
                cancellationToken).ConfigureAwait(false);
        }
        return Results.Json(result.Booking, Json, statusCode: 201);
    }

    private static string StaffTaskIdsFor(string value) => Staff.StaffTaskIds.For(value);
}
