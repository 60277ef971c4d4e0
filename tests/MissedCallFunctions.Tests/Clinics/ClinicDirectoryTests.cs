using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using MissedCallFunctions.Clinics;
using MissedCallFunctions.Storage;
using MissedCallFunctions.Tests.Infrastructure;

namespace MissedCallFunctions.Tests.Clinics;

/// <summary>The clinic directory on Azurite, and through the local host: what its lookup caches hold.</summary>
public sealed class ClinicDirectoryTests
{
    [Theory]
    [InlineData("riverside-dental", true)]
    [InlineData("a1", true)]
    [InlineData("a", false)]
    [InlineData("", false)]
    [InlineData("Riverside", false)]
    [InlineData("-riverside", false)]
    [InlineData("a/b", false)]
    [InlineData("a#b", false)]
    [InlineData("riverside\n", false)]
    public void IsWellFormed_ClinicIdPattern(string id, bool expected)
    {
        Assert.Equal(expected, ClinicIds.IsWellFormed(id));
    }

    [Fact]
    public void IsWellFormed_SixtyThreeCharactersYesSixtyFourNo()
    {
        Assert.True(ClinicIds.IsWellFormed(new string('a', 63)));
        Assert.False(ClinicIds.IsWellFormed(new string('a', 64)));
        Assert.False(ClinicIds.IsWellFormed(new string('a', 100_000)));
    }

    /// <summary>Regression: every miss was cached forever under its attacker-chosen key (the dashboard routes are anonymous).</summary>
    [Fact]
    public async Task Lookups_HundredsOfUnknownIdsAndNumbers_NotCached()
    {
        await using var stack = await TestStack.CreateAsync();
        var directory = Assert.IsType<TableClinicDirectory>(stack.Get<IClinicDirectory>());
        Assert.NotNull(await directory.GetAsync(TestData.UkClinicId, CancellationToken.None));
        Assert.NotNull(await directory.FindByNumberAsync(TestData.UkClinicNumber, CancellationToken.None));
        var warmed = directory.CachedEntries;

        for (var i = 0; i < 300; i++)
        {
            Assert.Null(await directory.GetAsync($"no-such-clinic-{i}", CancellationToken.None));
            Assert.Null(await directory.FindByNumberAsync($"+4420794607{i:D2}", CancellationToken.None));
        }

        Assert.Equal(warmed, directory.CachedEntries);
    }

    [Theory]
    [InlineData("a/b")]
    [InlineData("a#b")]
    [InlineData("riverside-dental\n")]
    [InlineData("RIVERSIDE-DENTAL")]
    public async Task GetAsync_MalformedOrOverlongId_NullAndNotCached(string id)
    {
        await using var stack = await TestStack.CreateAsync();
        var directory = Assert.IsType<TableClinicDirectory>(stack.Get<IClinicDirectory>());

        Assert.Null(await directory.GetAsync(id, CancellationToken.None));
        Assert.Null(await directory.GetAsync(new string('a', 5000), CancellationToken.None));
        Assert.Equal(0, directory.CachedEntries);
    }

    [Fact]
    public async Task GetAsync_UnknownThenLoadedByAnotherHost_FoundAtOnce()
    {
        await using var stack = await TestStack.CreateAsync(clinicsFile: null);
        var here = new TableClinicDirectory(stack.Get<StorageClients>(), TimeProvider.System);
        var elsewhere = new TableClinicDirectory(stack.Get<StorageClients>(), TimeProvider.System);
        Assert.Null(await here.GetAsync(TestData.UkClinicId, CancellationToken.None));
        Assert.Null(await here.FindByNumberAsync(TestData.UkClinicNumber, CancellationToken.None));

        await MissedCallFunctions.LocalHost.LocalHostApp.LoadClinicsAsync(elsewhere, SamplePaths.Clinics("clinics.sample.json"));

        Assert.NotNull(await here.GetAsync(TestData.UkClinicId, CancellationToken.None));
        Assert.NotNull(await here.FindByNumberAsync(TestData.UkClinicNumber, CancellationToken.None));
    }

    /// <summary>Regression: unknown clinic ids and numbers from anonymous requests were cached forever, one entry each.</summary>
    [Fact]
    public async Task HttpRoutes_UnknownOrMalformedClinicIdsAndNumbers_RefusedAsUnknownAndNotCached()
    {
        await using var host = await LocalHostRunner.StartAsync(runProcessor: false);
        var directory = Assert.IsType<TableClinicDirectory>(host.Get<IClinicDirectory>());
        for (var i = 0; i < 100; i++)
        {
            using var dashboard = new HttpRequestMessage(HttpMethod.Get, $"/api/dashboard/probe-{Guid.NewGuid():N}/report");
            dashboard.Headers.Add("X-Dashboard-Token", "dev-riverside-dashboard-token-0001");
            using var refused = await host.Http.SendAsync(dashboard);
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);

            using var unknownNumber = await host.Http.SendAsync(host.TwilioCallback(LocalHostRunner.TwilioNoAnswer("CA" + Guid.NewGuid().ToString("N"), to: $"+4420794607{i:D2}")));
            Assert.Equal(HttpStatusCode.NotFound, unknownNumber.StatusCode);
        }

        foreach (var id in new[] { new string('a', 64), new string('a', 4000), "riverside-dental%0A", "Riverside-Dental" })
        {
            using var dashboard = new HttpRequestMessage(HttpMethod.Get, $"/api/dashboard/{id}/report");
            dashboard.Headers.Add("X-Dashboard-Token", "dev-riverside-dashboard-token-0001");
            using var refused = await host.Http.SendAsync(dashboard);
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
            Assert.Equal("application/problem+json", refused.Content.Headers.ContentType?.MediaType);

            using var admin = new HttpRequestMessage(HttpMethod.Get, $"/api/admin/clinics/{id}/calls");
            admin.Headers.Add("x-functions-key", LocalHostRunner.AdminKey);
            using var unknown = await host.Http.SendAsync(admin);
            Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
            Assert.Equal("Unknown clinic", (await unknown.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("title").GetString());
        }

        // At most the sample's own clinics (2) and numbers (3).
        Assert.InRange(directory.CachedEntries, 0, 5);
    }
}
