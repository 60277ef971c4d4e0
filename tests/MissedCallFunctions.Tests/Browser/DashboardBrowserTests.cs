using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using MissedCallFunctions.LocalHost;
using MissedCallFunctions.Simulation;
using MissedCallFunctions.Staff;
using MissedCallFunctions.Tests.Infrastructure;

namespace MissedCallFunctions.Tests.Browser;

/// <summary>
/// The dashboard in headless Chromium (Debian's package, driven by playwright-core from npm) on a simulated week
/// played through the local stack: the page shows the API's funnel, "Handled" removes a task, a phone fits.
/// Screenshots go to artifacts/screenshots.
/// </summary>
public sealed class DashboardBrowserTests
{
    private const string DashboardToken = "dev-riverside-dashboard-token-0001";

    [Fact]
    public async Task SimulatedWeek_PageShowsTheApiFunnel_HandledRemovesATask_PhoneFits()
    {
        var chromium = await Chromium.EnsureInstalledAsync();
        // The sample clinics as shipped, compressed 900x (as `mcf simulate` runs them), texting at any hour so the run
        // does not depend on the time of day it happens to run at.
        const double timeScale = 900;
        var clinicsJson = ClinicVariants.Apply(await File.ReadAllTextAsync(SamplePaths.Clinics("clinics.sample.json")), "no-quiet-hours");

        // A patient choosing a slot answers in well under a second of real time, but a loaded CI machine can take longer
        // than the sample's 30 minutes / 900 to carry the offer there and back: a longer timeout (no simulated patient
        // goes quiet mid-booking, so it costs no run time).
        var clinicsNode = System.Text.Json.Nodes.JsonNode.Parse(clinicsJson)!;
        foreach (var booking in clinicsNode["clinics"]!.AsArray().Select(c => c!["booking"]).OfType<System.Text.Json.Nodes.JsonObject>())
        {
            booking["replyTimeout"] = "03:00:00";
        }

        clinicsJson = clinicsNode.ToJsonString();
        await using var stack = await SimulationStack.StartAsync(clinicsJson, timeScale, await AzuriteServer.ConnectionStringAsync());
        var clinic = stack.Clinics.Single(c => c.Id == TestData.UkClinicId);
        var week = WeekGenerator.Generate(clinic, DateTimeOffset.UtcNow, seed: 7);
        var result = await new SimulationRun(stack, clinic, new SimulationOptions(timeScale, MaxRate: 10, Patients: new PatientModel(7),
            SettleTimeout: TimeSpan.FromSeconds(240))).RunAsync(week, progress: null, CancellationToken.None);
        Assert.Equal(0, result.Unsettled);
        Assert.True(result.Report.Funnel.Booked > 0, "some simulated patients booked");

        using var apiRequest = new HttpRequestMessage(HttpMethod.Get, $"/api/dashboard/{clinic.Id}/report?days=30");
        apiRequest.Headers.Add("X-Dashboard-Token", DashboardToken);
        using var apiResponse = await stack.Http.SendAsync(apiRequest);
        var api = (await apiResponse.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("funnel");
        var openBefore = await stack.Get<IStaffTaskStore>().ListAsync(clinic.Id, openOnly: true, CancellationToken.None);

        var screenshots = Path.Combine(AzuriteLauncher.FindRepositoryRoot()!, "artifacts", "screenshots");
        var page = await RunCheckAsync(chromium, new Uri(stack.BaseAddress, $"/api/dashboard/{clinic.Id}?token={DashboardToken}"), screenshots);

        Assert.Empty(page.GetProperty("errors").EnumerateArray());
        foreach (var stage in new[] { "missed", "suppressed", "eligible", "texted", "delivered", "replied", "booked" })
        {
            Assert.Equal(api.GetProperty(stage).GetInt32(), page.GetProperty("funnel").GetProperty(stage).GetInt32());
        }

        Assert.True(page.GetProperty("funnelChartDrawn").GetBoolean());
        Assert.Equal(7 * 24, page.GetProperty("heatmapCells").GetInt32());
        Assert.True(page.GetProperty("threadTimelineItems").GetInt32() > 0);
        Assert.Equal(openBefore.Count, page.GetProperty("tasksBefore").GetInt32());
        Assert.Equal(openBefore.Count - 1, page.GetProperty("tasksAfter").GetInt32());
        var handled = await stack.Get<IStaffTaskStore>().GetAsync(clinic.Id, page.GetProperty("handledTaskId").GetString()!, CancellationToken.None);
        Assert.False(handled!.Open);
        Assert.Equal("dashboard", handled.HandledBy);
        Assert.True(page.GetProperty("mobileOverflow").GetInt32() <= 0, "the phone layout is no wider than the screen");
        Assert.Equal(api.GetProperty("missed").GetInt32(), page.GetProperty("mobileMissed").GetInt32());
        foreach (var shot in new[] { "dashboard-desktop.png", "dashboard-phone.png", "dashboard-after-handled.png", "dashboard-thread.png" })
        {
            Assert.True(new FileInfo(Path.Combine(screenshots, shot)).Length > 10_000, $"{shot} was saved");
        }
    }

    private static async Task<JsonElement> RunCheckAsync(string chromium, Uri dashboard, string screenshots)
    {
        var root = AzuriteLauncher.FindRepositoryRoot()!;
        var script = Path.Combine(root, "tests", "MissedCallFunctions.Tests", "Browser", "dashboard-check.mjs");
        var start = new ProcessStartInfo("node", [script, dashboard.ToString(), screenshots])
        {
            WorkingDirectory = root,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.Environment["CHROMIUM_PATH"] = chromium;
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        await process.WaitForExitAsync(timeout.Token);
        Assert.True(process.ExitCode == 0, $"the browser check failed ({process.ExitCode}): {await stderr}");
        return JsonDocument.Parse((await stdout).Trim().Split('\n')[^1]).RootElement.Clone();
    }
}

/// <summary>Debian's Chromium for browser tests: installed with apt when missing (CI runs as root); never a downloaded browser.</summary>
internal static class Chromium
{
    private static readonly SemaphoreSlim Gate = new(1, 1);

    public static async Task<string> EnsureInstalledAsync()
    {
        var path = Environment.GetEnvironmentVariable("CHROMIUM_PATH") ?? "/usr/bin/chromium";
        await Gate.WaitAsync();
        try
        {
            if (!File.Exists(path))
            {
                await RunAsync("apt-get", "install -y --no-install-recommends chromium");
            }

            Assert.True(File.Exists(path), $"Chromium is needed at {path}: install Debian's package (apt-get install chromium) or set CHROMIUM_PATH.");
            return path;
        }
        finally
        {
            Gate.Release();
        }
    }

    private static async Task RunAsync(string file, string arguments)
    {
        var start = new ProcessStartInfo(file, arguments) { RedirectStandardOutput = true, RedirectStandardError = true };
        start.Environment["DEBIAN_FRONTEND"] = "noninteractive";
        try
        {
            using var process = Process.Start(start)!;
            await Task.WhenAll(process.StandardOutput.ReadToEndAsync(), process.StandardError.ReadToEndAsync(), process.WaitForExitAsync());
        }
        catch (System.ComponentModel.Win32Exception)
        {
            // No apt here: the assertion that follows says what is missing.
        }
    }
}
