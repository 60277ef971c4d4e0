using MissedCallFunctions.Bookings;
using MissedCallFunctions.Recovery;
using MissedCallFunctions.Tests.Infrastructure;

namespace MissedCallFunctions.Tests.Bookings;

/// <summary>Two patients offered the same times choose the same slot at the same moment: one booking, one new offer.</summary>
public sealed class ContestedSlotTests
{
    [Fact]
    public async Task TwoPatientsChooseTheSameSlotAtOnce_OneBookedOneOfferedAnotherTime()
    {
        await using var host = await LocalHostRunner.StartAsync(clinicsFile: FastClinics.File(booking: true, chairs: 1));
        var callers = new[] { $"+447403{Random.Shared.Next(100_000, 499_999)}", $"+447403{Random.Shared.Next(500_000, 999_999)}" };
        foreach (var caller in callers)
        {
            await BookingConversationTests.MissCallAsync(host, caller);
            await BookingConversationTests.TextAsync(host, caller, _ => true);
            host.Sandbox.Reply(caller, TestData.UkClinicNumber, "yes");
        }

        var offers = await Task.WhenAll(callers.Select(c => BookingConversationTests.TextAsync(host, c, m => m.Body.Contains("can offer", StringComparison.Ordinal))));
        Assert.Equal(Line(offers[0].Body, "1) "), Line(offers[1].Body, "1) ")); // the same earliest slot offered to both

        foreach (var caller in callers)
        {
            host.Sandbox.Reply(caller, TestData.UkClinicNumber, "1");
        }

        var results = await Task.WhenAll(callers.Select(c => BookingConversationTests.TextAsync(host, c,
            m => m.Body.Contains("you're booked", StringComparison.Ordinal) || m.Body.Contains("just taken", StringComparison.Ordinal))));

        Assert.Single(results, r => r.Body.Contains("you're booked", StringComparison.Ordinal));
        var retaken = Assert.Single(results, r => r.Body.Contains("just taken", StringComparison.Ordinal));
        Assert.DoesNotContain(Line(offers[0].Body, "1) "), retaken.Body, StringComparison.Ordinal);
        var bookings = await host.Get<IBookingStore>().ListAsync(TestData.UkClinicId, DateTimeOffset.UtcNow, DateTimeOffset.UtcNow.AddDays(15), CancellationToken.None);
        Assert.Single(bookings, b => callers.Contains(b.PatientPhone) && b.Status == BookingStatus.Confirmed);
        Assert.Equal(RecoveryOutcome.Booked,
            (await BookingConversationTests.EndedAsync(host, TestData.UkClinicId, results.Single(r => r.Body.Contains("you're booked", StringComparison.Ordinal)).To)).Outcome);
    }

    private static string Line(string body, string prefix) => body.Split('\n').Single(l => l.StartsWith(prefix, StringComparison.Ordinal))[prefix.Length..];
}
