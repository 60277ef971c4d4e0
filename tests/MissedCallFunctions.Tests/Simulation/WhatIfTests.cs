using System.Text.Json.Nodes;
using MissedCallFunctions.Simulation;
using MissedCallFunctions.Tests.Infrastructure;

namespace MissedCallFunctions.Tests.Simulation;

/// <summary>What-if and replay through the real path: two local stacks, the same log and the same patients, two funnels.</summary>
public sealed class WhatIfTests
{
    [Fact]
    public async Task SameLog_TwoLadders_SameCallsTwoFunnels_OnlyTheFollowUpDiffers()
    {
        var patients = new PatientModel(7);
        var mobiles = Enumerable.Range(0, 200).Select(_ => $"+447405{Random.Shared.Next(100_000, 999_999)}").Distinct().ToList();
        // Five callers, at least one of whom ignores the text-back (their dice are fixed by the seed), so the ladder's follow-up has someone to reach.
        var quiet = mobiles.First(p => !patients.Replies(p, 1, TimeSpan.FromSeconds(1)));
        var callers = mobiles.Where(p => p != quiet).Take(4).Append(quiet).ToList();
        var now = DateTimeOffset.UtcNow;
        var log = callers.Select((c, i) => new LoggedCall(now.AddMinutes(-50 + (i * 10)), TestData.UkClinicNumber, c, "missed", CallId: $"wi-{Guid.NewGuid():N}"))
            .Append(new LoggedCall(now.AddMinutes(-5), TestData.UkClinicNumber, "+442079460" + Random.Shared.Next(100, 999), "busy", CallId: $"wi-{Guid.NewGuid():N}"))
            .Append(new LoggedCall(now.AddMinutes(-3), TestData.UkClinicNumber, null, "missed", CallId: $"wi-{Guid.NewGuid():N}"))
            .Append(new LoggedCall(now.AddMinutes(-2), TestData.UkClinicNumber, mobiles[^1], "answered", CallId: $"wi-{Guid.NewGuid():N}"))
            .ToList();

        var a = Prepare(ClinicVariants.Apply(await File.ReadAllTextAsync(SamplePaths.Clinics("clinics.sample.json")), "no-quiet-hours"));
        var b = ClinicVariants.Apply(a, "no-follow-up");
        var (resultA, resultB) = await WhatIf.RunAsync(a, b, TestData.UkClinicId, log,
            new SimulationOptions(TimeScale: 3600, MaxRate: 10, Patients: patients, SettleTimeout: TimeSpan.FromSeconds(120)),
            connectionString: await AzuriteServer.ConnectionStringAsync());

        foreach (var result in new[] { resultA, resultB })
        {
            Assert.Equal(8, result.Posted);
            Assert.Equal(0, result.Unsettled);
            Assert.Equal(7, result.Report.Funnel.Missed);
            Assert.Equal(5, result.Report.Funnel.Eligible);
            Assert.Equal(5, result.Report.Funnel.Texted);
            Assert.Equal(1, result.Report.SuppressedByReason["landline"]);
            Assert.Equal(1, result.Report.SuppressedByReason["withheld-number"]);
        }

        Assert.True(resultA.Report.FollowUps >= 1, $"the ladder with a follow-up sent {resultA.Report.FollowUps}");
        Assert.Equal(0, resultB.Report.FollowUps);
    }

    /// <summary>The sample's booking reply timeout over 3600 is half a second: longer, so a loaded machine does not decide the run.</summary>
    private static string Prepare(string clinicsJson)
    {
        var root = JsonNode.Parse(clinicsJson)!;
        foreach (var booking in root["clinics"]!.AsArray().Select(c => c!["booking"]).OfType<JsonObject>())
        {
            booking["replyTimeout"] = "03:00:00";
        }

        return root.ToJsonString();
    }
}
