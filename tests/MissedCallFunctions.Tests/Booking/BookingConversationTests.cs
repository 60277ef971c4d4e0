using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Ical.Net;
using MissedCallFunctions.Bookings;
using MissedCallFunctions.LocalHost.SmsSandbox;
using MissedCallFunctions.Recovery;
using MissedCallFunctions.Tests.Infrastructure;

namespace MissedCallFunctions.Tests.Bookings;

public sealed class BookingHostFixture : IAsyncLifetime
{
    public LocalHostRunner Host { get; private set; } = null!;

    public async Task InitializeAsync() => Host = await LocalHostRunner.StartAsync(clinicsFile: FastClinics.File(booking: true));

    public async Task DisposeAsync() => await Host.DisposeAsync();
}

/// <summary>From reply to booked appointment on the local stack: offers, choice, confirmation, calendar feed.</summary>
public sealed class BookingConversationTests(BookingHostFixture fixture) : IClassFixture<BookingHostFixture>
{
    private static int _next = Random.Shared.Next(100_000, 900_000);

    private LocalHostRunner Host => fixture.Host;

    internal static async Task MissCallAsync(LocalHostRunner host, string caller, string clinicNumber = TestData.UkClinicNumber, string secret = TestData.UkGenericSecret)
    {
        var id = "evt-" + Guid.NewGuid().ToString("N");
        var json = $$"""{"eventId":"{{id}}","callId":"c-{{id}}","clinicNumber":"{{clinicNumber}}","caller":"{{caller}}","outcome":"missed","ringSeconds":25,"occurredAt":"{{DateTimeOffset.UtcNow:O}}"}""";
        using var response = await host.Http.SendAsync(host.GenericEvent(json, secret));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
    }

