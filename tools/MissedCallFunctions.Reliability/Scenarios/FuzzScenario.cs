using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using MissedCallFunctions.LocalHost;
using MissedCallFunctions.LocalHost.SmsSandbox;
using MissedCallFunctions.Reliability.Infrastructure;
using MissedCallFunctions.Storage;

namespace MissedCallFunctions.Reliability.Scenarios;

/// <summary>
/// Malformed, oversized, wrongly typed, unsigned, replayed and wrongly signed requests, and wrong or missing keys and
/// tokens, against every HTTP route of the local host: all answered 4xx (never 5xx), nothing queued or recorded, the host
/// still healthy; every route refuses a request without its key, token or signature; and no full phone number or
/// message body reaches a log line at Information or above.
/// </summary>
public static partial class FuzzScenario
{
    /// <summary>One bad request: the route pattern it targets, what is wrong with it, and the status it must get (null: any 4xx).</summary>
    private sealed record Case(string Route, string Category, int? Expected, Func<HttpRequestMessage> Build);

    private static readonly string[] CallProviders = ["generic", "twilio", "acs", "telnyx", "vonage", "ringcentral"];

    public static async Task<ScenarioResult> RunAsync(ReliabilityOptions options, Random random)
    {
        var target = options.Full ? 5000 : 1200;
        var result = new ScenarioResult("fuzz",
            $"About {target} bad requests (malformed, oversized, wrongly typed, unsigned, replayed, wrongly signed; no key, wrong key, function key on admin " +
            "routes, key in header or query; no, wrong or another clinic's staff token in header or query) against every /api route of an in-process " +
            "local host, 8 at a time, after real traffic (a missed call, its text-back, a patient reply, a staff reply) so the logs hold real numbers and bodies. " +
            "Logs are captured with the host's own log levels (appsettings.json) through a logger provider added to the host.");

        await using var azurite = await AzuriteLauncher.StartAsync(dataDirectory: null, preferredPorts: null);
        var names = Isolation.New("fuzz");
        var clinics = Sample.ClinicsFile(Sample.TextBackOnlyLadder);
        await using var host = await InProcessHost.StartAsync("host", new HostSettings(azurite.ConnectionString, names, clinics));
        using var texts = new TextLog(host.Sandbox);
        var probe = new StorageProbe(azurite.ConnectionString, names);
        var run = Guid.NewGuid().ToString("N")[..8];

        // Real traffic first: numbers and bodies the logs must not show.
        var patient = Sample.Caller(8, 1);
        var secrets = new Secrets();
        secrets.Phone(patient);
        secrets.Phone(Sample.UkStaffPhone);
        secrets.Phone(Sample.UkManagerPhone);
        var replyText = $"Can I book a cleaning on Friday afternoon? ref {run}";
        var staffText = $"Hello from the front desk, Friday 3pm works, ref {run}";
        secrets.Body(replyText);
        secrets.Body(staffText);
        await PrimeAsync(host, texts, patient, replyText, staffText, run, secrets, result);
        await Task.Delay(TimeSpan.FromSeconds(3));

        var before = await SnapshotAsync(probe, texts);
        var routes = ApiRoutes(host);
        // Only routes this host maps (the catalogue may know routes a given build does not have yet).
        var catalogue = Cases(run, random, secrets).ToList();
        var cases = catalogue.Where(c => c.Route.StartsWith('(') || routes.Contains(c.Route)).ToList();
        var notMapped = catalogue.Select(c => c.Route).Where(r => !r.StartsWith('(') && !routes.Contains(r)).Distinct(StringComparer.Ordinal).ToList();

        // A route the catalogue does not know yet still gets the key and token checks, from the methods it maps.
        var fallback = routes.Where(r => catalogue.All(c => c.Route != r)).ToList();
        cases.AddRange(fallback.SelectMany(r => Fallback(r, Methods(host, r))));
        var list = new List<Case>();
        while (list.Count < target)
        {
            list.AddRange(cases);
        }

        list = [.. list.OrderBy(_ => random.Next())];
        var answers = new ConcurrentBag<(Case Case, int Status, string Body)>();
        await Parallel.ForEachAsync(list, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (c, ct) =>
        {
            try
            {
                using var request = c.Build();
                using var response = await host.Http.SendAsync(request, ct);
                answers.Add((c, (int)response.StatusCode, await response.Content.ReadAsStringAsync(ct)));
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or IOException)
            {
                answers.Add((c, 0, ex.GetType().Name));
            }
        });

        await Task.Delay(TimeSpan.FromSeconds(3)); // anything queued would be processed (and recorded) by now
        var after = await SnapshotAsync(probe, texts);
        using var health = await host.Http.GetAsync("/health");

        // Still working: a good call afterwards gets its text-back.
        var afterCaller = Sample.Caller(8, 2);
        var json = Webhooks.GenericJson($"fuzz-after-{run}", $"fuzz-after-call-{run}", afterCaller, "missed", DateTimeOffset.UtcNow);
        using var good = await host.Http.SendAsync(Webhooks.Generic(json));
        var textedAfter = await Wait.UntilAsync(() => texts.Outbound(afterCaller) == 1, TimeSpan.FromSeconds(30));

        var all = answers.ToList();
        var statusCounts = all.GroupBy(a => a.Status == 0 ? "no answer" : a.Status.ToString(CultureInfo.InvariantCulture))
            .Select(g => KeyValuePair.Create(g.Key, g.Count())).ToList();
        var fourxx = all.Count(a => a.Status is >= 400 and < 500);
        var fivexx = all.Where(a => a.Status >= 500).ToList();
        var other = all.Where(a => a.Status is < 400).ToList();
        var wrongExact = all.Where(a => a.Case.Expected is { } e && a.Status != e).ToList();
        var coveredRoutes = all.Select(a => a.Case.Route).ToHashSet(StringComparer.Ordinal);
        var uncovered = routes.Where(r => !coveredRoutes.Contains(r)).ToList();
        var echoes = all.Where(a => a.Status is >= 400 and < 500 && secrets.Numbers.Any(n => a.Body.Contains(n, StringComparison.Ordinal))).ToList();

        result.AtLeast("bad requests sent", 1000, all.Count)
            .Equal("answered 4xx", all.Count, fourxx)
            .Equal("answered 5xx", 0, fivexx.Count)
            .Equal("answered 2xx/3xx or not at all", 0, other.Count)
            .Equal("answers other than the exact status expected (401 for a missing key/token/signature, ...)", 0, wrongExact.Count)
            .Expect("/api routes of the host fuzzed", $"{routes.Count} of {routes.Count}", $"{routes.Count - uncovered.Count} of {routes.Count}", uncovered.Count == 0);
        foreach (var (name, count) in before)
        {
            result.Equal($"unchanged: {name}", count, after.GetValueOrDefault(name));
        }

        result.Equal("host healthy afterwards (GET /health)", 200, (int)health.StatusCode)
            .Equal("a good call afterwards: 202 and one text-back", "202, 1", $"{(int)good.StatusCode}, {(textedAfter ? 1 : texts.Outbound(afterCaller))}")
            .Equal("4xx answers that echo a phone number from the request", 0, echoes.Count);

        // Every route refuses a request without its key, and without its token or signature.
        var rows = new List<string[]>();
        foreach (var route in routes.Concat(["/api/calls/{provider}: " + string.Join(",", CallProviders)]).Where(r => !r.EndsWith("{provider}", StringComparison.Ordinal) || r.StartsWith("/api/sms", StringComparison.Ordinal)))
        {
            var keys = RoutesOf(route).ToList();
            foreach (var label in keys)
            {
                var noKey = all.Where(a => a.Case.Route == label.Route && a.Case.Category.StartsWith(label.Prefix, StringComparison.Ordinal) && a.Case.Category.Contains("no key", StringComparison.Ordinal)).Select(a => a.Status).Distinct().Order().ToList();
                var noAuth = all.Where(a => a.Case.Route == label.Route && a.Case.Category.StartsWith(label.Prefix, StringComparison.Ordinal) && a.Case.Category.Contains("missing auth", StringComparison.Ordinal)).Select(a => a.Status).Distinct().Order().ToList();
                rows.Add([label.Name, noKey.Count == 0 ? "-" : string.Join("/", noKey), noAuth.Count == 0 ? "-" : string.Join("/", noAuth)]);
            }
        }

        // The dashboard's static files are public (no data in them); its data routes take the clinic's dashboard token as their key.
        rows.RemoveAll(r => r[0].StartsWith("/api/dashboard/assets", StringComparison.Ordinal));
        var missingKeyOk = rows.All(r => r[1] == "401");
        var missingAuthOk = rows.All(r => r[2] is "401" or "-");
        result.Expect("every route: no key -> 401", "401 on every route", missingKeyOk ? "401 on every route" : string.Join("; ", rows.Where(r => r[1] != "401").Select(r => $"{r[0]}: {r[1]}")), missingKeyOk)
            .Expect("every route: key but no token/signature/admin key -> 401", "401 on every route", missingAuthOk ? "401 on every route" : string.Join("; ", rows.Where(r => r[2] is not ("401" or "-")).Select(r => $"{r[0]}: {r[2]}")), missingAuthOk);

        // Logs: no full number, no message body, at Information or above.
        var lines = host.Logs.Lines.Where(l => l.Level >= LogLevel.Information).ToList();
        var numberLeaks = lines.Where(l => secrets.Numbers.Any(n => l.Text.Contains(n, StringComparison.Ordinal))).ToList();
        var bodyLeaks = lines.Where(l => secrets.Bodies.Any(b => l.Text.Contains(b, StringComparison.Ordinal))).ToList();
        var anyE164 = lines.Where(l => E164().IsMatch(l.Text)).ToList();
        result.Equal("log lines (Information+) with a caller's or staff member's full number", 0, numberLeaks.Count)
            .Equal("log lines (Information+) with a message body", 0, bodyLeaks.Count);
        foreach (var leak in numberLeaks.Concat(bodyLeaks).DistinctBy(l => l.Category + l.EventId).Take(5))
        {
            result.Note($"leak: [{leak.Level}] {leak.Category} (event {leak.EventId}): {Shorten(secrets.Redact(leak.Text))}");
        }

        foreach (var failure in fivexx.Concat(other).Concat(wrongExact).DistinctBy(a => a.Case.Route + a.Case.Category).Take(12))
        {
            result.Note($"{failure.Case.Route} [{failure.Case.Category}]: expected {failure.Case.Expected?.ToString(CultureInfo.InvariantCulture) ?? "4xx"}, got {failure.Status} {Shorten(secrets.Redact(failure.Body))}");
        }

        if (fallback.Count > 0)
        {
            result.Note("routes the catalogue does not know, fuzzed with the generic key/token checks only: " + string.Join(", ", fallback));
        }

        if (notMapped.Count > 0)
        {
            result.Note("catalogued routes this host does not map (skipped): " + string.Join(", ", notMapped));
        }

        if (uncovered.Count > 0)
        {
            result.Note("routes not fuzzed: " + string.Join(", ", uncovered));
        }

        result.Metric("answers by status", Fmt.Counts(statusCounts))
            .Metric("requests per route", string.Join("; ", all.GroupBy(a => a.Case.Route).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => $"{g.Key} {g.Count()}")))
            .Metric("distinct bad-request shapes", cases.Count)
            .Metric("log lines captured (Information+)", lines.Count)
            .Metric("log lines with any E.164 number (clinic numbers included)", anyE164.Count == 0 ? "0" : $"{anyE164.Count} ({Fmt.Counts(anyE164.GroupBy(l => l.Category.Split('.')[^1] + "#" + l.EventId).Select(g => KeyValuePair.Create(g.Key, g.Count())))})");
        result.Notes.Insert(0, "Missing key / missing token-signature-admin key, per route:\n\n" + Table.Markdown(["route", "no key", "key, no token/signature/admin key"], rows));

        File.Delete(clinics);
        return result;
    }

