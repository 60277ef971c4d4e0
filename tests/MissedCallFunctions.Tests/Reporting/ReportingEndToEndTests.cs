using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using MissedCallFunctions.Clinics;
using MissedCallFunctions.Recovery;
using MissedCallFunctions.Reporting;
using MissedCallFunctions.Storage;
using MissedCallFunctions.Tests.Bookings;
using MissedCallFunctions.Tests.Infrastructure;

namespace MissedCallFunctions.Tests.Reporting;

/// <summary>
/// A mixed day of missed calls through the whole local stack (ingest, processor, real Durable recoveries, SMS
/// sandbox with delivery reports, replies, a booking), then the reporting API checked against the raw records.
/// </summary>
public sealed class ReportingEndToEndTests : IAsyncLifetime
{
    private const string DashboardToken = "dev-riverside-dashboard-token-0001";
    private static int _next = Random.Shared.Next(100_000, 900_000);
    private LocalHostRunner _host = null!;

    public async Task InitializeAsync() => _host = await LocalHostRunner.StartAsync(clinicsFile: FastClinics.File(booking: true));

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private static string NewMobile() => $"+447402{Interlocked.Increment(ref _next):D6}";

    private async Task CallAsync(string? caller, string outcome = "missed")
    {
        var id = "evt-" + Guid.NewGuid().ToString("N");
        var callerJson = caller is null ? "null" : $"\"{caller}\"";
        var json = $$"""{"eventId":"{{id}}","callId":"c-{{id}}","clinicNumber":"{{TestData.UkClinicNumber}}","caller":{{callerJson}},"outcome":"{{outcome}}","ringSeconds":25,"occurredAt":"{{DateTimeOffset.UtcNow:O}}"}""";
        using var response = await _host.Http.SendAsync(_host.GenericEvent(json));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
    }

    private void Reply(string caller, string text) => _host.Sandbox.Reply(caller, TestData.UkClinicNumber, text);

