using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text.Json;
using MissedCallFunctions.LocalHost.SmsSandbox;
using MissedCallFunctions.Reliability.Infrastructure;

namespace MissedCallFunctions.Reliability.Scenarios;

/// <summary>Per-phone record of the texts a sandbox stored, with when each arrived (Stopwatch time).</summary>
public sealed class TextLog : IDisposable
{
    private readonly SmsSandbox _sandbox;
    private readonly ConcurrentDictionary<string, long> _first = new(StringComparer.Ordinal);

    public TextLog(SmsSandbox sandbox)
    {
        _sandbox = sandbox;
        _sandbox.MessageSent += OnSent;
    }

    public bool TryFirst(string phone, out long timestamp) => _first.TryGetValue(phone, out timestamp);

    public int Outbound(string phone) => _sandbox.Thread(phone).Count(m => m.Direction == SandboxDirection.Outbound);

    public IReadOnlyList<SandboxMessage> AllOutbound => _sandbox.Messages.Where(m => m.Direction == SandboxDirection.Outbound).ToList();

    private void OnSent(object? sender, SandboxMessage message) => _first.TryAdd(message.To, Stopwatch.GetTimestamp());

    public void Dispose() => _sandbox.MessageSent -= OnSent;
}


/// <summary>A webhook delivery as a provider makes it: send, and on a 5xx or no answer try again a little later.</summary>
public static class Delivery
{
    public sealed record Outcome(HttpStatusCode? Status, int Attempts, int ServerErrors, int ClientErrors, int NoAnswer, JsonElement? Body,
        long FirstAttempt, long? AcceptedAt, List<(long At, string What)> Failures)
    {
        /// <summary>Events the answer says were queued now / were repeats: from the JSON summary, or the headers of a TwiML answer.</summary>
        public int Queued { get; init; }

        public int Duplicates { get; init; }
    }

    private static int Summary(HttpResponseMessage response, JsonElement? body, string header, string property)
        => response.Headers.TryGetValues(header, out var values) && int.TryParse(values.First(), System.Globalization.CultureInfo.InvariantCulture, out var n)
            ? n
            : ArrayLength(body, property);

    public static async Task<Outcome> SendAsync(HttpClient http, Func<HttpRequestMessage> build, TimeSpan giveUpAfter, TimeSpan retryEvery,
        bool retry = true)
    {
        var first = Stopwatch.GetTimestamp();
        var deadline = DateTime.UtcNow + giveUpAfter;
        int attempts = 0, serverErrors = 0, clientErrors = 0, noAnswer = 0;
        var failures = new List<(long, string)>();
        while (true)
        {
            attempts++;
            try
            {
                using var request = build();
                using var response = await http.SendAsync(request);
                var text = await response.Content.ReadAsStringAsync();
                var status = (int)response.StatusCode;
                if (status is >= 200 and < 300)
                {
                    JsonElement? body = null;
                    try
                    {
                        body = JsonDocument.Parse(text).RootElement.Clone();
                    }
                    catch (JsonException)
                    {
                    }

                    return new Outcome(response.StatusCode, attempts, serverErrors, clientErrors, noAnswer, body, first, Stopwatch.GetTimestamp(), failures)
                    {
                        Queued = Summary(response, body, "X-MissedCall-Queued", "queued"),
                        Duplicates = Summary(response, body, "X-MissedCall-Duplicates", "duplicates"),
                    };
                }

                failures.Add((Stopwatch.GetTimestamp(), status.ToString(System.Globalization.CultureInfo.InvariantCulture)));
                if (status >= 500)
                {
                    serverErrors++;
                }
                else
                {
                    // A 4xx tells the provider the request is bad: it does not retry.
                    clientErrors++;
                    return new Outcome(response.StatusCode, attempts, serverErrors, clientErrors, noAnswer, null, first, null, failures);
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or IOException)
            {
                noAnswer++;
                failures.Add((Stopwatch.GetTimestamp(), ex.GetType().Name));
            }

            if (!retry || DateTime.UtcNow > deadline)
            {
                return new Outcome(null, attempts, serverErrors, clientErrors, noAnswer, null, first, null, failures);
            }

            await Task.Delay(retryEvery);
        }
    }

    public static int ArrayLength(JsonElement? body, string property) =>
        body is { ValueKind: JsonValueKind.Object } b && b.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.Array ? value.GetArrayLength() : 0;
}

public static class Seconds
{
    public static double Since(long start) => Stopwatch.GetElapsedTime(start).TotalSeconds;

    public static double Between(long start, long end) => Stopwatch.GetElapsedTime(start, end).TotalSeconds;
}