    private static IEnumerable<(string Name, string Route, string Prefix)> RoutesOf(string route)
    {
        if (route.StartsWith("/api/calls/{provider}:", StringComparison.Ordinal))
        {
            foreach (var provider in CallProviders)
            {
                yield return ($"/api/calls/{provider}", "/api/calls/{provider}", provider + ":");
            }

            yield break;
        }

        if (route == "/api/sms/{provider}")
        {
            yield return ("/api/sms/acs", route, "acs:");
            yield return ("/api/sms/twilio", route, "twilio:");
            yield break;
        }

        yield return (route, route, string.Empty);
    }

    private static List<HttpMethod> Methods(InProcessHost host, string route) => host.App.Services.GetRequiredService<EndpointDataSource>().Endpoints
        .OfType<RouteEndpoint>().Where(e => "/" + e.RoutePattern.RawText!.TrimStart('/') == route)
        .SelectMany(e => e.Metadata.GetMetadata<Microsoft.AspNetCore.Routing.HttpMethodMetadata>()?.HttpMethods ?? ["GET"])
        .Where(m => m != "OPTIONS").Distinct(StringComparer.Ordinal).Select(m => new HttpMethod(m)).ToList();

    /// <summary>Key checks for any route, and staff-token checks for /api/clinics routes.</summary>
    private static IEnumerable<Case> Fallback(string route, IReadOnlyList<HttpMethod> methods)
    {
        string Path() => route.Replace("{clinicId}", Sample.UkClinicId, StringComparison.Ordinal)
            .Replace("{caller}", Uri.EscapeDataString(Sample.Caller(9, 99)), StringComparison.Ordinal);
        foreach (var method in methods)
        {
            HttpRequestMessage Make(KeyMode key, string? token)
            {
                var request = new HttpRequestMessage(method, System.Text.RegularExpressions.Regex.Replace(Path(), "{[^}]+}", "x"));
                if (method != HttpMethod.Get)
                {
                    request.Content = new StringContent("{}", Encoding.UTF8, "application/json");
                }

                if (token is not null)
                {
                    request.Headers.TryAddWithoutValidation("X-Clinic-Token", token);
                }

                return Keys.Apply(request, key);
            }

            yield return new(route, $"{method} no key (generic fallback)", 401, () => Make(KeyMode.None, Sample.UkStaffToken));
            yield return new(route, $"{method} wrong key (generic fallback)", 401, () => Make(KeyMode.Wrong, Sample.UkStaffToken));
            if (route.StartsWith("/api/admin", StringComparison.Ordinal))
            {
                yield return new(route, $"{method} missing auth: function key (generic fallback)", 401, () => Make(KeyMode.Header, null));
            }
            else if (route.StartsWith("/api/clinics/", StringComparison.Ordinal))
            {
                yield return new(route, $"{method} missing auth: no staff token (generic fallback)", 401, () => Make(KeyMode.Header, null));
                yield return new(route, $"{method} another clinic's staff token (generic fallback)", 401, () => Make(KeyMode.Header, Sample.UsStaffToken));
            }
        }
    }

