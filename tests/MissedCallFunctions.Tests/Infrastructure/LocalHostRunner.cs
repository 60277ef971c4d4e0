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
    {
        var url = new Uri(BaseAddress, $"/api/calls/twilio?code={FunctionKey}");
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
