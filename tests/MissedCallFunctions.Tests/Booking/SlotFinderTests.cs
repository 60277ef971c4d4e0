using System.Globalization;
using MissedCallFunctions.Bookings;
using MissedCallFunctions.Clinics;
using MissedCallFunctions.Tests.Infrastructure;

namespace MissedCallFunctions.Tests.Bookings;

public sealed class SlotFinderTests
{
    // Riverside Dental (Europe/London): weekdays 08:30-13:00 and 14:00-18:00 (Wed to 19:30, Fri to 17:00), Sat 09:00-13:00.
    private static readonly ClinicConfig Clinic = TestData.UkClinic;

    private static readonly TimeZoneInfo London = TimeZoneInfo.FindSystemTimeZoneById("Europe/London");

    private static readonly AppointmentType Checkup = new("checkup", "Check-up", TimeSpan.FromMinutes(30));

    private static readonly BookingSettings Settings = new()
    {
        AppointmentTypes = [Checkup],
        DefaultAppointmentType = "checkup",
        Chairs = 1,
        SlotGranularity = TimeSpan.FromMinutes(15),
        LeadTime = TimeSpan.FromHours(2),
    };

    /// <summary>Tuesday 10 March 2026, 10:00 in London (GMT).</summary>
    private static readonly DateTimeOffset Now = new(2026, 3, 10, 10, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Find_EmptyDiary_ReturnsEarliestSlotsAfterLeadTimeAnHourApart()
    {
        var slots = SlotFinder.Find(Clinic, Settings, Checkup, [], Now, null);

        Assert.Equal(["Tue 12:00", "Tue 14:00", "Tue 15:00"], Local(slots));
        Assert.All(slots, s => Assert.Equal(TimeSpan.FromMinutes(30), s.Duration));
        Assert.All(slots, s => Assert.Equal("checkup", s.AppointmentTypeId));
    }

    [Fact]
    public void Find_LongAppointment_EndsBeforeLunchAndBeforeClose()
    {
        var ninety = new AppointmentType("implant", "Implant consult", TimeSpan.FromMinutes(90));
        var friday = new DateTimeOffset(2026, 3, 13, 13, 0, 0, TimeSpan.Zero); // lead time: nothing before 15:00

        var tuesday = SlotFinder.Find(Clinic, Settings, ninety, [], Now, null);
        var fridaySlots = SlotFinder.Find(Clinic, Settings, ninety, [], friday, null, max: 5);

        // 12:00 + 90 min would run into the 13:00-14:00 lunch gap.
        Assert.Equal(["Tue 14:00", "Tue 15:00", "Tue 16:00"], Local(tuesday));
        // Friday closes at 17:00: the last 90-minute start is 15:30, then Saturday (09:00-13:00).
        Assert.Equal("Fri 15:00", Local(fridaySlots)[0]);
        Assert.DoesNotContain(fridaySlots, s => s.End > new DateTimeOffset(2026, 3, 13, 17, 0, 0, TimeSpan.Zero) && s.Start.Day == 13);
        Assert.Contains("Sat 09:00", Local(fridaySlots));
    }

    [Fact]
    public void Find_Holiday_IsSkipped()
    {
        // Thursday 24 December 2026, 16:00: with the lead time nothing fits today; Friday 25th is Christmas Day.
        var christmasEve = new DateTimeOffset(2026, 12, 24, 16, 0, 0, TimeSpan.Zero);

        var slots = SlotFinder.Find(Clinic, Settings, Checkup, [], christmasEve, null);

        Assert.Equal(["Sat 26 09:00", "Sat 26 10:00", "Sat 26 11:00"], slots.Select(s => Format(s, "ddd d HH:mm")).ToList());
    }

    [Fact]
    public void Find_SingleChairWithBookings_SkipsOverlapsButNotCancelledOnes()
    {
        List<Booking> existing =
        [
            Booked(2026, 3, 10, 12, 0, 60),
            Booked(2026, 3, 10, 14, 0, 30) with { Status = BookingStatus.Cancelled },
            Booked(2026, 3, 10, 15, 0, 30),
        ];

        var slots = SlotFinder.Find(Clinic, Settings, Checkup, existing, Now, null);

        // 12:00-13:00 is taken; 14:00 was cancelled so it is free again; 15:00-15:30 is taken (15:15 would overlap it).
        Assert.Equal(["Tue 14:00", "Tue 15:30", "Tue 16:30"], Local(slots));
    }

    [Fact]
    public void Find_TwoChairs_OneBookingLeavesTheSlotFree_TwoBookingsFillIt()
    {
        var two = Settings with { Chairs = 2 };
        var one = new List<Booking> { Booked(2026, 3, 10, 12, 0, 30) };
        var both = new List<Booking> { Booked(2026, 3, 10, 12, 0, 30), Booked(2026, 3, 10, 12, 0, 30) with { Chair = 1 } };

        Assert.Equal("Tue 12:00", Local(SlotFinder.Find(Clinic, two, Checkup, one, Now, null))[0]);
        Assert.Equal("Tue 12:30", Local(SlotFinder.Find(Clinic, two, Checkup, both, Now, null))[0]);
    }

    [Fact]
    public void Find_HeldBySomeoneElse_IsSkipped_UnlessExpiredOrOurOwn()
    {
        var start = new DateTimeOffset(2026, 3, 10, 12, 0, 0, TimeSpan.Zero);
        var held = new SlotHold(Clinic.Id, start, start.AddMinutes(30), 0, "conversation-a", Now.AddMinutes(10));
        var expired = held with { ExpiresAt = Now.AddMinutes(-1) };

        Assert.Equal("Tue 12:30", Local(SlotFinder.Find(Clinic, Settings, Checkup, [], Now, null, holds: [held], holderId: "conversation-b"))[0]);
        Assert.Equal("Tue 12:00", Local(SlotFinder.Find(Clinic, Settings, Checkup, [], Now, null, holds: [held], holderId: "conversation-a"))[0]);
        Assert.Equal("Tue 12:00", Local(SlotFinder.Find(Clinic, Settings, Checkup, [], Now, null, holds: [expired], holderId: "conversation-b"))[0]);
    }

    [Fact]
    public void Find_TomorrowMorning_StaysInsideTheWindow()
    {
        var window = BookingIntentParser.Parse("tomorrow morning", Now, London, null).Window;

        var slots = SlotFinder.Find(Clinic, Settings, Checkup, [], Now, window);

        Assert.Equal(["Wed 08:30", "Wed 09:30", "Wed 10:30"], Local(slots));
    }

    [Fact]
    public void Find_PreferredTime_OffersTheNearestSlotsThatDay()
    {
        var window = BookingIntentParser.Parse("Thu 2pm", Now, London, null).Window;

        var slots = SlotFinder.Find(Clinic, Settings, Checkup, [], Now, window);

        // 13:00-14:00 is lunch; 14:00 first, then half an hour away, then the closest left.
        Assert.Equal(["Thu 14:00", "Thu 14:15", "Thu 14:30"], Local(slots));
    }

    [Fact]
    public void Find_AfterFive_RunsToTheDaysClose()
    {
        var window = BookingIntentParser.Parse("after 5", Now, London, null).Window;

        var slots = SlotFinder.Find(Clinic, Settings, Checkup, [], Now, window);

        // Tuesday closes at 18:00 (17:00, 17:30 fit); Wednesday runs late, to 19:30.
        Assert.Equal(["Tue 17:00", "Wed 17:00", "Wed 18:00"], Local(slots));
    }

    [Fact]
    public void Find_NextWeek_StartsOnMonday()
    {
        var window = BookingIntentParser.Parse("next week", Now, London, null).Window;

        var slots = SlotFinder.Find(Clinic, Settings, Checkup, [], Now, window);

        Assert.Equal(["Mon 08:30", "Mon 09:30", "Mon 10:30"], Local(slots));
    }

    [Fact]
    public void Find_PreferenceWhenClosed_ReturnsNothing()
    {
        var sunday = new TimeWindow(new DateOnly(2026, 3, 15), new DateOnly(2026, 3, 15), null, null);

        Assert.Empty(SlotFinder.Find(Clinic, Settings, Checkup, [], Now, sunday));
    }

    [Fact]
    public void Find_ClinicWithoutOpeningHours_ReturnsNothing()
    {
        var closed = Clinic with { OpeningHours = new Dictionary<string, IReadOnlyList<OpeningPeriod>>() };

        Assert.Empty(SlotFinder.Find(closed, Settings, Checkup, [], Now, null));
    }

    [Fact]
    public void Find_FullyBookedDay_MovesToTheNextDay()
    {
        var bookings = new List<Booking>();
        for (var t = new DateTimeOffset(2026, 3, 10, 8, 30, 0, TimeSpan.Zero); t < new DateTimeOffset(2026, 3, 10, 18, 0, 0, TimeSpan.Zero); t = t.AddMinutes(30))
        {
            bookings.Add(Booked(t.Year, t.Month, t.Day, t.Hour, t.Minute, 30));
        }

        var slots = SlotFinder.Find(Clinic, Settings, Checkup, bookings, Now, null);

        Assert.Equal(["Wed 08:30", "Wed 09:30", "Wed 10:30"], Local(slots));
    }

    [Fact]
    public void Find_SpringForwardDay_SlotsAreRealInstantsAndEndByTheRealClose()
    {
        // Sunday 29 March 2026: London clocks jump from 01:00 GMT to 02:00 BST. Open 00:00-06:00 local (5 real hours).
        var night = Clinic with
        {
            OpeningHours = new Dictionary<string, IReadOnlyList<OpeningPeriod>> { ["sunday"] = [new OpeningPeriod("00:00", "06:00")] },
        };
        var hourly = Settings with { SlotGranularity = TimeSpan.FromMinutes(60), LeadTime = TimeSpan.Zero };
        var hour = new AppointmentType("long", "Long", TimeSpan.FromHours(1));
        var saturdayNight = new DateTimeOffset(2026, 3, 28, 23, 0, 0, TimeSpan.Zero);
        var close = new DateTimeOffset(2026, 3, 29, 5, 0, 0, TimeSpan.Zero); // 06:00 BST

        var slots = SlotFinder.Find(night, hourly, hour, [], saturdayNight, null, max: 5);

        Assert.Equal(slots.Count, slots.Select(s => s.Start.UtcDateTime).Distinct().Count());
        Assert.All(slots, s => Assert.True(s.End <= close, $"{s.Start:o} ends after the close"));
        Assert.Equal(["00:00Z", "01:00Z", "02:00Z", "03:00Z", "04:00Z"], slots.Select(s => s.Start.UtcDateTime.ToString("HH:mm'Z'", CultureInfo.InvariantCulture)).ToList());
        Assert.All(slots, s => Assert.Equal(London.GetUtcOffset(s.Start), s.Start.Offset));
    }

    [Fact]
    public void Find_FallBackDay_AppointmentsKeepTheirRealLength()
    {
        // Sunday 25 October 2026: 02:00 BST becomes 01:00 GMT. Open 00:00-03:00 local is 4 real hours.
        var night = Clinic with
        {
            OpeningHours = new Dictionary<string, IReadOnlyList<OpeningPeriod>> { ["sunday"] = [new OpeningPeriod("00:00", "03:00")] },
        };
        var hourly = Settings with { SlotGranularity = TimeSpan.FromMinutes(60), LeadTime = TimeSpan.Zero };
        var hour = new AppointmentType("long", "Long", TimeSpan.FromHours(1));
        var saturdayEvening = new DateTimeOffset(2026, 10, 24, 20, 0, 0, TimeSpan.Zero);
        var close = new DateTimeOffset(2026, 10, 25, 3, 0, 0, TimeSpan.Zero); // 03:00 GMT

        var slots = SlotFinder.Find(night, hourly, hour, [], saturdayEvening, null, max: 3);

        // 00:00 BST (23:00Z), 01:00 BST (its first occurrence, 00:00Z), 02:00 GMT (02:00Z): the repeated hour is not a slot.
        Assert.Equal(["23:00Z", "00:00Z", "02:00Z"], slots.Select(s => s.Start.UtcDateTime.ToString("HH:mm'Z'", CultureInfo.InvariantCulture)).ToList());
        Assert.All(slots, s => Assert.True(s.End <= close));
        Assert.All(slots, s => Assert.Equal(TimeSpan.FromHours(1), s.End - s.Start));
        Assert.Equal(slots.Count, slots.Select(s => s.Start.UtcDateTime).Distinct().Count());
    }

    [Fact]
    public void Find_OfferedSlots_AreAlwaysFreeForTheStoreRule()
    {
        var two = Settings with { Chairs = 2 };
        var bookings = new List<Booking> { Booked(2026, 3, 10, 12, 0, 45), Booked(2026, 3, 10, 12, 30, 30) with { Chair = 1 } };

        var slots = SlotFinder.Find(Clinic, two, Checkup, bookings, Now, null, max: 10);

        Assert.All(slots, s => Assert.True(SlotFinder.IsFree(s.Start, s.End, bookings, null, null, Now, 2)));
        Assert.DoesNotContain(slots, s => s.Start == new DateTimeOffset(2026, 3, 10, 12, 30, 0, TimeSpan.Zero));
    }

    [Fact]
    public void BookingSettings_RoundTripsThroughTheClinicJsonOptions_AndValidates()
    {
        var json = """
            {
              "mode": "external",
              "appointmentTypes": [ { "id": "checkup", "name": "Check-up", "duration": "00:30:00" } ],
              "defaultAppointmentType": "checkup",
              "chairs": 2,
              "slotGranularity": "00:15:00",
              "leadTime": "02:00:00",
              "externalWebhookUrl": "https://pms.example/bookings",
              "externalWebhookSecret": "s3cret"
            }
            """;

        var settings = System.Text.Json.JsonSerializer.Deserialize<BookingSettings>(json, ClinicConfig.JsonOptions)!;

        Assert.Equal(BookingMode.External, settings.Mode);
        Assert.Equal(2, settings.Chairs);
        Assert.Equal(TimeSpan.FromMinutes(30), settings.TypeOrDefault()!.Duration);
        Assert.Empty(settings.Validate());
        Assert.NotEmpty((settings with { ExternalWebhookSecret = null }).Validate());
        Assert.NotEmpty((settings with { SlotGranularity = TimeSpan.FromMinutes(7) }).Validate());
        Assert.NotEmpty((settings with { Chairs = 0 }).Validate());
        Assert.Empty(BookingSettings.Default.Validate());
    }

    [Fact]
    public void OfferText_ListsSlotsInTheClinicsZoneAndHabits_AndTheParserReadsThemBack()
    {
        var slots = SlotFinder.Find(Clinic, Settings, Checkup, [], Now, null);
        var us = TestData.UsClinic;
        var laSlot = new OfferedSlot(new DateTimeOffset(2026, 3, 11, 21, 0, 0, TimeSpan.Zero), TimeSpan.FromMinutes(30), "checkup");

        var text = OfferText.List(Clinic, slots);

        Assert.Equal("1) Tue 10 Mar 12:00pm\n2) Tue 10 Mar 2:00pm\n3) Tue 10 Mar 3:00pm", text);
        Assert.Equal("Wed Mar 11 2:00pm", OfferText.Describe(us, laSlot));
        Assert.Equal(1, BookingIntentParser.Parse("2pm", Now, London, slots).OfferIndex);
    }

    private static Booking Booked(int year, int month, int day, int hour, int minute, int minutes)
    {
        var start = new DateTimeOffset(year, month, day, hour, minute, 0, TimeSpan.Zero);
        return new Booking(Clinic.Id, Guid.NewGuid().ToString("N"), start, start.AddMinutes(minutes), "checkup", "+447400123456", null,
            BookingStatus.Confirmed, Now, "sms", 85m);
    }

    private static List<string> Local(IReadOnlyList<OfferedSlot> slots) => slots.Select(s => Format(s, "ddd HH:mm")).ToList();

    private static string Format(OfferedSlot slot, string format)
        => TimeZoneInfo.ConvertTime(slot.Start, London).ToString(format, CultureInfo.InvariantCulture);
}
