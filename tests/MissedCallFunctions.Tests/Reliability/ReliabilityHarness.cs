using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using MissedCallFunctions.Ingest.Providers;
using MissedCallFunctions.LocalHost.SmsSandbox;
using MissedCallFunctions.Tests.Infrastructure;

namespace MissedCallFunctions.Tests.Reliability;

/// <summary>
/// The reliability scenarios run alone (not beside the rest of the suite): they measure timing and exactly-once behaviour
/// under kills, restarts and faults on a 2-core CI machine. The full-size runs live in tools/MissedCallFunctions.Reliability.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ReliabilityCollection
{
    public const string Name = "Reliability";
}

/// <summary>Small helpers of the reliability tests, on top of the shared test infrastructure.</summary>
internal static class ReliabilityHarness
{
    /// <summary>The URL providers "see": Twilio signs it, whichever of two hosts answers.</summary>
    public const string PublicBaseUrl = "https://reliability.missedcalls.example";

    public const string TextBackOnlyLadder = """[{ "after": "1.00:00:00", "action": "nudgePatient", "template": "followUp" }]""";

    /// <summary>A UK mobile of its own block per test (+447400{block}{index:D5}): never a staff, blocked or internal number.</summary>
    public static string Caller(int block, int index) => string.Create(CultureInfo.InvariantCulture, $"+447400{block}{index:D5}");

    public static string GenericJson(string eventId, string callId, string caller, string outcome, DateTimeOffset occurredAt, string clinicNumber = TestData.UkClinicNumber)
        => string.Create(CultureInfo.InvariantCulture,
            $$"""{"eventId":"{{eventId}}","callId":"{{callId}}","clinicNumber":"{{clinicNumber}}","caller":"{{caller}}","outcome":"{{outcome}}","ringSeconds":25,"occurredAt":"{{occurredAt:O}}"}""");

    /// <summary>POST /api/calls/generic with the function key in the header, signed now (or unsigned, or with another secret or time).</summary>
    public static HttpRequestMessage Generic(string json, string? secret = TestData.UkGenericSecret, DateTimeOffset? signedAt = null, string? key = LocalHostRunner.FunctionKey,
        string contentType = "application/json")
    {
        var body = Encoding.UTF8.GetBytes(json);
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/calls/generic") { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        if (secret is not null)
        {
            request.Headers.TryAddWithoutValidation(GenericCallEventProvider.SignatureHeader,
                GenericCallEventProvider.Sign(secret, (signedAt ?? DateTimeOffset.UtcNow).ToUnixTimeSeconds(), body));
        }

        if (key is not null)
        {
            request.Headers.TryAddWithoutValidation("x-functions-key", key);
        }

        return request;
    }

    /// <summary>A Twilio webhook signed against <see cref="PublicBaseUrl"/> (hosts run with Ingest:PublicBaseUrl set to it).</summary>
    public static HttpRequestMessage SignedTwilio(IReadOnlyList<KeyValuePair<string, string>> form, string token = TestData.UkTwilioToken, string path = "/api/calls/twilio")
    {
        var pathAndQuery = $"{path}?code={LocalHostRunner.FunctionKey}";
        var request = new HttpRequestMessage(HttpMethod.Post, pathAndQuery) { Content = new FormUrlEncodedContent(form) };
        request.Headers.TryAddWithoutValidation("X-Twilio-Signature", LocalHostRunner.TwilioSignature(PublicBaseUrl + pathAndQuery, form, token));
        return request;
    }

    /// <summary>Twilio's status callback for a call nobody answered (the dial action is <see cref="LocalHostRunner.TwilioNoAnswer"/>).</summary>
    public static List<KeyValuePair<string, string>> TwilioStatusNoAnswer(string callSid, string from) =>
    [
        new("AccountSid", "AC00000000000000000000000000000001"), new("ApiVersion", "2010-04-01"), new("CallSid", callSid), new("CallStatus", "no-answer"),
        new("CallDuration", "0"), new("Direction", "inbound"), new("From", from), new("To", TestData.UkClinicNumber),
    ];

    /// <summary>Sends until 2xx, re-sending after a 5xx or no answer like a provider; null on a 4xx or when time ran out.</summary>
    /// <summary>Events an accepted answer queued now: the JSON summary's "queued", or the header of a TwiML answer.</summary>
    public static int QueuedBy(HttpResponseHeaders headers, JsonElement? body)
        => headers.TryGetValues(MissedCallFunctions.Http.IngestHttpHandler.QueuedHeader, out var values)
            ? int.Parse(values.First(), System.Globalization.CultureInfo.InvariantCulture)
            : body?.GetProperty("queued").GetArrayLength() ?? 0;