    /// <summary>Every /api route the host maps (so a route added later is noticed when it is not fuzzed).</summary>
    private static List<string> ApiRoutes(InProcessHost host) => host.App.Services.GetRequiredService<EndpointDataSource>().Endpoints
        .OfType<RouteEndpoint>().Select(e => "/" + e.RoutePattern.RawText!.TrimStart('/'))
        .Where(r => r.StartsWith("/api/", StringComparison.Ordinal)).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();

    /// <summary>A missed call, its text-back, a patient reply, a look at the thread and a staff reply: real numbers and bodies in the logs.</summary>
    private static async Task PrimeAsync(InProcessHost host, TextLog texts, string patient, string replyText, string staffText, string run, Secrets secrets,
        ScenarioResult result)
    {
        var json = Webhooks.GenericJson($"fuzz-prime-{run}", $"fuzz-prime-call-{run}", patient, "missed", DateTimeOffset.UtcNow);
        using (var response = await host.Http.SendAsync(Webhooks.Generic(json)))
        {
            response.EnsureSuccessStatusCode();
        }

        if (!await Wait.UntilAsync(() => texts.Outbound(patient) >= 1, TimeSpan.FromSeconds(30)))
        {
            result.Note("priming: no text-back within 30 s");
        }

        foreach (var message in host.Sandbox.Thread(patient))
        {
            secrets.Body(message.Body);
        }

        var reply = AcsSmsReceived(patient, Sample.UkClinicNumber, replyText, $"Incoming_{run}-prime");
        using (var request = new HttpRequestMessage(HttpMethod.Post, $"/api/sms/acs?token={Sample.UkAcsToken}") { Content = new StringContent(reply, Encoding.UTF8, "application/json") })
        {
            Keys.Apply(request, KeyMode.Header);
            using var response = await host.Http.SendAsync(request);
            result.Metric("priming: patient reply via /api/sms/acs", (int)response.StatusCode);
        }

        await Task.Delay(TimeSpan.FromSeconds(2));
        using (var request = Staff(HttpMethod.Get, Sample.UkClinicId, $"conversations/{Uri.EscapeDataString(patient)}", Sample.UkStaffToken, KeyMode.Header))
        {
            using var response = await host.Http.SendAsync(request);
            result.Metric("priming: staff reads the thread", (int)response.StatusCode);
        }

        using (var request = Staff(HttpMethod.Post, Sample.UkClinicId, $"conversations/{Uri.EscapeDataString(patient)}/reply", Sample.UkStaffToken, KeyMode.Header,
                   JsonSerializer.Serialize(new { by = "Sam", text = staffText })))
        {
            using var response = await host.Http.SendAsync(request);
            result.Metric("priming: staff reply", (int)response.StatusCode);
        }

        await Wait.UntilAsync(() => texts.Outbound(patient) >= 2, TimeSpan.FromSeconds(10));
    }