    internal static Task<SandboxMessage> TextAsync(LocalHostRunner host, string phone, Func<SandboxMessage, bool> match, int seconds = 30)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(seconds));
        return host.Sandbox.WaitForSentAsync(m => m.To == phone && match(m), timeout.Token);
    }

    internal static async Task<RecoveryRecord> EndedAsync(LocalHostRunner host, string clinicId, string caller, int seconds = 30)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (DateTime.UtcNow < deadline)
        {
            if (await host.Get<IRecoveryRegistry>().GetAsync(clinicId, caller, CancellationToken.None) is { Live: false } ended)
            {
                return ended;
            }

            await Task.Delay(200);
        }

        throw new TimeoutException("The recovery did not end.");
    }

    private static string NewCaller() => $"+447401{Interlocked.Increment(ref _next):D6}";

    private void Reply(string caller, string text) => Host.Sandbox.Reply(caller, TestData.UkClinicNumber, text);

    [Fact]
    public async Task Yes_Offers_TheSecondOne_BookedConfirmedAndInTheCalendarFeed()
    {
        var caller = NewCaller();
        var started = DateTimeOffset.UtcNow;
        await MissCallAsync(Host, caller);
        await TextAsync(Host, caller, _ => true);

        Reply(caller, "Yes please");
        var offer = await TextAsync(Host, caller, m => m.Body.Contains("can offer", StringComparison.Ordinal));
        Assert.Contains("1) ", offer.Body, StringComparison.Ordinal);
        Assert.Contains("2) ", offer.Body, StringComparison.Ordinal);

        Reply(caller, "the second one");
        var confirmation = await TextAsync(Host, caller, m => m.Body.Contains("you're booked", StringComparison.Ordinal));
        var ended = await EndedAsync(Host, TestData.UkClinicId, caller);
        var elapsed = DateTimeOffset.UtcNow - started;

        Assert.Equal(RecoveryOutcome.Booked, ended.Outcome);
        Assert.Contains("12 Riverside Walk", confirmation.Body, StringComparison.Ordinal);
        var secondOffer = offer.Body.Split('\n').Single(l => l.StartsWith("2) ", StringComparison.Ordinal))[3..];
        Assert.Contains(secondOffer, confirmation.Body, StringComparison.Ordinal);
        // The whole conversation: text-back, "Yes please", the offer, "the second one", the confirmation.
        Assert.Equal(5, Host.Sandbox.Thread(caller).Count);
        Assert.True(elapsed < TimeSpan.FromSeconds(90), $"booking took {elapsed.TotalSeconds:0} s");

        // The clinic's calendar shows it (parsed as a calendar app would).
        using var feed = await Host.Http.GetAsync($"/api/clinics/{TestData.UkClinicId}/calendar.ics?code={LocalHostRunner.FunctionKey}&token=dev-riverside-calendar-token-0001");
        Assert.Equal(HttpStatusCode.OK, feed.StatusCode);
        Assert.Equal("text/calendar", feed.Content.Headers.ContentType?.MediaType);
        var calendar = Calendar.Load(await feed.Content.ReadAsStringAsync())!;
        var bookings = await Host.Get<IBookingStore>().ListAsync(TestData.UkClinicId, started, started.AddDays(30), CancellationToken.None);
        var booking = Assert.Single(bookings, b => b.PatientPhone == caller);
        Assert.Contains(calendar.Events, e => e.Uid!.StartsWith(booking.BookingId, StringComparison.Ordinal));
        Assert.Equal(85m, booking.Value);
    }

    [Fact]
    public async Task FreeFormThursdayAfterFour_OfferedThursdayAfternoon_Booked()
    {
        var caller = NewCaller();
        await MissCallAsync(Host, caller);
        await TextAsync(Host, caller, _ => true);

        Reply(caller, "can I come thursday after 4");
        var offer = await TextAsync(Host, caller, m => m.Body.Contains("can offer", StringComparison.Ordinal));
        Assert.Contains("Thu", offer.Body, StringComparison.Ordinal);

        Reply(caller, "1");
        await TextAsync(Host, caller, m => m.Body.Contains("you're booked", StringComparison.Ordinal));
        Assert.Equal(RecoveryOutcome.Booked, (await EndedAsync(Host, TestData.UkClinicId, caller)).Outcome);
        var booking = Assert.Single(await Host.Get<IBookingStore>().ListAsync(TestData.UkClinicId, DateTimeOffset.UtcNow, DateTimeOffset.UtcNow.AddDays(15),
            CancellationToken.None), b => b.PatientPhone == caller);
        var local = TimeZoneInfo.ConvertTime(booking.Start, TimeZoneInfo.FindSystemTimeZoneById("Europe/London"));
        Assert.Equal(DayOfWeek.Thursday, local.DayOfWeek);
        Assert.True(local.Hour >= 16, $"booked at {local:HH:mm}");
    }

    [Fact]
    public async Task CallMe_GoesToStaff()
    {
        var caller = NewCaller();
        await MissCallAsync(Host, caller);
        await TextAsync(Host, caller, _ => true);

        Reply(caller, "can you call me back please");
        var ended = await EndedAsync(Host, TestData.UkClinicId, caller);

        Assert.Equal(RecoveryOutcome.RecoveredReplied, ended.Outcome);
    }

    [Fact]
    public async Task BookingLinkMode_SendsTheLink_BookingCountsWhenReported()
    {
        var caller = $"+1310555{Random.Shared.Next(1000, 9999)}";
        await MissCallAsync(Host, caller, TestData.UsClinicNumber, "dev-glow-generic-secret-000001");
        await TextAsync(Host, caller, _ => true);

        Host.Sandbox.Reply(caller, TestData.UsClinicNumber, "yes I'd like to book");
        var link = await TextAsync(Host, caller, m => m.Body.Contains("https://glowmedspa.example/book", StringComparison.Ordinal) && m.Body.Contains("choose a time", StringComparison.Ordinal));
        var ended = await EndedAsync(Host, "glow-med-spa", caller);
        Assert.Equal(RecoveryOutcome.RecoveredReplied, ended.Outcome);

        using var report = new HttpRequestMessage(HttpMethod.Post, $"/api/clinics/glow-med-spa/bookings?code={LocalHostRunner.FunctionKey}")
        {
            Content = JsonContent.Create(new { phone = caller, start = DateTimeOffset.UtcNow.AddDays(2), appointmentTypeId = "consult", reference = "PMS-991" }),
        };
        report.Headers.Add("X-Clinic-Token", "dev-glow-staff-token-00000001");
        using var response = await Host.Http.SendAsync(report);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal(RecoveryOutcome.Booked, (await Host.Get<IRecoveryRegistry>().GetAsync("glow-med-spa", caller, CancellationToken.None))!.Outcome);
        Assert.Equal(TestData.UsClinicNumber, link.From);
    }
}