    public static async Task<(HttpStatusCode? Status, JsonElement? Body, int Attempts, long? AcceptedAt)> DeliverAsync(HttpClient http, Func<HttpRequestMessage> build,
        TimeSpan giveUpAfter, bool retry = true)
    {
        var deadline = DateTime.UtcNow + giveUpAfter;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                using var request = build();
                using var response = await http.SendAsync(request);
                var text = await response.Content.ReadAsStringAsync();
                if (response.IsSuccessStatusCode)
                {
                    // A TwiML answer (Twilio) carries its summary in headers: a JSON stand-in keeps one shape for callers.
                    var body = response.Content.Headers.ContentType?.MediaType == "text/xml"
                        ? JsonDocument.Parse($$"""{"queued":[{{string.Join(',', Enumerable.Repeat("0", QueuedBy(response.Headers, null)))}}]}""").RootElement.Clone()
                        : JsonDocument.Parse(text).RootElement.Clone();
                    return (response.StatusCode, body, attempt, Stopwatch.GetTimestamp());
                }

                if ((int)response.StatusCode < 500)
                {
                    return (response.StatusCode, null, attempt, null);
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or IOException)
            {
                // No answer: the host is down. Try again.
            }

            if (!retry || DateTime.UtcNow > deadline)
            {
                return (null, null, attempt, null);
            }

            await Task.Delay(TimeSpan.FromSeconds(1));
        }
    }

    /// <summary>SIGTERM to a process this test started (Azurite), by id.</summary>
    public static bool Terminate(int pid) => Kill(pid, 15) == 0;

    public static bool IsAlive(int pid) => Kill(pid, 0) == 0;

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    [System.Runtime.InteropServices.DefaultDllImportSearchPaths(System.Runtime.InteropServices.DllImportSearchPath.SafeDirectories)]
    private static extern int Kill(int pid, int signal);

    public static int Outbound(SmsSandbox sandbox, string phone) => sandbox.Thread(phone).Count(m => m.Direction == SandboxDirection.Outbound);

    public static async Task<bool> WaitAsync(Func<bool> condition, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                return false;
            }

            await Task.Delay(200);
        }

        return true;
    }

    /// <summary>Settings that make two hosts share one stack, or point one at a standalone sandbox.</summary>
    public static Dictionary<string, string?> SharedSettings(string ladder, string? acsConnectionString = null)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Storage:TablePrefix"] = AzuriteServer.UniqueName("t"),
            ["CallEvents:QueueName"] = AzuriteServer.UniqueName("calls").ToLowerInvariant(),
            ["Durable:TaskHub"] = AzuriteServer.UniqueName("hub"),
            ["Ingest:PublicBaseUrl"] = PublicBaseUrl,
            ["LocalHost:SeedClinicsFile"] = FastClinics.File(ladder),
        };
        if (acsConnectionString is not null)
        {
            settings["Acs:ConnectionString"] = acsConnectionString;
        }

        return settings;
    }

    /// <summary>The local host as a child process (configured by environment), as RecoveryRestartTests runs it, so it can be SIGKILLed.</summary>
    public sealed class ChildHost(IReadOnlyDictionary<string, string> environment, int port) : IDisposable
    {
        private Process? _process;

        public Uri BaseAddress { get; } = new($"http://127.0.0.1:{port}");

        public async Task StartAsync()
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

            start.Environment["ASPNETCORE_URLS"] = BaseAddress.ToString().TrimEnd('/');
            _process = Process.Start(start)!;
            _process.OutputDataReceived += (_, _) => { };
            _process.ErrorDataReceived += (_, _) => { };
            _process.BeginOutputReadLine();
            _process.BeginErrorReadLine();
            using var probe = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(2) };
            var up = await WaitAsync(() =>
            {
                try
                {
                    return probe.GetAsync("/health").GetAwaiter().GetResult().IsSuccessStatusCode;
                }
                catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
                {
                    return false;
                }
            }, TimeSpan.FromSeconds(60));
            Assert.True(up, "The local host did not start within 60 s.");
        }

        public async Task KillAsync()
        {
            if (_process is { HasExited: false } process)
            {
                process.Kill(entireProcessTree: true); // SIGKILL
                await process.WaitForExitAsync();
            }
        }

        public void Dispose()
        {
            if (_process is { HasExited: false } process)
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit();
            }

            _process?.Dispose();
        }
    }
}
