using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using MissedCallFunctions.Clinics;
using MissedCallFunctions.Ingest.Providers;
using MissedCallFunctions.LocalHost.SmsSandbox;
using MissedCallFunctions.Reporting;

namespace MissedCallFunctions.Simulation;

/// <param name="TimeScale">Simulated seconds per real second: the clinics' timings were divided by it, and patients' typing is too.</param>
/// <param name="Speed">How the log is paced: its own gaps divided by this; null posts at <paramref name="MaxRate"/>.</param>
/// <param name="MaxRate">At most this many calls posted per second.</param>
/// <param name="Patients">Simulated patients who answer the texts; null: nobody replies (a replay of calls only).</param>
/// <param name="SettleTimeout">How long to wait, after the last call, for every recovery to end.</param>
public sealed record SimulationOptions(
    double TimeScale,
    double? Speed = null,
    double MaxRate = 5,
    PatientModel? Patients = null,
    TimeSpan? SettleTimeout = null,
    bool ShiftToNow = true);

public sealed record SimulationProgress(int Posted, int Total, int TextsToPatients, int Replies, int Settled, string Stage);

/// <param name="Unsettled">Eligible calls whose recovery had not ended when the run stopped waiting (e.g. follow-ups deferred by quiet hours).</param>
public sealed record SimulationResult(ClinicReport Report, int Posted, int Refused, int TextsToPatients, int Replies, int Unsettled, TimeSpan Elapsed);

