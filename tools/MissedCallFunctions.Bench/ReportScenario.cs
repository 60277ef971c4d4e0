using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Azure.Data.Tables;
using MissedCallFunctions.Clinics;
using MissedCallFunctions.LocalHost;
using MissedCallFunctions.Recovery;
using MissedCallFunctions.Reporting;
using MissedCallFunctions.Storage;
using MissedCallFunctions.Triage;

namespace MissedCallFunctions.Bench;

/// <summary>
/// "A year of data for 50 clinics answers in under a second": N clinics (copies of the two sample clinics, London and
/// Los Angeles) each get a year of clinic-local days of missed-call facts written straight through the store, then
/// the reporting API is asked over real HTTP for each clinic's year: once cold (every day stale, so all are
/// summarised and saved) and then warm, plus a 30-day range warm.
/// </summary>
public static class ReportScenario
{
    private const string TokenPrefix = "bench-report-staff-token-";

    private static readonly (string Reason, int Weight)[] SuppressedReasons =
    [
        (DecisionReasons.Landline, 40), (DecisionReasons.WithheldNumber, 25), (DecisionReasons.JoinedRecovery, 20), (DecisionReasons.OptedOut, 10),
        (DecisionReasons.InternalNumber, 5),
    ];

    public static async Task RunAsync(BenchStack stack, int clinicCount, int days, int rounds, int seedParallel, Report report)
    {
        var clinics = await LoadClinicsAsync(stack, clinicCount).ConfigureAwait(false);
        var reports = stack.Get<ClinicReports>();
        var store = stack.Get<ICallFactStore>();

        // Seed: every clinic's facts generated up front (a fixed seed per clinic), written in batches, clinics in parallel.
        Console.WriteLine($"report: seeding {clinicCount} clinics x {days} days ({seedParallel} clinics written at a time)...");
        var seeded = new Dictionary<string, (int Facts, int Pointers, int Days)>(StringComparer.Ordinal);
        var seedStart = Stopwatch.GetTimestamp();
        var done = 0;
        await Parallel.ForEachAsync(clinics, new ParallelOptions { MaxDegreeOfParallelism = seedParallel }, async (clinic, ct) =>
        {
            var facts = Generate(clinic, reports.Today(clinic), days);
            await store.RecordCallsAsync(facts, ct).ConfigureAwait(false);
            lock (seeded)
            {
                seeded[clinic.Id] = (facts.Count, facts.Count(f => f.InstanceId is not null), facts.Select(f => f.LocalDay).Distinct(StringComparer.Ordinal).Count());
            }

            var n = Interlocked.Increment(ref done);
            if (n % 10 == 0 || n == clinicCount)
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"report: {n}/{clinicCount} clinics seeded ({Stopwatch.GetElapsedTime(seedStart).TotalSeconds:0} s)"));
            }
        }).ConfigureAwait(false);
        var seedTime = Stopwatch.GetElapsedTime(seedStart);
        var totalFacts = seeded.Values.Sum(s => s.Facts);
        var totalPointers = seeded.Values.Sum(s => s.Pointers);
        var totalDays = seeded.Values.Sum(s => s.Days);

        // Cold: each clinic's first year report summarises (and saves) every one of its days.
        Console.WriteLine("report: cold requests (one per clinic, every day stale)...");
        var cold = new Samples();
        var coldRecomputed = new List<int>();
        var mismatches = new List<string>();
        foreach (var clinic in clinics)
        {
            var (ms, body) = await GetAsync(stack, clinic, YearQuery(reports, clinic, days)).ConfigureAwait(false);
            cold.Add(ms);
            coldRecomputed.Add(body.GetProperty("daysRecomputed").GetInt32());
            var missed = body.GetProperty("funnel").GetProperty("missed").GetInt32();
            if (missed != seeded[clinic.Id].Facts)
            {
                mismatches.Add($"{clinic.Id}: report {missed} missed, seeded {seeded[clinic.Id].Facts}");
            }
        }

        Console.WriteLine($"report: warm requests ({rounds} rounds over {clinicCount} clinics)...");
        var warm = new Samples();
        var warmRecomputed = 0;
        for (var round = 0; round < rounds && !Interrupt.Requested; round++)
        {
            foreach (var clinic in clinics)
            {
                var (ms, body) = await GetAsync(stack, clinic, YearQuery(reports, clinic, days)).ConfigureAwait(false);
                warm.Add(ms);
                warmRecomputed += body.GetProperty("daysRecomputed").GetInt32();
            }
        }

        var month = new Samples();
        for (var round = 0; round < rounds && !Interrupt.Requested; round++)
        {
            foreach (var clinic in clinics)
            {
                var (ms, body) = await GetAsync(stack, clinic, "days=30").ConfigureAwait(false);
                month.Add(ms);
                warmRecomputed += body.GetProperty("daysRecomputed").GetInt32();
            }
        }

        var rows = await CountRowsAsync(stack).ConfigureAwait(false);
        var seedTable = new Table($"report: {clinicCount} clinics x {days} clinic-local days seeded through the store", "what", "value")
            .Row("missed-call facts", Fmt.Int(totalFacts))
            .Row("recovery pointers (eligible calls)", Fmt.Int(totalPointers))
            .Row("days with calls (day rows, stale until summarised)", Fmt.Int(totalDays))
            .Row("CallFacts rows after the cold requests (facts + pointers + day summaries)", Fmt.Int(rows))
            .Row("facts per clinic-day (mean)", Fmt.Num((double)totalFacts / (clinicCount * days), "0.0"))
            .Row("seeding time (RecordCallsAsync, batches of <= 100 rows)", Fmt.Ms(seedTime.TotalMilliseconds))
            .Row("seeding rate", Fmt.Num((totalFacts + totalPointers + totalDays) / seedTime.TotalSeconds, "0") + " rows/s")
            .Note($"{seedParallel} clinics written at a time, each clinic's batches one after another; one batch transaction per <= 100 rows of one clinic partition, with one stale mark per day it touches.")
            .Note("Weekdays 4-12 missed calls, Saturdays 1-5, Sundays 0-2; 55% eligible; text-back latency 200-3000 ms; about half of eligible callers reply, a fifth book; non-repliers get a follow-up and some 1-3 escalations.");
        report.Add(seedTable);

        var t = new Table("report: GET /api/clinics/{id}/report over HTTP on the local host (sequential, one in flight)",
            "request", "n", "p50", "p95", "max", "days recomputed per request");
        t.Row($"cold: {days}-day range, every day stale", Fmt.Int(cold.Count), Fmt.Ms(cold.Percentile(50)), Fmt.Ms(cold.Percentile(95)), Fmt.Ms(cold.Max),
            coldRecomputed.Count == 0 ? "-" : $"{coldRecomputed.Min()}-{coldRecomputed.Max()}");
        t.Row($"warm: {days}-day range", Fmt.Int(warm.Count), Fmt.Ms(warm.Percentile(50)), Fmt.Ms(warm.Percentile(95)), Fmt.Ms(warm.Max), "0");
        t.Row("warm: 30-day range (days=30)", Fmt.Int(month.Count), Fmt.Ms(month.Percentile(50)), Fmt.Ms(month.Percentile(95)), Fmt.Ms(month.Max), "0");
        t.Note("Request sent to body read by HttpClient in the bench process: function key and the clinic's staff token, JSON parsed afterwards (not timed).");
        t.Note(warmRecomputed == 0 ? "No warm request recomputed a day." : $"Warm requests recomputed {warmRecomputed} day(s) in all (expected none).");
        t.Note(mismatches.Count == 0 ? "Every cold report's missed-call count equals the facts seeded for its clinic." : "MISMATCH: " + string.Join("; ", mismatches));
        report.Add(t);
    }

    private static string YearQuery(ClinicReports reports, ClinicConfig clinic, int days)
    {
        var today = reports.Today(clinic);
        return $"from={ReportRange.Format(today.AddDays(1 - days))}&to={ReportRange.Format(today)}";
    }

    private static async Task<(double Ms, JsonElement Body)> GetAsync(BenchStack stack, ClinicConfig clinic, string query)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/clinics/{clinic.Id}/report?{query}");
        request.Headers.Add("x-functions-key", BenchStack.FunctionKey);
        request.Headers.Add("X-Clinic-Token", TokenPrefix + clinic.Id);
        var start = Stopwatch.GetTimestamp();
        using var response = await stack.Http.SendAsync(request).ConfigureAwait(false);
        var bytes = await response.Content.ReadAsByteArrayAsync().ConfigureAwait(false);
        var ms = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        if (response.StatusCode != HttpStatusCode.OK)
        {
            throw new InvalidOperationException($"GET report for {clinic.Id} answered {(int)response.StatusCode}: {System.Text.Encoding.UTF8.GetString(bytes)}");
        }

        using var doc = JsonDocument.Parse(bytes);
        return (ms, doc.RootElement.Clone());
    }

    private static async Task<int> CountRowsAsync(BenchStack stack)
    {
        var rows = 0;
        await foreach (var _ in stack.Get<StorageClients>().Table(TableNames.CallFacts).QueryAsync<TableEntity>(select: ["RowKey"], maxPerPage: 1000).ConfigureAwait(false))
        {
            rows++;
        }

        return rows;
    }

    /// <summary>Copies of the sample clinics (alternately London and Los Angeles) with their own ids, numbers and tokens, stored in the directory.</summary>
    private static async Task<IReadOnlyList<ClinicConfig>> LoadClinicsAsync(BenchStack stack, int count)
    {
        var root = AzuriteLauncher.FindRepositoryRoot() ?? throw new InvalidOperationException("Run from the repository: samples/clinics.sample.json is needed.");
        var sample = JsonNode.Parse(File.ReadAllText(Path.Combine(root, "samples", "clinics.sample.json")),
            documentOptions: new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true })!;
        var templates = sample["clinics"]!.AsArray();
        var copies = new JsonArray();
        for (var i = 0; i < count; i++)
        {
            var clinic = templates[i % templates.Count]!.DeepClone();
            var id = string.Create(CultureInfo.InvariantCulture, $"bench-report-{i:D3}");
            clinic["id"] = id;
            clinic["name"] = $"{clinic["name"]!.GetValue<string>()} {i:D3}";
            var uk = clinic["country"]!.GetValue<string>() == "GB";
            clinic["numbers"] = new JsonArray(uk
                ? string.Create(CultureInfo.InvariantCulture, $"+44207946{5000 + i:D4}")
                : string.Create(CultureInfo.InvariantCulture, $"+1310555{2000 + i:D4}"));
            clinic["staffAccessTokens"] = new JsonArray(TokenPrefix + id);
            clinic["dashboardTokens"] = new JsonArray($"bench-report-dashboard-token-{id}");
            clinic["calendarFeedTokens"] = new JsonArray($"bench-report-calendar-token-{id}");
            copies.Add(clinic);
        }

        var path = Path.Combine(Path.GetTempPath(), $"bench-report-clinics-{Guid.NewGuid():N}.json");
        try
        {
            File.WriteAllText(path, new JsonObject { ["clinics"] = copies }.ToJsonString());
            var file = await LocalHostApp.LoadClinicsAsync(stack.Get<IClinicDirectory>(), path).ConfigureAwait(false);
            return file.Clinics;
        }
        finally
        {
            File.Delete(path);
        }
    }

    /// <summary>A year of one clinic's missed calls, complete as the pipeline would have left them.</summary>
    internal static List<CallFact> Generate(ClinicConfig clinic, DateOnly today, int days)
    {
        var random = new Random(clinic.Id.Aggregate(17, (h, c) => unchecked((h * 31) + c)));
        var zone = ClinicCalendar.TimeZoneOf(clinic);
        var facts = new List<CallFact>();
        for (var day = today.AddDays(1 - days); day <= today; day = day.AddDays(1))
        {
            var calls = day.DayOfWeek switch
            {
                DayOfWeek.Saturday => random.Next(1, 6),
                DayOfWeek.Sunday => random.Next(0, 3),
                _ => random.Next(4, 13),
            };
            for (var c = 0; c < calls; c++)
            {
                var local = day.ToDateTime(new TimeOnly(random.Next(8, 19), random.Next(0, 60), random.Next(0, 60)));
                var occurred = new DateTimeOffset(local, zone.GetUtcOffset(local)).ToUniversalTime();
                facts.Add(Call(clinic, random, occurred, $"evt-{ReportRange.Format(day)}-{c:D2}"));
            }
        }

        return facts;
    }

    private static CallFact Call(ClinicConfig clinic, Random random, DateTimeOffset occurred, string id)
    {
        var slot = LocalSlot.Of(clinic, occurred);
        var received = occurred.AddMilliseconds(random.Next(300, 2000));
        var caller = string.Create(CultureInfo.InvariantCulture, $"+447400{random.Next(0, 1_000_000):D6}");
        var fact = new CallFact
        {
            ClinicId = clinic.Id,
            FactId = id,
            LocalDay = slot.Day,
            LocalHour = slot.Hour,
            Weekday = slot.Weekday,
            OccurredAt = occurred,
            ReceivedAt = received,
            CallerMasked = caller[..6] + "****" + caller[^3..],
            CallerNumber = caller,
            Eligible = false,
            Reason = Pick(random),
        };
        if (random.NextDouble() >= 0.55)
        {
            return fact;
        }

        var texted = received.AddMilliseconds(random.Next(200, 3001));
        if (random.NextDouble() < 0.02)
        {
            return fact with
            {
                Eligible = true, Reason = "missed", InstanceId = "rec-" + id, TextRefused = true, Outcome = RecoveryOutcome.FailedDelivery,
                EndedAt = texted, Escalations = 1,
            };
        }

        var delivered = random.NextDouble() < 0.96;
        var replied = random.NextDouble() < 0.5;
        var booked = replied && random.NextDouble() < 0.4;
        var firstReply = replied ? texted.AddSeconds(random.Next(20, 7200)) : (DateTimeOffset?)null;
        var outcome = booked ? RecoveryOutcome.Booked
            : replied ? (random.NextDouble() < 0.1 ? RecoveryOutcome.HandedToStaff : RecoveryOutcome.RecoveredReplied)
            : random.NextDouble() switch
            {
                < 0.10 => RecoveryOutcome.ReachedByPhone,
                < 0.15 => RecoveryOutcome.HandledByStaff,
                < 0.18 => RecoveryOutcome.OptedOut,
                _ => RecoveryOutcome.NoResponse,
            };
        return fact with
        {
            Eligible = true,
            Reason = "missed",
            InstanceId = "rec-" + id,
            TextedAt = texted,
            DeliveredAt = delivered ? texted.AddSeconds(random.Next(1, 10)) : null,
            DeliveryFailed = !delivered,
            FirstReplyAt = firstReply,
            FollowUps = replied ? 0 : 1,
            Escalations = outcome == RecoveryOutcome.NoResponse ? random.Next(1, 4) : replied && random.NextDouble() < 0.05 ? 1 : 0,
            Outcome = outcome,
            EndedAt = (firstReply ?? texted).AddHours(random.Next(1, 30)),
        };
    }

    private static string Pick(Random random)
    {
        var n = random.Next(SuppressedReasons.Sum(r => r.Weight));
        foreach (var (reason, weight) in SuppressedReasons)
        {
            if ((n -= weight) < 0)
            {
                return reason;
            }
        }

        return SuppressedReasons[0].Reason;
    }
}
