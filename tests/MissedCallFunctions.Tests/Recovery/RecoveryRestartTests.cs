using System.Diagnostics;
using System.Net;
using System.Text;
using MissedCallFunctions.LocalHost;
using MissedCallFunctions.LocalHost.SmsSandbox;
using MissedCallFunctions.Tests.Infrastructure;
using MissedCallFunctions.Tests.Messaging;

namespace MissedCallFunctions.Tests.Recovery;

/// <summary>
/// The local host is killed (SIGKILL) in the middle of live ladders and started again: every later step is sent,
/// exactly once, counted at an SMS sandbox that lives outside the killed process.
/// </summary>
public sealed class RecoveryRestartTests
{
    private const string Ladder = """
        [
          { "after": "00:00:07", "action": "nudgePatient", "template": "followUp" },
          { "after": "00:00:10", "action": "staffCallbackTask" },
          { "after": "00:00:10", "action": "alertStaff", "template": "staffAlert" },
          { "after": "00:00:13", "action": "alertManager", "template": "managerAlert" }
        ]
        """;

    [Fact]
    public async Task KilledMidLadder_Restarted_EveryLaterStepSentExactlyOnce()
    {
        await using var sandbox = await SandboxServer.StartAsync();
        var connection = await AzuriteServer.ConnectionStringAsync();
        var port = AzuriteLauncher.FreePort();
        var environment = new Dictionary<string, string>
        {
            ["Storage__ConnectionString"] = connection,
            ["Storage__TablePrefix"] = AzuriteServer.UniqueName("t"),
            ["CallEvents__QueueName"] = AzuriteServer.UniqueName("calls").ToLowerInvariant(),
            ["Durable__TaskHub"] = AzuriteServer.UniqueName("hub"),
            ["LocalHost__SeedClinicsFile"] = FastClinics.File(Ladder),
            ["LocalHost__FunctionKey"] = LocalHostRunner.FunctionKey,
            ["LocalHost__RunDailySummary"] = "false",
            ["Acs__ConnectionString"] = sandbox.ConnectionString,
            ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}",
        };
        var callers = Enumerable.Range(0, 5).Select(i => $"+4474009{Random.Shared.Next(1000, 9999)}{i}").ToList();
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };

        var first = await StartHostAsync(environment, http);
        foreach (var caller in callers)
        {
            await MissCallAsync(http, caller);
        }

        await WaitAsync(() => callers.All(c => sandbox.Sandbox.Thread(c).Count >= 1), seconds: 30);
        first.Kill(entireProcessTree: true); // SIGKILL: no graceful shutdown
        await first.WaitForExitAsync();
        await Task.Delay(TimeSpan.FromSeconds(2));

        using var second = await StartHostAsync(environment, http);
        try
        {
            // Every ladder runs to its end: text-back and follow-up to each caller, one staff and one manager alert each.
            await WaitAsync(() => callers.All(c => sandbox.Sandbox.Thread(c).Count >= 2)
                                  && Alerts(sandbox, "+447400123402") >= callers.Count, seconds: 60);
            await Task.Delay(TimeSpan.FromSeconds(3)); // anything sent twice would show up by now

            foreach (var caller in callers)
            {
                var texts = sandbox.Sandbox.Thread(caller);
                Assert.Equal(2, texts.Count);
                Assert.Contains("here again", texts[1].Body, StringComparison.Ordinal);
            }

            Assert.Equal(callers.Count, Alerts(sandbox, "+447400123401"));
            Assert.Equal(callers.Count, Alerts(sandbox, "+447400123402"));
        }
        finally
        {
            second.Kill(entireProcessTree: true);
            await second.WaitForExitAsync();
        }
    }

    private static int Alerts(SandboxServer sandbox, string phone) => sandbox.Sandbox.Thread(phone).Count(m => m.Direction == SandboxDirection.Outbound);

    private static async Task<Process> StartHostAsync(IReadOnlyDictionary<string, string> environment, HttpClient http)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = AppContext.BaseDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "MissedCallFunctions.LocalHost.dll"));
        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }

        var process = Process.Start(start)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        await WaitAsync(() =>
        {
            try
            {
                return http.GetAsync("/health").GetAwaiter().GetResult().IsSuccessStatusCode;
            }
            catch (HttpRequestException)
            {
                return false;
            }
        }, seconds: 60);
        return process;
    }

    private static async Task MissCallAsync(HttpClient http, string caller)
    {
        var id = "evt-" + Guid.NewGuid().ToString("N");
        var json = $$"""{"eventId":"{{id}}","callId":"c-{{id}}","clinicNumber":"{{TestData.UkClinicNumber}}","caller":"{{caller}}","outcome":"missed","ringSeconds":25,"occurredAt":"{{DateTimeOffset.UtcNow:O}}"}""";
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/calls/generic?code={LocalHostRunner.FunctionKey}")
        {
            Content = new StringContent(json, Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("X-MissedCall-Signature",
            MissedCallFunctions.Ingest.Providers.GenericCallEventProvider.Sign(TestData.UkGenericSecret, DateTimeOffset.UtcNow.ToUnixTimeSeconds(), Encoding.UTF8.GetBytes(json)));
        using var response = await http.SendAsync(request);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
    }

    private static async Task WaitAsync(Func<bool> condition, int seconds)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Condition not met within {seconds} s.");
            }

            await Task.Delay(200);
        }
    }
}