    private static async Task<Dictionary<string, int>> SnapshotAsync(StorageProbe probe, TextLog texts)
    {
        var counts = new Dictionary<string, int>(StringComparer.Ordinal)
        {
            ["call-events queue"] = await StorageProbe.ApproximateCountAsync(probe.Queue),
            ["poison queue"] = await StorageProbe.ApproximateCountAsync(probe.Poison),
            ["texts at the sandbox"] = texts.AllOutbound.Count,
        };
        foreach (var table in TableNames.All)
        {
            counts[$"{table} rows"] = await probe.CountAsync(table);
        }

        return counts;
    }

    private static HttpRequestMessage Staff(HttpMethod method, string clinicId, string path, string? token, KeyMode key, string? json = null, bool tokenInQuery = false)
    {
        var uri = $"/api/clinics/{clinicId}/{path}";
        if (token is not null && tokenInQuery)
        {
            uri += (uri.Contains('?', StringComparison.Ordinal) ? "&" : "?") + "token=" + Uri.EscapeDataString(token);
        }

        var request = new HttpRequestMessage(method, uri);
        if (token is not null && !tokenInQuery)
        {
            request.Headers.TryAddWithoutValidation("X-Clinic-Token", token);
        }

        if (json is not null)
        {
            request.Content = new StringContent(json, Encoding.UTF8, "application/json");
        }

        return Keys.Apply(request, key);
    }