/// <summary>
/// Plays a call log through a local stack over real HTTP (signed generic webhooks, as a telephony integration would),
/// lets simulated patients answer in the SMS sandbox, waits for every recovery to end, and reads the clinic's report
/// through the reporting API.
/// </summary>
public sealed class SimulationRun(SimulationStack stack, ClinicConfig clinic, SimulationOptions options)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { Converters = { new JsonStringEnumConverter() } };

    private readonly ConcurrentDictionary<string, PatientState> _patients = new(StringComparer.Ordinal);
    private int _texts;
    private int _replies;
    private int _pendingReplies;

    public async Task<SimulationResult> RunAsync(IReadOnlyList<LoggedCall> log, IProgress<SimulationProgress>? progress, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var calls = Prepare(log);
        stack.Sandbox.MessageSent += OnText;
        try
        {
            var (posted, refused) = await PostAsync(calls, progress, cancellationToken).ConfigureAwait(false);
            var from = calls.Count == 0 ? DateTimeOffset.UtcNow : calls[0].OccurredAt;
            var range = new ReportRange(DateOnly.FromDateTime(ClinicCalendar.ToLocal(clinic, from).DateTime),
                DateOnly.FromDateTime(ClinicCalendar.ToLocal(clinic, DateTimeOffset.UtcNow).DateTime));
            var deadline = Stopwatch.GetTimestamp() + (long)((options.SettleTimeout ?? TimeSpan.FromMinutes(3)).TotalSeconds * Stopwatch.Frequency);
            ClinicReport report;
            while (true)
            {
                report = await ReportAsync(range, cancellationToken).ConfigureAwait(false);
                var ended = report.Outcomes.Values.Sum();
                progress?.Report(new SimulationProgress(posted, calls.Count, _texts, _replies, ended, "waiting for every recovery to end"));
                var decided = await DecidedAsync(cancellationToken).ConfigureAwait(false);
                if ((decided >= posted && ended >= report.Funnel.Eligible && Volatile.Read(ref _pendingReplies) == 0) || Stopwatch.GetTimestamp() > deadline)
                {
                    break;
                }

                await Task.Delay(500, cancellationToken).ConfigureAwait(false);
            }

            return new SimulationResult(report, posted, refused, _texts, _replies, report.Funnel.Eligible - report.Outcomes.Values.Sum(),
                Stopwatch.GetElapsedTime(started));
        }
        finally
        {
            stack.Sandbox.MessageSent -= OnText;
        }
    }

    /// <summary>The log for this clinic, shifted so its last call is now (when asked), in time order.</summary>
    private List<LoggedCall> Prepare(IReadOnlyList<LoggedCall> log)
    {
        var mine = log.Where(c => clinic.Numbers.Contains(c.ClinicNumber)).OrderBy(c => c.OccurredAt).ToList();
        if (!options.ShiftToNow || mine.Count == 0)
        {
            return mine;
        }

        var shift = DateTimeOffset.UtcNow.AddSeconds(-1) - mine[^1].OccurredAt;
        return mine.Select(c => c with { OccurredAt = c.OccurredAt + shift }).ToList();
    }

    private async Task<(int Posted, int Refused)> PostAsync(List<LoggedCall> calls, IProgress<SimulationProgress>? progress, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var minGap = TimeSpan.FromSeconds(1 / options.MaxRate);
        var next = TimeSpan.Zero;
        int posted = 0, refused = 0;
        for (var i = 0; i < calls.Count; i++)
        {
            if (i > 0)
            {
                var gap = options.Speed is { } speed ? (calls[i].OccurredAt - calls[i - 1].OccurredAt) / speed : TimeSpan.Zero;
                next += gap > minGap ? gap : minGap;
                if (next > clock.Elapsed)
                {
                    await Task.Delay(next - clock.Elapsed, cancellationToken).ConfigureAwait(false);
                }
            }

            var call = calls[i];
            if (call.Caller is { } caller)
            {
                _patients[caller] = new PatientState(Stopwatch.GetTimestamp());
            }

            using var request = Webhook(call, i);
            using var response = await stack.Http.SendAsync(request, cancellationToken).ConfigureAwait(false);
            if (response.StatusCode == HttpStatusCode.Accepted)
            {
                posted++;
            }
            else
            {
                refused++;
            }

            progress?.Report(new SimulationProgress(posted, calls.Count, _texts, _replies, 0, "posting calls"));
        }

        return (posted, refused);
    }

    private HttpRequestMessage Webhook(LoggedCall call, int index)
    {
        var id = call.CallId ?? string.Create(CultureInfo.InvariantCulture, $"log-{index:D6}-{call.OccurredAt.ToUnixTimeSeconds()}");
        // The schema requires "caller" (null when withheld); "callerName" is left out when unknown.
        var body = new Dictionary<string, object?>
        {
            ["eventId"] = "evt-" + id,
            ["callId"] = id,
            ["clinicNumber"] = call.ClinicNumber,
            ["caller"] = call.Caller,
            ["outcome"] = call.Outcome,
            ["ringSeconds"] = call.RingSeconds,
            ["occurredAt"] = call.OccurredAt,
        };
        if (call.CallerName is { } name)
        {
            body["callerName"] = name;
        }

        var json = JsonSerializer.Serialize(body);
        var bytes = Encoding.UTF8.GetBytes(json);
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/calls/generic") { Content = new ByteArrayContent(bytes) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
        request.Headers.Add("x-functions-key", SimulationStack.FunctionKey);
        var secret = clinic.Webhooks.GenericHmacSecrets.FirstOrDefault()
                     ?? throw new InvalidOperationException($"Clinic '{clinic.Id}' has no generic webhook secret to sign the replayed calls with.");
        request.Headers.Add(GenericCallEventProvider.SignatureHeader, GenericCallEventProvider.Sign(secret, DateTimeOffset.UtcNow.ToUnixTimeSeconds(), bytes));
        return request;
    }

    /// <summary>A text reached a patient: maybe they answer, after typing for a while (compressed like every other wait).</summary>
    private void OnText(object? sender, SandboxMessage message)
    {
        if (options.Patients is not { } patients || !_patients.TryGetValue(message.To, out var state) || !clinic.Numbers.Contains(message.From))
        {
            return;
        }

        Interlocked.Increment(ref _texts);
        var number = Interlocked.Increment(ref state.Texts);
        string? words = null;
        if (message.Body.Contains("can offer", StringComparison.Ordinal) && state.Intent == PatientIntent.Book)
        {
            words = "1"; // takes the first slot offered
        }
        else if (!state.Replied && number <= 3)
        {
            // The text-back's delay is the pipeline's own speed (nothing in the configuration times it); later texts
            // are as late as the configured ladder says, in simulated time.
            var sinceCall = number == 1
                ? Stopwatch.GetElapsedTime(state.CalledAt)
                : Stopwatch.GetElapsedTime(state.CalledAt) * options.TimeScale;
            if (patients.Replies(message.To, number, sinceCall))
            {
                state.Replied = true;
                state.Intent = patients.Intent(message.To);
                words = PatientModel.Words(state.Intent.Value);
            }
        }

        if (words is null)
        {
            return;
        }

        var typing = patients.TypingTime(message.To, number) / options.TimeScale;
        Interlocked.Increment(ref _pendingReplies);
        _ = Task.Run(async () =>
        {
            try
            {
                await Task.Delay(typing < TimeSpan.FromMilliseconds(200) ? TimeSpan.FromMilliseconds(200) : typing).ConfigureAwait(false);
                stack.Sandbox.Reply(message.To, message.From, words);
                Interlocked.Increment(ref _replies);
            }
            finally
            {
                Interlocked.Decrement(ref _pendingReplies);
            }
        });
    }

    private async Task<ClinicReport> ReportAsync(ReportRange range, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get,
            $"/api/clinics/{clinic.Id}/report?from={ReportRange.Format(range.From)}&to={ReportRange.Format(range.To)}");
        request.Headers.Add("x-functions-key", SimulationStack.FunctionKey);
        request.Headers.Add("X-Clinic-Token", clinic.StaffAccessTokens.FirstOrDefault()
                                             ?? throw new InvalidOperationException($"Clinic '{clinic.Id}' has no staff token to read its report with."));
        using var response = await stack.Http.SendAsync(request, cancellationToken).ConfigureAwait(false);
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<ClinicReport>(Json, cancellationToken).ConfigureAwait(false))!;
    }

    private async Task<int> DecidedAsync(CancellationToken cancellationToken)
        => (await stack.Get<Triage.ICallRecords>().RecentAsync(clinic.Id, int.MaxValue, cancellationToken).ConfigureAwait(false)).Count;

    private sealed class PatientState(long calledAt)
    {
        public long CalledAt { get; } = calledAt;

        public int Texts;

        public bool Replied { get; set; }

        public PatientIntent? Intent { get; set; }
    }
}