    private async Task<JsonElement> ReportAsync(string query)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(_host.BaseAddress, $"/api/clinics/{TestData.UkClinicId}/report?{query}&code={LocalHostRunner.FunctionKey}"));
        request.Headers.Add("X-Clinic-Token", FastClinics.UkStaffToken);
        using var response = await _host.Http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    /// <summary>Plays the day: every stage and suppression reason the funnel has, and waits until every recovery has ended.</summary>
    internal static async Task<IReadOnlyList<string>> PlayMixedDayAsync(LocalHostRunner host, Func<string?, string, Task> call, Action<string, string> reply,
        Func<string> newMobile)
    {
        var noReply = newMobile();
        var booker = newMobile();
        var callMe = newMobile();
        var optOut = newMobile();
        await call(noReply, "missed");
        await call(booker, "missed");
        await call(callMe, "missed");
        await call(optOut, "missed");
        await call("+442079460" + Random.Shared.Next(100, 999), "missed"); // landline: staff task, no text
        await call(null, "missed"); // withheld
        await call(newMobile(), "answered"); // not a missed call at all

        foreach (var mobile in new[] { noReply, booker, callMe, optOut })
        {
            await BookingConversationTests.TextAsync(host, mobile, _ => true);
        }

        await call(noReply, "missed"); // a repeat call joins the live recovery
        reply(booker, "Yes please");
        await BookingConversationTests.TextAsync(host, booker, m => m.Body.Contains("can offer", StringComparison.Ordinal));
        reply(booker, "1");
        reply(callMe, "Can you call me back please");
        reply(optOut, "STOP");
        foreach (var mobile in new[] { noReply, booker, callMe, optOut })
        {
            await BookingConversationTests.EndedAsync(host, TestData.UkClinicId, mobile, seconds: 60);
        }

        await call(optOut, "missed"); // opted out: suppressed
        return [noReply, booker, callMe, optOut];
    }

    [Fact]
    public async Task MixedDay_ReportEqualsTheFiguresRecomputedFromRawRecords()
    {
        await PlayMixedDayAsync(_host, CallAsync, Reply, NewMobile);
        var clinic = (await _host.Get<IClinicDirectory>().GetAsync(TestData.UkClinicId, CancellationToken.None))!;
        var today = ReportRange.Format(_host.Get<ClinicReports>().Today(clinic));

        // Settled: the last call decided, delivery reports in (a later report changes nothing).
        JsonElement report = default;
        RawFunnel raw = null!;
        for (var attempt = 0; attempt < 40; attempt++)
        {
            await Task.Delay(500);
            report = await ReportAsync($"from={today}&to={today}");
            raw = await RawFunnel.ComputeAsync(_host.Get<StorageClients>(), _host.Get<IRecoveryTimeline>(), clinic, today, today);
            if (raw.Missed == 8 && report.GetProperty("funnel").GetProperty("missed").GetInt32() == raw.Missed
                && report.GetProperty("funnel").GetProperty("delivered").GetInt32() == raw.Delivered && raw.Delivered == raw.Texted)
            {
                break;
            }
        }

        var funnel = report.GetProperty("funnel");
        Assert.Equal(8, raw.Missed);
        Assert.Equal(4, raw.Eligible);
        Assert.Equal(raw.Missed, funnel.GetProperty("missed").GetInt32());
        Assert.Equal(raw.Missed - raw.Eligible, funnel.GetProperty("suppressed").GetInt32());
        Assert.Equal(raw.Eligible, funnel.GetProperty("eligible").GetInt32());
        Assert.Equal(raw.Texted, funnel.GetProperty("texted").GetInt32());
        Assert.Equal(raw.Delivered, funnel.GetProperty("delivered").GetInt32());
        Assert.Equal(raw.Replied, funnel.GetProperty("replied").GetInt32());
        Assert.Equal(raw.Booked, funnel.GetProperty("booked").GetInt32());
        Assert.Equal(1, raw.Booked);
        Assert.Equal(3, raw.Replied);
        Assert.Equal(0.25, funnel.GetProperty("rates").GetProperty("booked").GetDouble());

        var reasons = report.GetProperty("suppressedByReason").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetInt32());
        Assert.Equal(raw.SuppressedByReason, reasons);
        Assert.Equal(["joined-recovery", "landline", "opted-out", "withheld-number"], reasons.Keys.Order(StringComparer.Ordinal));

        var latency = report.GetProperty("textBackLatencyMs");
        var expected = Distribution.Of(raw.TextBackLatencyMs);
        Assert.Equal(expected.Count, latency.GetProperty("count").GetInt32());
        Assert.Equal(expected.P50, latency.GetProperty("p50").GetInt32());
        Assert.Equal(expected.P95, latency.GetProperty("p95").GetInt32());
        Assert.Equal(expected.Max, latency.GetProperty("max").GetInt32());
        var firstReply = report.GetProperty("firstReplySeconds");
        Assert.Equal(Distribution.Of(raw.FirstReplySeconds).P50, firstReply.GetProperty("p50").GetInt32());

        Assert.Equal(raw.FollowUps, report.GetProperty("followUps").GetInt32());
        Assert.Equal(raw.Escalations, report.GetProperty("escalations").GetInt32());
        Assert.True(raw.FollowUps >= 1 && raw.Escalations >= 3, $"follow-ups {raw.FollowUps}, escalations {raw.Escalations}");

        var heatmap = report.GetProperty("missedByWeekdayAndHour").EnumerateArray().Select(r => r.EnumerateArray().Select(c => c.GetInt32()).ToArray()).ToArray();
        Assert.Equal(raw.Heatmap, heatmap);

        var revenue = report.GetProperty("revenue");
        Assert.Equal(clinic.AverageAppointmentValue, revenue.GetProperty("recovered").GetDecimal());
        Assert.Equal(1, revenue.GetProperty("unrecoveredCalls").GetInt32());
        Assert.True(revenue.GetProperty("lostEstimate").GetDecimal() > 0);
        Assert.True(report.GetProperty("tasks").GetProperty("open").GetInt32() >= 2, "the landline and no-reply callback tasks are open");
    }

    [Fact]
    public async Task SecondRequest_UsesTheStoredDaySummaries_AndANewCallRecomputesOnlyItsDay()
    {
        var clinic = (await _host.Get<IClinicDirectory>().GetAsync(TestData.UkClinicId, CancellationToken.None))!;
        var today = _host.Get<ClinicReports>().Today(clinic);
        var query = $"from={ReportRange.Format(today.AddDays(-364))}&to={ReportRange.Format(today)}";

        // Landline calls: one decision each and no recovery writing to the timeline afterwards.
        await CallAsync("+442079460" + Random.Shared.Next(100, 500));
        await WaitForAsync(async () => (await _host.Get<MissedCallFunctions.Triage.ICallRecords>().RecentAsync(TestData.UkClinicId, 10, CancellationToken.None)).Count == 1);
        var first = await ReportAsync(query);
        var again = await ReportAsync(query);
        await CallAsync("+442079460" + Random.Shared.Next(500, 999));
        await WaitForAsync(async () => (await _host.Get<MissedCallFunctions.Triage.ICallRecords>().RecentAsync(TestData.UkClinicId, 10, CancellationToken.None)).Count == 2);
        var afterNewCall = await ReportAsync(query);

        Assert.Equal(1, first.GetProperty("daysRecomputed").GetInt32());
        Assert.Equal(0, again.GetProperty("daysRecomputed").GetInt32());
        Assert.Equal(365, again.GetProperty("days").GetArrayLength());
        Assert.Equal(1, afterNewCall.GetProperty("daysRecomputed").GetInt32());
        Assert.Equal(2, afterNewCall.GetProperty("funnel").GetProperty("suppressed").GetInt32());
        Assert.Equal(2, afterNewCall.GetProperty("suppressedByReason").GetProperty("landline").GetInt32());
    }

    [Fact]
    public async Task Upkeep_RecomputesStaleDays_SoTheNextReportRecomputesNone()
    {
        await CallAsync("+442079460" + Random.Shared.Next(100, 999));
        await WaitForAsync(async () => (await _host.Get<MissedCallFunctions.Triage.ICallRecords>().RecentAsync(TestData.UkClinicId, 10, CancellationToken.None)).Count == 1);

        await _host.Get<ReportingUpkeep>().RunAsync(CancellationToken.None);
        var report = await ReportAsync("days=7");

        Assert.Equal(0, report.GetProperty("daysRecomputed").GetInt32());
        Assert.Equal(1, report.GetProperty("funnel").GetProperty("missed").GetInt32());
    }

    [Theory]
    [InlineData("from=2026-13-01")]
    [InlineData("from=2026-05-01&to=2026-04-01")]
    [InlineData("from=2024-01-01&to=2026-01-01")]
    [InlineData("days=0")]
    [InlineData("days=ten")]
    [InlineData("to=0001-01-01")]
    [InlineData("from=0001-01-01&to=2026-01-01")]
    [InlineData("to=9999-12-31")]
    public async Task BadRange_Is400WithProblemDetails(string query)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(_host.BaseAddress, $"/api/clinics/{TestData.UkClinicId}/report?{query}&code={LocalHostRunner.FunctionKey}"));
        request.Headers.Add("X-Clinic-Token", FastClinics.UkStaffToken);
        using var response = await _host.Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    /// <summary>Regression: 'to' near DateOnly.MinValue overflowed the default range's arithmetic and answered 500.</summary>
    [Fact]
    public async Task DashboardReport_ToDayZero_Is400WithProblemDetails()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(_host.BaseAddress, $"/api/dashboard/{TestData.UkClinicId}/report?to=0001-01-01"));
        request.Headers.Add("X-Dashboard-Token", DashboardToken);
        using var response = await _host.Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("'to' must be a day from 2000-01-01", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("dev-glow-staff-token-00000001")]
    [InlineData("dev-glow-dashboard-token-000001")]
    public async Task ReportApi_RefusesMissingOrOtherClinicsTokens(string? token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(_host.BaseAddress, $"/api/clinics/{TestData.UkClinicId}/report?code={LocalHostRunner.FunctionKey}"));
        if (token is not null)
        {
            request.Headers.Add("X-Clinic-Token", token);
        }

        using var response = await _host.Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task ReportApi_WithoutTheFunctionKey_Is401()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(_host.BaseAddress, $"/api/clinics/{TestData.UkClinicId}/report"));
        request.Headers.Add("X-Clinic-Token", DashboardToken);
        using var response = await _host.Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    private static async Task WaitForAsync(Func<Task<bool>> condition, int seconds = 20)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException("The condition did not become true.");
            }

            await Task.Delay(200);
        }
    }
}