    private static string AcsSmsReceived(string from, string to, string text, string id) => JsonSerializer.Serialize(new[]
    {
        new
        {
            id,
            topic = "/subscriptions/00000000-0000-0000-0000-000000000000/resourcegroups/clinic-rg/providers/microsoft.communication/communicationservices/riverside-acs",
            subject = "/phonenumber/" + to.TrimStart('+'),
            data = new { MessageId = id, From = from.TrimStart('+'), To = to.TrimStart('+'), Message = text, ReceivedTimestamp = DateTimeOffset.UtcNow },
            eventType = "Microsoft.Communication.SMSReceived",
            dataVersion = "1.0",
            metadataVersion = "1",
            eventTime = DateTimeOffset.UtcNow,
        },
    });

    private static string Shorten(string text) => text.Length <= 220 ? text.ReplaceLineEndings(" ") : text[..220].ReplaceLineEndings(" ") + "...";

    [GeneratedRegex(@"\+\d{10,15}")]
    private static partial Regex E164();

    /// <summary>Numbers and bodies that must never reach a log line (in every spelling a number is written).</summary>
    private sealed class Secrets
    {
        private readonly ConcurrentDictionary<string, bool> _numbers = new(StringComparer.Ordinal);
        private readonly ConcurrentDictionary<string, bool> _bodies = new(StringComparer.Ordinal);

        public IEnumerable<string> Numbers => _numbers.Keys;

        public IEnumerable<string> Bodies => _bodies.Keys;

        public string Phone(string e164)
        {
            _numbers.TryAdd(e164, true);
            _numbers.TryAdd(e164.TrimStart('+'), true);
            if (e164.StartsWith("+44", StringComparison.Ordinal))
            {
                _numbers.TryAdd("0" + e164[3..], true);
            }

            return e164;
        }

        /// <summary>A distinctive stretch of a body (its first 32 characters past any greeting would do; the whole body is simplest).</summary>
        public void Body(string text)
        {
            if (text.Length >= 16)
            {
                _bodies.TryAdd(text.Length > 48 ? text[..48] : text, true);
            }
        }

        public string Redact(string text)
        {
            foreach (var secret in _numbers.Keys.OrderByDescending(s => s.Length))
            {
                text = text.Replace(secret, "<number>", StringComparison.Ordinal);
            }

            return text;
        }
    }
}
