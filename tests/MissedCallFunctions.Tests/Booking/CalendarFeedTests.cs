using Ical.Net;
using MissedCallFunctions.Bookings;
using MissedCallFunctions.Tests.Infrastructure;

namespace MissedCallFunctions.Tests.Bookings;

public sealed class CalendarFeedTests
{
    private static readonly DateTimeOffset Created = new(2026, 3, 10, 10, 0, 0, TimeSpan.Zero);

    private static readonly BookingSettings Settings = BookingSettings.Default with
    {
        AppointmentTypes = [new AppointmentType("checkup", "Check-up", TimeSpan.FromMinutes(30)), new AppointmentType("hygiene", "Hygiene", TimeSpan.FromMinutes(45))],
    };

    private static readonly Booking Confirmed = new(TestData.UkClinicId, "bk-1", new DateTimeOffset(2026, 3, 11, 9, 0, 0, TimeSpan.Zero),
        new DateTimeOffset(2026, 3, 11, 9, 30, 0, TimeSpan.Zero), "checkup", "+447400123456", "Sarah Jones", BookingStatus.Confirmed, Created, "sms", 85m);

    private static readonly Booking Cancelled = new(TestData.UkClinicId, "bk-2", new DateTimeOffset(2026, 3, 12, 14, 30, 0, TimeSpan.Zero),
        new DateTimeOffset(2026, 3, 12, 15, 15, 0, TimeSpan.Zero), "hygiene", "+447400654321", null, BookingStatus.Cancelled, Created, "sms", 60m)
    {
        Sequence = 1,
        CancelledAt = Created.AddHours(2),
    };

    [Fact]
    public void Render_ParsedBackWithIcalNet_HasOneEventPerBookingWithStatusAndSequence()
    {
        var text = CalendarFeed.Render(TestData.UkClinic, [Cancelled, Confirmed], Settings);

        var calendar = Calendar.Load(text)!;
        Assert.Equal("Riverside Dental Practice appointments", calendar.Properties["X-WR-CALNAME"]!.Value?.ToString());
        Assert.Equal(2, calendar.Events.Count);

        var first = calendar.Events.Single(e => e.Uid == "bk-1@missedcallfunctions");
        Assert.Equal("CONFIRMED", first.Status);
        Assert.Equal(0, first.Sequence);
        Assert.Equal("Appointment: Check-up (Sarah)", first.Summary);
        Assert.Equal("12 Riverside Walk, London SE1 9XX", first.Location);
        Assert.Equal(new DateTime(2026, 3, 11, 9, 0, 0, DateTimeKind.Utc), first.DtStart!.AsUtc);
        Assert.Equal(new DateTime(2026, 3, 11, 9, 30, 0, DateTimeKind.Utc), first.DtEnd!.AsUtc);

        var second = calendar.Events.Single(e => e.Uid == "bk-2@missedcallfunctions");
        Assert.Equal("CANCELLED", second.Status);
        Assert.Equal(1, second.Sequence);
        Assert.Equal("Appointment: Hygiene (+44*******321)", second.Summary);
        Assert.Equal(Created.AddHours(2).UtcDateTime, second.DtStamp!.AsUtc);
    }

    [Fact]
    public void Render_UsesUtcTimes_AndNoTimeZoneComponent()
    {
        var text = CalendarFeed.Render(TestData.UkClinic, [Confirmed], Settings);

        Assert.Contains("DTSTART:20260311T090000Z", text, StringComparison.Ordinal);
        Assert.DoesNotContain("BEGIN:VTIMEZONE", text, StringComparison.Ordinal);
        Assert.StartsWith("BEGIN:VCALENDAR", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Render_NeverContainsPhoneNumbersSurnamesOrPrices()
    {
        var text = CalendarFeed.Render(TestData.UkClinic, [Confirmed, Cancelled], Settings);

        Assert.DoesNotContain("123456", text, StringComparison.Ordinal);
        Assert.DoesNotContain("654321", text, StringComparison.Ordinal);
        Assert.DoesNotContain("Jones", text, StringComparison.Ordinal);
        Assert.DoesNotContain("85", text.Replace("20260311", string.Empty, StringComparison.Ordinal), StringComparison.Ordinal);
    }

    [Fact]
    public void Render_SameInput_GivesTheSameFeed()
    {
        Assert.Equal(CalendarFeed.Render(TestData.UkClinic, [Confirmed, Cancelled], Settings), CalendarFeed.Render(TestData.UkClinic, [Cancelled, Confirmed], Settings));
    }

    [Fact]
    public void Render_NoBookings_IsAnEmptyButValidCalendar()
    {
        var calendar = Calendar.Load(CalendarFeed.Render(TestData.UkClinic, []))!;

        Assert.Empty(calendar.Events);
    }

    [Fact]
    public void Render_UnknownAppointmentType_FallsBackToItsId()
    {
        var calendar = Calendar.Load(CalendarFeed.Render(TestData.UkClinic, [Confirmed with { AppointmentTypeId = "whitening" }]))!;

        Assert.Equal("Appointment: whitening (Sarah)", calendar.Events.Single().Summary);
    }

    [Fact]
    public void Tokens_Verify_AcceptsAnyCurrentTokenAndRejectsEverythingElse()
    {
        var current = CalendarFeedTokens.Create();
        var previous = CalendarFeedTokens.Create();

        Assert.Equal(43, current.Length);
        Assert.NotEqual(current, previous);
        Assert.True(CalendarFeedTokens.Verify(current, [previous, current]));
        Assert.True(CalendarFeedTokens.Verify(previous, [previous, current]));
        Assert.False(CalendarFeedTokens.Verify(current[..^1], [current]));
        Assert.False(CalendarFeedTokens.Verify(current + "x", [current]));
        Assert.False(CalendarFeedTokens.Verify(null, [current]));
        Assert.False(CalendarFeedTokens.Verify(string.Empty, [string.Empty, null]));
        Assert.False(CalendarFeedTokens.Verify(current, []));
    }

    [Fact]
    public void Tokens_Derive_IsStablePerClinicAndSecret()
    {
        var riverside = CalendarFeedTokens.Derive("server-secret", "riverside-dental");

        Assert.Equal(riverside, CalendarFeedTokens.Derive("server-secret", "riverside-dental"));
        Assert.NotEqual(riverside, CalendarFeedTokens.Derive("server-secret", "glow-med-spa"));
        Assert.NotEqual(riverside, CalendarFeedTokens.Derive("rotated-secret", "riverside-dental"));
        Assert.True(CalendarFeedTokens.Verify(riverside, [riverside]));
        Assert.DoesNotContain('+', riverside);
        Assert.DoesNotContain('/', riverside);
    }
}
