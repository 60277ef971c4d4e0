using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using MissedCallFunctions.LocalHost;
using MissedCallFunctions.Storage;

namespace MissedCallFunctions.Tests.Infrastructure;

/// <summary>The real local host on a free loopback port, over the shared Azurite, isolated by prefix.</summary>
public sealed class LocalHostRunner : IAsyncDisposable
{
    public const string FunctionKey = "test-function-key";
    public const string AdminKey = "test-admin-key-123";

    private LocalHostRunner(WebApplication app, Uri baseAddress, string queueName)
    {
        App = app;
        BaseAddress = baseAddress;
        QueueName = queueName;
        Http = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(30) };
    }

    public WebApplication App { get; }

    public Uri BaseAddress { get; }

    public string QueueName { get; }

    public HttpClient Http { get; }

    public T Get<T>() where T : notnull => App.Services.GetRequiredService<T>();

    public FakeLogCollector Logs => App.Services.GetFakeLogCollector();

    public MissedCallFunctions.LocalHost.SmsSandbox.SmsSandbox Sandbox => Get<MissedCallFunctions.LocalHost.SmsSandbox.SmsSandbox>();

    /// <summary>A staff API request for the UK sample clinic, with its staff token.</summary>
    public HttpRequestMessage Staff(HttpMethod method, string path, object? body = null)
    {
        var request = new HttpRequestMessage(method, new Uri(BaseAddress, $"/api/clinics/{TestData.UkClinicId}/{path}?code={FunctionKey}"));
        request.Headers.Add("X-Clinic-Token", FastClinics.UkStaffToken);
        if (body is not null)
        {
            request.Content = JsonContent.Create(body);
        }

        return request;
    }

    public static async Task<LocalHostRunner> StartAsync(bool runProcessor = true, IDictionary<string, string?>? settings = null, string? clinicsFile = null)
    {
        var connection = await AzuriteServer.ConnectionStringAsync();
        var queueName = AzuriteServer.UniqueName("calls").ToLowerInvariant();
        var config = new Dictionary<string, string?>
        {
            ["Storage:ConnectionString"] = connection,
            ["Storage:TablePrefix"] = AzuriteServer.UniqueName("t"),
            ["CallEvents:QueueName"] = queueName,
            ["LocalHost:FunctionKey"] = FunctionKey,
            ["LocalHost:AdminKey"] = AdminKey,
            ["LocalHost:SeedClinicsFile"] = clinicsFile ?? SamplePaths.Clinics("clinics.sample.json"),
            ["Durable:TaskHub"] = AzuriteServer.UniqueName("hub"),
            ["LocalHost:RunProcessor"] = runProcessor ? "true" : "false",
            // Tests call the daily-summary sender themselves, with the time they need.
            ["LocalHost:RunDailySummary"] = "false",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            config[key] = value;
        }

        var (app, address) = await LocalHostApp.StartOnLoopbackAsync(config,
            builder => builder.Logging.ClearProviders().AddFakeLogging().SetMinimumLevel(LogLevel.Information));
        return new LocalHostRunner(app, address, queueName);
    }

    /// <summary>
    /// Events on the call-events queue: the events of the visible messages (peeked, not consumed; one message can carry
    /// several), plus one for each message not visible now (e.g. a ringing event held for its ring window).
    /// </summary>
    public async Task<int> QueuedCountAsync()
    {
        var queue = Get<StorageClients>().Queues.GetQueueClient(QueueName);
        var messages = (await queue.GetPropertiesAsync()).Value.ApproximateMessagesCount;
        var peeked = (await queue.PeekMessagesAsync(32)).Value;
        return peeked.Sum(m => MissedCallFunctions.Ingest.CallEventSerializer.Split(m.Body).Count) + Math.Max(0, messages - peeked.Length);
    }

    public HttpRequestMessage TwilioCallback(IReadOnlyList<KeyValuePair<string, string>> form, string token = TestData.UkTwilioToken, bool sign = true)
        => TwilioPost("/api/calls/twilio", form, token, sign);

    /// <summary>A signed Twilio incoming-message webhook (<c>POST /api/sms/twilio</c>).</summary>
    public HttpRequestMessage TwilioSms(IReadOnlyList<KeyValuePair<string, string>> form, string token = TestData.UkTwilioToken)
        => TwilioPost("/api/sms/twilio", form, token, sign: true);

    /// <summary>What Twilio posts for an incoming text to the UK clinic (<paramref name="optOutType"/>: Advanced Opt-Out's keyword match).</summary>
    public static List<KeyValuePair<string, string>> TwilioIncomingSms(string from, string body, string? optOutType = null)
    {
        List<KeyValuePair<string, string>> form =
        [
            new("AccountSid", "AC00000000000000000000000000000001"), new("ApiVersion", "2010-04-01"), new("Body", body), new("From", from),
            new("MessageSid", "SM" + Guid.NewGuid().ToString("N")), new("NumMedia", "0"), new("NumSegments", "1"), new("SmsStatus", "received"),
            new("To", TestData.UkClinicNumber),
        ];
        if (optOutType is not null)
        {
            form.Add(new("OptOutType", optOutType));
        }

        return form;
    }

    private HttpRequestMessage TwilioPost(string path, IReadOnlyList<KeyValuePair<string, string>> form, string token, bool sign)
    {
        var url = new Uri(BaseAddress, $"{path}?code={FunctionKey}");
        var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new FormUrlEncodedContent(form) };
        if (sign)
        {
            request.Headers.Add("X-Twilio-Signature", TwilioSignature(url.ToString(), form, token));
        }

        return request;
    }

    /// <summary>Twilio's scheme, computed independently of the product code: HMAC-SHA1 over URL + sorted name+value.</summary>
    public static string TwilioSignature(string url, IEnumerable<KeyValuePair<string, string>> form, string token)
    {
        var data = new StringBuilder(url);
        foreach (var (key, value) in form.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            data.Append(key).Append(value);
        }

        return Convert.ToBase64String(HMACSHA1.HashData(Encoding.UTF8.GetBytes(token), Encoding.UTF8.GetBytes(data.ToString())));
    }

    public static List<KeyValuePair<string, string>> TwilioNoAnswer(string callSid, string from = TestData.UkMobile, string to = TestData.UkClinicNumber) =>
    [
        new("AccountSid", "AC00000000000000000000000000000001"),
        new("ApiVersion", "2010-04-01"),
        new("CallSid", callSid),
        new("CallStatus", "in-progress"),
        new("DialCallSid", "CA" + new string('d', 32)),
        new("DialCallStatus", "no-answer"),
        new("DialBridged", "false"),
        new("Direction", "inbound"),
        new("From", from),
        new("To", to),
    ];

    /// <summary>A signed generic missed call from <paramref name="caller"/> to the UK clinic; asserts the 202.</summary>
    public async Task MissCallAsync(string caller, string outcome = "missed", string clinicNumber = TestData.UkClinicNumber)
    {
        var id = "evt-" + Guid.NewGuid().ToString("N");
        var json = $$"""{"eventId":"{{id}}","callId":"c-{{id}}","clinicNumber":"{{clinicNumber}}","caller":"{{caller}}","outcome":"{{outcome}}","ringSeconds":25,"occurredAt":"{{DateTimeOffset.UtcNow:O}}"}""";
        using var response = await Http.SendAsync(GenericEvent(json));
        Xunit.Assert.Equal(System.Net.HttpStatusCode.Accepted, response.StatusCode);
    }

    /// <summary>The texts the sandbox sent to <paramref name="phone"/>.</summary>
    public IReadOnlyList<MissedCallFunctions.LocalHost.SmsSandbox.SandboxMessage> TextsTo(string phone)
        => Sandbox.Messages.Where(m => m.Direction == MissedCallFunctions.LocalHost.SmsSandbox.SandboxDirection.Outbound && m.To == phone).ToList();

    /// <summary>The caller's recovery at the UK clinic once it has ended.</summary>
    public async Task<MissedCallFunctions.Recovery.RecoveryRecord> EndedAsync(string caller, int seconds = 30)
    {
        var registry = Get<MissedCallFunctions.Recovery.IRecoveryRegistry>();
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (DateTime.UtcNow < deadline)
        {
            if (await registry.GetAsync(TestData.UkClinicId, caller, CancellationToken.None) is { Live: false } ended)
            {
                return ended;
            }

            await Task.Delay(200);
        }

        throw new TimeoutException($"The recovery of {caller} did not end within {seconds} s.");
    }

    /// <summary>The UK clinic's staff task for the caller, open or handled, if any.</summary>
    public async Task<MissedCallFunctions.Staff.StaffTask?> TaskForAsync(string caller)
        => (await Get<MissedCallFunctions.Staff.IStaffTaskStore>().ListAsync(TestData.UkClinicId, openOnly: false, CancellationToken.None))
            .FirstOrDefault(t => t.CallerNumber == caller);

    public HttpRequestMessage GenericEvent(string json, string secret = TestData.UkGenericSecret, DateTimeOffset? signedAt = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, new Uri(BaseAddress, $"/api/calls/generic?code={FunctionKey}"))
        {
            Content = new StringContent(json, Encoding.UTF8, new MediaTypeHeaderValue("application/json")),
        };
        var t = (signedAt ?? DateTimeOffset.UtcNow).ToUnixTimeSeconds();
        request.Headers.Add("X-MissedCall-Signature", MissedCallFunctions.Ingest.Providers.GenericCallEventProvider.Sign(secret, t, Encoding.UTF8.GetBytes(json)));
        return request;
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await App.StopAsync();
        await App.DisposeAsync();
    }
}
