using System.Net;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using MissedCallFunctions.Recovery;
using MissedCallFunctions.Tests.Infrastructure;

namespace MissedCallFunctions.Tests.Bookings;

/// <summary>External mode: the practice-management system gets a signed request and confirms; the recovery ends booked.</summary>
public sealed class ExternalBookingModeTests
{
    [Fact]
    public async Task ChosenSlot_ConfirmedByThePracticeSystem_Booked()
    {
        var received = new List<(string Body, string? Signature)>();
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        await using var receiver = builder.Build();
        receiver.MapPost("/pms/bookings", async (HttpRequest request) =>
        {
            var body = await new StreamReader(request.Body, Encoding.UTF8).ReadToEndAsync();
            lock (received)
            {
                received.Add((body, request.Headers["X-MissedCall-Signature"].FirstOrDefault()));
            }

            return Results.Json(new { status = "confirmed", reference = "PMS-4471" });
        });
        await receiver.StartAsync();
        var url = new Uri(receiver.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First() + "/pms/bookings");

        await using var host = await LocalHostRunner.StartAsync(clinicsFile: FastClinics.File(booking: true, externalBookingUrl: url));
        var caller = $"+447402{Random.Shared.Next(100_000, 999_999)}";
        await BookingConversationTests.MissCallAsync(host, caller);
        await BookingConversationTests.TextAsync(host, caller, _ => true);
        host.Sandbox.Reply(caller, TestData.UkClinicNumber, "yes");
        await BookingConversationTests.TextAsync(host, caller, m => m.Body.Contains("can offer", StringComparison.Ordinal));
        host.Sandbox.Reply(caller, TestData.UkClinicNumber, "1");
        await BookingConversationTests.TextAsync(host, caller, m => m.Body.Contains("you're booked", StringComparison.Ordinal));
        var ended = await BookingConversationTests.EndedAsync(host, TestData.UkClinicId, caller);

        Assert.Equal(RecoveryOutcome.Booked, ended.Outcome);
        var (body, signature) = Assert.Single(received);
        Assert.StartsWith("t=", signature, StringComparison.Ordinal);
        var t = long.Parse(signature!.Split(',')[0][2..], System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(MissedCallFunctions.Ingest.Providers.GenericCallEventProvider.Sign("test-external-booking-secret-0001", t, Encoding.UTF8.GetBytes(body)), signature);
        var timeline = await host.Get<IRecoveryTimeline>().ListAsync(ended.InstanceId, CancellationToken.None);
        Assert.Contains(timeline, e => e.Kind == "outcome" && e.Detail.Contains("PMS-4471", StringComparison.Ordinal));
    }
}
