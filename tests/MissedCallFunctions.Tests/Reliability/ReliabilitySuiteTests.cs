using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using MissedCallFunctions.LocalHost;
using MissedCallFunctions.LocalHost.SmsSandbox;
using MissedCallFunctions.Storage;
using MissedCallFunctions.Tests.Infrastructure;
using MissedCallFunctions.Tests.Messaging;
using static MissedCallFunctions.Tests.Reliability.ReliabilityHarness;

namespace MissedCallFunctions.Tests.Reliability;

/// <summary>
/// "Prove it", in reduced size: the scenarios of tools/MissedCallFunctions.Reliability (duplicates, kill, SMS faults,
/// Azurite restart, poison, fuzz) on the real local stack, so CI exercises them. docs/reliability.md has full-size results.
/// </summary>
[Collection(ReliabilityCollection.Name)]
public sealed class ReliabilitySuiteTests
{
    [Fact]
    public async Task Duplicates_EveryWebhookFiveTimesShuffledToTwoHosts_ExactlyOneTextBackPerMissedCall()
    {
        const int calls = 50;
        await using var sandbox = await SandboxServer.StartAsync();
        var settings = SharedSettings(TextBackOnlyLadder, sandbox.ConnectionString);
        await using var hostA = await LocalHostRunner.StartAsync(settings: settings);
        await using var hostB = await LocalHostRunner.StartAsync(settings: settings);
        var random = new Random(20261126);
        var callers = Enumerable.Range(0, calls).Select(i => Caller(2, i)).ToList();
        var webhooks = new List<Func<HttpRequestMessage>>();
        for (var i = 0; i < calls; i++)
        {
            if (i % 2 == 0)
            {
                // Two events of one call (the first decides it), each delivered five times.
                var callId = "dup-" + Guid.NewGuid().ToString("N");
                var missed = GenericJson(callId + "-e1", callId, callers[i], "missed", DateTimeOffset.UtcNow);
                var busy = GenericJson(callId + "-e2", callId, callers[i], "busy", DateTimeOffset.UtcNow);
                webhooks.Add(() => Generic(missed));
                webhooks.Add(() => Generic(busy));
            }
            else
            {
                // Twilio's dial action and status callback for the same call.
                var sid = "CA" + Guid.NewGuid().ToString("N");
                var dial = LocalHostRunner.TwilioNoAnswer(sid, from: callers[i]);
                var status = TwilioStatusNoAnswer(sid, callers[i]);
                webhooks.Add(() => SignedTwilio(dial));
                webhooks.Add(() => SignedTwilio(status));
            }
        }

        var deliveries = webhooks.SelectMany(w => Enumerable.Repeat(w, 5)).Select(w => (Build: w, Host: random.Next(2))).OrderBy(_ => random.Next()).ToList();
        var statuses = new ConcurrentBag<HttpStatusCode?>();
        long queued = 0;
        await Parallel.ForEachAsync(deliveries, new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (d, _) =>
        {
            var outcome = await DeliverAsync((d.Host == 0 ? hostA : hostB).Http, d.Build, TimeSpan.Zero, retry: false);
            statuses.Add(outcome.Status);
            Interlocked.Add(ref queued, outcome.Body?.GetProperty("queued").GetArrayLength() ?? 0);
        });

        Assert.All(statuses, s => Assert.Contains(s, new HttpStatusCode?[] { HttpStatusCode.Accepted, HttpStatusCode.OK })); // 200: TwiML to Twilio
        Assert.Equal(webhooks.Count, Interlocked.Read(ref queued));
        Assert.True(await WaitAsync(() => callers.All(c => Outbound(sandbox.Sandbox, c) >= 1), TimeSpan.FromSeconds(90)), "Not every missed call got a text-back.");
        await Task.Delay(TimeSpan.FromSeconds(4)); // a second text-back, if any, would show up by now

        Assert.All(callers, c => Assert.Equal(1, Outbound(sandbox.Sandbox, c)));
        Assert.Equal(calls, sandbox.Sandbox.Messages.Count(m => m.Direction == SandboxDirection.Outbound));
        var audit = await hostA.Get<StorageClients>().Table(TableNames.CallAudit).QueryAsync<Azure.Data.Tables.TableEntity>().CollectAsync();
        Assert.Equal(webhooks.Count, audit.Count);
        Assert.Equal(calls, audit.Count(r => r.GetString("Decision") == "Recover"));
    }

    [Fact]
    public async Task Kill_LocalHostSigkilledMidLadderTwiceAndRestarted_EveryLadderCompletesEveryStepOnce()
    {
        const int calls = 20;
        const string ladder = """
            [
              { "after": "00:00:10", "action": "nudgePatient", "template": "followUp" },
              { "after": "00:00:14", "action": "staffCallbackTask" },
              { "after": "00:00:14", "action": "alertStaff", "template": "staffAlert" },
              { "after": "00:00:18", "action": "alertManager", "template": "managerAlert" }
            ]
            """;
        await using var sandbox = await SandboxServer.StartAsync();
        var connection = await AzuriteServer.ConnectionStringAsync();
        var settings = SharedSettings(ladder, sandbox.ConnectionString);
        settings["Storage:ConnectionString"] = connection;
        settings["LocalHost:FunctionKey"] = LocalHostRunner.FunctionKey;
        settings["LocalHost:RunDailySummary"] = "false";
        var environment = settings.ToDictionary(kv => kv.Key.Replace(":", "__", StringComparison.Ordinal), kv => kv.Value!);
        using var host = new ChildHost(environment, AzuriteLauncher.FreePort());
        await host.StartAsync();
        using var http = new HttpClient { BaseAddress = host.BaseAddress, Timeout = TimeSpan.FromSeconds(10) };
        var callers = Enumerable.Range(0, calls).Select(i => Caller(3, i)).ToList();
        var random = new Random();
        // Every call accepted first, so the kills land in the ladders. A kill in the middle of ingest leaves a claim that
        // holds the provider's retries off for up to a minute (Ingest_ClaimLeftByARequestThatDiedBeforePublishing_... covers
        // it); the tool's kill scenario kills anywhere.
        var delivered = await Task.WhenAll(callers.Select(async (caller, i) =>
        {
            await Task.Delay(TimeSpan.FromMilliseconds(100 * i));
            var json = GenericJson("kill-" + Guid.NewGuid().ToString("N"), "kill-call-" + i, caller, "missed", DateTimeOffset.UtcNow);
            return await DeliverAsync(http, () => Generic(json), TimeSpan.FromMinutes(1));
        }));
        Assert.All(delivered, d => Assert.Equal(HttpStatusCode.Accepted, d.Status));

        // Two kills at random points of the ladders: text-backs, follow-ups (10 s), alerts (14 s and 18 s).
        var started = Stopwatch.GetTimestamp();
        foreach (var at in new[] { 0.5 + (random.NextDouble() * 7), 9 + (random.NextDouble() * 7) })
        {
            var wait = at - Stopwatch.GetElapsedTime(started).TotalSeconds;
            if (wait > 0)
            {
                await Task.Delay(TimeSpan.FromSeconds(wait));
            }

            await host.KillAsync();
            await Task.Delay(TimeSpan.FromMilliseconds(500));
            await host.StartAsync();
        }

        int Alerts(string phone) => Outbound(sandbox.Sandbox, phone);
        var done = await WaitAsync(() => callers.All(c => Outbound(sandbox.Sandbox, c) >= 2) && Alerts("+447400123401") >= calls && Alerts("+447400123402") >= calls,
            TimeSpan.FromSeconds(120));
        await Task.Delay(TimeSpan.FromSeconds(4)); // a step sent twice would show up by now
        await host.KillAsync();

        Assert.True(done, $"Ladders incomplete: {callers.Count(c => Outbound(sandbox.Sandbox, c) < 2)} callers short, alerts {Alerts("+447400123401")}/{Alerts("+447400123402")}.");
        Assert.All(callers, c => Assert.Equal(2, Outbound(sandbox.Sandbox, c)));
        Assert.Equal(calls, Alerts("+447400123401"));
        Assert.Equal(calls, Alerts("+447400123402"));
        var tags = sandbox.Sandbox.Messages.Where(m => m.Direction == SandboxDirection.Outbound).GroupBy(m => m.Tag).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
        Assert.Empty(tags);
    }

    [Fact]
    public async Task SmsFaults_429Then503ThenTimeoutsFor30Seconds_EveryTextBackSentExactlyOnce()
    {
        const int calls = 20;
        await using var sandbox = await SandboxServer.StartAsync();
        await using var host = await LocalHostRunner.StartAsync(settings: SharedSettings(TextBackOnlyLadder, sandbox.ConnectionString));
        var callers = Enumerable.Range(0, calls).Select(i => Caller(4, i)).ToList();
        var acceptedAt = new ConcurrentDictionary<string, long>();
        var sentAt = new ConcurrentDictionary<string, long>();
        sandbox.Sandbox.MessageSent += (_, m) => sentAt.TryAdd(m.To, Stopwatch.GetTimestamp());

        var windowStart = DateTimeOffset.UtcNow;
        var faults = Task.Run(async () =>
        {
            sandbox.Sandbox.InjectFaults(SmsSandboxFault.TooManyRequests, windowStart.AddSeconds(8));
            await Task.Delay(windowStart.AddSeconds(8) - DateTimeOffset.UtcNow);
            sandbox.Sandbox.InjectFaults(SmsSandboxFault.ServiceUnavailable, windowStart.AddSeconds(15));
            await Task.Delay(windowStart.AddSeconds(15) - DateTimeOffset.UtcNow);
            // Stored, then no answer until the window ends: sends in its first 5 s outlast the client's 10 s timeout.
            sandbox.Sandbox.InjectFaults(SmsSandboxFault.AcceptThenTimeout, windowStart.AddSeconds(30));
        });
        await Task.WhenAll(callers.Select(async (caller, i) =>
        {
            await Task.Delay(TimeSpan.FromSeconds(i)); // 20 calls over the first 20 s of the window
            var json = GenericJson("faults-" + Guid.NewGuid().ToString("N"), "faults-call-" + i, caller, "missed", DateTimeOffset.UtcNow);
            var outcome = await DeliverAsync(host.Http, () => Generic(json), TimeSpan.FromSeconds(20));
            Assert.Equal(HttpStatusCode.Accepted, outcome.Status);
            acceptedAt[caller] = outcome.AcceptedAt!.Value;
        }));
        await faults;

        Assert.True(await WaitAsync(() => callers.All(c => Outbound(sandbox.Sandbox, c) >= 1), TimeSpan.FromSeconds(150)), "A text-back was lost.");
        await Task.Delay(TimeSpan.FromSeconds(4));

        Assert.All(callers, c => Assert.Equal(1, Outbound(sandbox.Sandbox, c)));
        var texts = sandbox.Sandbox.Messages.Where(m => m.Direction == SandboxDirection.Outbound).ToList();
        Assert.Equal(calls, texts.Count);
        Assert.Equal(calls, texts.Select(m => m.RepeatabilityRequestId).Distinct().Count());
        var requests = sandbox.Sandbox.Requests;
        Assert.Contains(requests, r => r.StatusCode == 429);
        Assert.Contains(requests, r => r.StatusCode == 503);
        Assert.Contains(requests, r => r.StatusCode == 499 && r.Fault == SmsSandboxFault.AcceptThenTimeout);
        var longest = callers.Max(c => Stopwatch.GetElapsedTime(acceptedAt[c], sentAt[c]));
        Assert.True(longest < TimeSpan.FromSeconds(120), $"Longest delay {longest}.");
    }

    [Fact]
    public async Task AzuriteRestart_StoppedAndStartedMidRun_EveryAcceptedCallTextedBackOnce()
    {
        const int calls = 40;
        var data = Path.Combine(Path.GetTempPath(), "reliability-azurite-" + Guid.NewGuid().ToString("N")[..8]);
        var azurite = await AzuriteLauncher.StartAsync(data, preferredPorts: null);
        var ports = (azurite.BlobPort, azurite.QueuePort, azurite.TablePort);
        var settings = SharedSettings(TextBackOnlyLadder);
        settings["Storage:ConnectionString"] = azurite.ConnectionString;
        try
        {
            await using var host = await LocalHostRunner.StartAsync(settings: settings);
            using var http = new HttpClient { BaseAddress = host.BaseAddress, Timeout = TimeSpan.FromSeconds(20) };
            var callers = Enumerable.Range(0, calls).Select(i => Caller(5, i)).ToList();
            var traffic = Task.WhenAll(callers.Select(async (caller, i) =>
            {
                await Task.Delay(TimeSpan.FromMilliseconds(500 * i)); // 2 calls a second for 20 s
                var json = GenericJson("azr-" + Guid.NewGuid().ToString("N"), "azr-call-" + i, caller, "missed", DateTimeOffset.UtcNow);
                return (Caller: caller, Outcome: await DeliverAsync(http, () => Generic(json), TimeSpan.FromMinutes(2)));
            }));

            await Task.Delay(TimeSpan.FromSeconds(6));
            var pid = azurite.ProcessId;
            Assert.True(Terminate(pid)); // SIGTERM: Azurite closes and saves its data, as a storage service restart would
            Assert.True(await WaitAsync(() => !IsAlive(pid), TimeSpan.FromSeconds(15)), "Azurite did not stop on SIGTERM.");
            await azurite.DisposeAsync();
            await Task.Delay(TimeSpan.FromSeconds(4));
            azurite = await AzuriteLauncher.StartAsync(data, ports);
            Assert.Equal(ports, (azurite.BlobPort, azurite.QueuePort, azurite.TablePort));

            var outcomes = await traffic;
            Assert.All(outcomes, o => Assert.Equal(HttpStatusCode.Accepted, o.Outcome.Status)); // retried through the 5xx window, never a 4xx
            var sandbox = host.Sandbox;
            Assert.True(await WaitAsync(() => callers.All(c => Outbound(sandbox, c) >= 1), TimeSpan.FromSeconds(120)), "An accepted call got no text-back.");
            await Task.Delay(TimeSpan.FromSeconds(4));
            Assert.All(callers, c => Assert.Equal(1, Outbound(sandbox, c)));
            using var health = await http.GetAsync("/health");
            Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        }
        finally
        {
            await azurite.DisposeAsync();
            try
            {
                Directory.Delete(data, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    [Fact]
    public async Task Poison_SignedImpossibleEventsAmongGoodCalls_RefusedAtIngestPoisonQueueWithReasonGoodCallsFlow()
    {
        const int good = 30;
        await using var host = await LocalHostRunner.StartAsync(settings: SharedSettings(TextBackOnlyLadder));
        var goodCallers = Enumerable.Range(0, good).Select(i => Caller(6, i)).ToList();
        var impossible = new List<(DateTimeOffset OccurredAt, string Caller)>();
        for (var i = 0; i < 4; i++)
        {
            impossible.Add((DateTimeOffset.UtcNow.AddDays(30), Caller(7, i)));
            impossible.Add((DateTimeOffset.UtcNow.AddYears(-2), Caller(7, 10 + i)));
        }

        // Signed webhooks are refused at ingest (the sender hears why); the same events written to the queue are poison.
        var publisher = host.Get<MissedCallFunctions.Ingest.ICallEventPublisher>();
        var poison = impossible.Select(p => (Func<Task>)(async () =>
        {
            var id = "poison-" + Guid.NewGuid().ToString("N");
            var json = GenericJson(id, "p-" + id, p.Caller, "missed", p.OccurredAt);
            Assert.Equal(HttpStatusCode.BadRequest, (await DeliverAsync(host.Http, () => Generic(json), TimeSpan.FromSeconds(10))).Status);
            await publisher.PublishAsync(TestData.MissedCall(p.Caller, eventId: id, at: p.OccurredAt), null, CancellationToken.None);
        })).ToList();
        var sends = goodCallers.Select(c => (Func<Task>)(async () =>
            {
                var json = GenericJson("good-" + Guid.NewGuid().ToString("N"), "g-" + c, c, "missed", DateTimeOffset.UtcNow);
                Assert.Equal(HttpStatusCode.Accepted, (await DeliverAsync(host.Http, () => Generic(json), TimeSpan.FromSeconds(10))).Status);
            }))
            .Concat(poison).OrderBy(_ => Guid.NewGuid()).ToList();
        foreach (var send in sends)
        {
            await send();
            await Task.Delay(100);
        }

        var poisonQueue = host.Get<StorageClients>().Queues.GetQueueClient(host.Get<Microsoft.Extensions.Options.IOptions<MissedCallFunctions.Ingest.CallEventQueueOptions>>().Value.PoisonQueueName);
        Assert.True(await WaitAsync(() => poisonQueue.GetProperties().Value.ApproximateMessagesCount >= poison.Count, TimeSpan.FromSeconds(60)), "Poison did not reach the poison queue.");
        Assert.True(await WaitAsync(() => goodCallers.All(c => Outbound(host.Sandbox, c) == 1), TimeSpan.FromSeconds(60)), "Good calls stopped flowing.");

        var records = (await poisonQueue.PeekMessagesAsync(32)).Value.Select(m => JsonDocument.Parse(m.Body.ToString()).RootElement).ToList();
        Assert.Equal(poison.Count, records.Count);
        Assert.All(records, r =>
        {
            Assert.Equal("ImpossibleCallEvent", r.GetProperty("reason").GetString());
            Assert.Contains("occurred-at", r.GetProperty("description").GetString(), StringComparison.Ordinal);
        });
        Assert.Equal(good, host.Sandbox.Messages.Count(m => m.Direction == SandboxDirection.Outbound));
    }

    [Fact]
    public async Task Fuzz_ThousandBadRequestsAgainstEveryRoute_All4xxNothingRecordedNoNumberOrBodyInLogs()
    {
        await using var host = await LocalHostRunner.StartAsync(settings: SharedSettings(TextBackOnlyLadder));
        var secrets = new List<string>();
        void Secret(string phone) => secrets.AddRange([phone, phone.TrimStart('+'), "0" + phone[3..]]);
        Secret("+447400123401");
        Secret("+447400123402");

        // Real traffic first, so the logs have real numbers and bodies to leak: a missed call, its text-back, a reply, a staff reply.
        var patient = Caller(8, 1);
        Secret(patient);
        var prime = GenericJson("fuzz-prime-" + Guid.NewGuid().ToString("N"), "prime", patient, "missed", DateTimeOffset.UtcNow);
        Assert.Equal(HttpStatusCode.Accepted, (await host.Http.SendAsync(Generic(prime))).StatusCode);
        Assert.True(await WaitAsync(() => Outbound(host.Sandbox, patient) == 1, TimeSpan.FromSeconds(30)));
        var replyText = "Can I book a check-up on Friday please " + Guid.NewGuid().ToString("N")[..6];
        var staffText = "Friday at 3pm is free, see you then " + Guid.NewGuid().ToString("N")[..6];
        using (var reply = new HttpRequestMessage(HttpMethod.Post, $"/api/sms/acs?code={LocalHostRunner.FunctionKey}&token=dev-riverside-acs-token")
               {
                   Content = new StringContent(AcsSmsReceived(patient, replyText), Encoding.UTF8, "application/json"),
               })
        {
            Assert.Equal(HttpStatusCode.Accepted, (await host.Http.SendAsync(reply)).StatusCode);
        }

        using (var staffReply = host.Staff(HttpMethod.Post, $"conversations/{Uri.EscapeDataString(patient)}/reply", new { by = "Sam", text = staffText }))
        {
            Assert.Equal(HttpStatusCode.Created, (await host.Http.SendAsync(staffReply)).StatusCode);
        }

        var bodies = host.Sandbox.Thread(patient).Select(m => m.Body[..Math.Min(40, m.Body.Length)]).Concat([replyText, staffText]).ToList();
        await Task.Delay(TimeSpan.FromSeconds(2));
        var before = await CountsAsync(host);

        var endpoints = host.App.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Select(e => (Route: "/" + e.RoutePattern.RawText!.TrimStart('/'), Methods: e.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? ["GET"]))
            .Where(e => e.Route.StartsWith("/api/", StringComparison.Ordinal))
            .SelectMany(e => e.Methods.Where(m => m != "OPTIONS").Select(m => (e.Route, Method: new HttpMethod(m)))).Distinct().ToList();
        var routes = endpoints.Select(e => e.Route).Distinct().ToList();
        var cases = FuzzCases(endpoints, Secret).ToList();
        var answers = new ConcurrentBag<(string Route, string What, int? Expected, int Status)>();
        var all = Enumerable.Range(0, (1000 / cases.Count) + 1).SelectMany(_ => cases).OrderBy(_ => Guid.NewGuid()).ToList();
        await Parallel.ForEachAsync(all, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (c, ct) =>
        {
            using var request = c.Build();
            using var response = await host.Http.SendAsync(request, ct);
            answers.Add((c.Route, c.What, c.Expected, (int)response.StatusCode));
        });
        await Task.Delay(TimeSpan.FromSeconds(3)); // anything queued would have been processed and recorded by now

        Assert.True(answers.Count >= 1000);
        var wrong = answers.Where(a => a.Status is < 400 or >= 500 || (a.Expected is { } e && a.Status != e)).Select(a => $"{a.Route} {a.What}: {a.Status}").Distinct().ToList();
        Assert.Empty(wrong);
        // Every route is fuzzed without its key and without its token (the dashboard's public static files have neither).
        var guarded = routes.Where(r => !r.StartsWith("/api/dashboard/assets", StringComparison.Ordinal)).ToList();
        Assert.DoesNotContain(guarded, r => !answers.Any(a => a.Route == r && a.What.Contains("no key", StringComparison.Ordinal)));
        Assert.DoesNotContain(guarded, r => !answers.Any(a => a.Route == r && a.What.Contains("missing auth", StringComparison.Ordinal)));
        Assert.Equal(before, await CountsAsync(host));
        Assert.Equal(HttpStatusCode.OK, (await host.Http.GetAsync("/health")).StatusCode);

        var lines = host.Logs.GetSnapshot().Where(l => l.Level >= LogLevel.Information)
            .Select(l => $"{l.Category}: {l.Message} {l.Exception}").ToList();
        Assert.NotEmpty(lines);
        Assert.DoesNotContain(lines, l => secrets.Any(s => l.Contains(s, StringComparison.Ordinal)));
        Assert.DoesNotContain(lines, l => bodies.Any(b => l.Contains(b, StringComparison.Ordinal)));
    }

    /// <summary>
    /// Regression (found by the fuzz scenario, docs/reliability.md): the contacts import reads up to 5 MiB, but the local
    /// host's Kestrel limit is 2 MiB, and a body between the two ended in a 500 (or a reset connection) instead of 413.
    /// </summary>
    [Fact]
    public async Task AdminContactsImport_BodyOverTheHostsTwoMiBLimit_Answers413Not500()
    {
        await using var host = await LocalHostRunner.StartAsync(runProcessor: false);
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/admin/clinics/{TestData.UkClinicId}/contacts")
        {
            Content = new StringContent("name,phone\n" + new string('x', 3 * 1024 * 1024), Encoding.UTF8, "text/csv"),
        };
        request.Headers.Add("x-functions-key", LocalHostRunner.AdminKey);
        request.Headers.ExpectContinue = true; // the 413 arrives before the body is sent, not as a reset mid-upload

        using var response = await host.Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
    }

    /// <summary>
    /// Regression (found by the kill scenario, docs/reliability.md): a request that claimed an event in the ingest ledger
    /// and died before publishing it (host killed, or storage failing so the claim could not be released) left a "claimed"
    /// row, and for the next 60 s a provider's retry of that webhook was answered 202 as a duplicate: the call was lost.
    /// </summary>
    [Fact]
    public async Task Ingest_ClaimLeftByARequestThatDiedBeforePublishing_RetryIsQueuedNotAcknowledgedAsDuplicate()
    {
        await using var host = await LocalHostRunner.StartAsync(runProcessor: false);
        var eventId = "died-" + Guid.NewGuid().ToString("N");
        await host.Get<StorageClients>().Table(TableNames.IngestLedger).AddEntityAsync(
            new Azure.Data.Tables.TableEntity("generic", TableKeys.Escape("generic:" + eventId)) { ["State"] = "claimed", ["ClaimedAt"] = DateTimeOffset.UtcNow.AddSeconds(-5) });

        using var retry = await host.Http.SendAsync(Generic(GenericJson(eventId, "died-call", Caller(8, 50), "missed", DateTimeOffset.UtcNow)));
        var queued = await host.QueuedCountAsync();

        // Publish it now, or refuse (409/503) so the provider tries again later: a 2xx with nothing queued loses the call.
        Assert.True(!retry.IsSuccessStatusCode || queued == 1,
            $"The retry got {(int)retry.StatusCode} {await retry.Content.ReadAsStringAsync()} and {queued} message(s) are queued.");
    }

    private static async Task<string> CountsAsync(LocalHostRunner host)
    {
        var storage = host.Get<StorageClients>();
        var queue = host.Get<Microsoft.Extensions.Options.IOptions<MissedCallFunctions.Ingest.CallEventQueueOptions>>().Value;
        var counts = new List<string>
        {
            "queue " + (await storage.Queues.GetQueueClient(queue.QueueName).GetPropertiesAsync()).Value.ApproximateMessagesCount,
            "poison " + (await storage.Queues.GetQueueClient(queue.PoisonQueueName).GetPropertiesAsync()).Value.ApproximateMessagesCount,
            "texts " + host.Sandbox.Messages.Count,
        };
        foreach (var table in TableNames.All)
        {
            counts.Add($"{table} {(await storage.Table(table).QueryAsync<Azure.Data.Tables.TableEntity>(select: ["PartitionKey"]).CollectAsync()).Count}");
        }

        return string.Join(", ", counts);
    }

    private static string AcsSmsReceived(string from, string text) => JsonSerializer.Serialize(new[]
    {
        new
        {
            id = "Incoming_" + Guid.NewGuid().ToString("N"),
            topic = "/subscriptions/x/resourcegroups/rg/providers/microsoft.communication/communicationservices/acs",
            subject = "/phonenumber/" + TestData.UkClinicNumber.TrimStart('+'),
            data = new { MessageId = "Incoming_" + Guid.NewGuid().ToString("N"), From = from.TrimStart('+'), To = TestData.UkClinicNumber.TrimStart('+'), Message = text, ReceivedTimestamp = DateTimeOffset.UtcNow },
            eventType = "Microsoft.Communication.SMSReceived",
            dataVersion = "1.0",
            metadataVersion = "1",
            eventTime = DateTimeOffset.UtcNow,
        },
    });

    private sealed record FuzzCase(string Route, string What, int? Expected, Func<HttpRequestMessage> Build);

    /// <summary>
    /// Bad requests per route: every route without a key and without its token, signature or admin key; plus malformed,
    /// wrongly typed, oversized, wrong content type, replayed and wrongly signed ones. A route the list does not know
    /// still gets the key checks (so a new route is never left out).
    /// </summary>
    private static IEnumerable<FuzzCase> FuzzCases(IReadOnlyList<(string Route, HttpMethod Method)> endpoints, Action<string> secret)
    {
        var callers = Enumerable.Range(0, 20).Select(i => Caller(9, i)).ToList();
        callers.ForEach(secret);
        string Someone() => callers[Random.Shared.Next(callers.Count)];
        string Valid() => GenericJson("fz-" + Guid.NewGuid().ToString("N"), "fz", Someone(), "missed", DateTimeOffset.UtcNow);
        HttpRequestMessage Raw(HttpMethod method, string path, string? body = null, string contentType = "application/json", string? key = LocalHostRunner.FunctionKey,
            params (string Name, string Value)[] headers)
        {
            var request = new HttpRequestMessage(method, path);
            if (body is not null)
            {
                request.Content = new StringContent(body, Encoding.UTF8);
                request.Content.Headers.ContentType = System.Net.Http.Headers.MediaTypeHeaderValue.Parse(contentType);
            }

            if (key is not null)
            {
                request.Headers.Add("x-functions-key", key);
            }

            foreach (var (name, value) in headers)
            {
                request.Headers.TryAddWithoutValidation(name, value);
            }

            return request;
        }

        const string calls = "/api/calls/{provider}";
        const string sms = "/api/sms/{provider}";
        var form = () => LocalHostRunner.TwilioNoAnswer("CA" + Guid.NewGuid().ToString("N"), from: Someone());
        var telnyx = () => JsonSerializer.Serialize(new
        {
            data = new
            {
                event_type = "call.hangup", id = Guid.NewGuid().ToString(), occurred_at = DateTimeOffset.UtcNow,
                payload = new { call_session_id = "s", from = Someone(), to = TestData.UkClinicNumber, hangup_cause = "no_answer", hangup_source = "callee" },
            },
        });
        var vonage = () => $$"""{"from":"{{Someone().TrimStart('+')}}","to":"442079460000","uuid":"{{Guid.NewGuid():N}}","conversation_uuid":"CON-1","status":"unanswered","direction":"inbound","timestamp":"{{DateTimeOffset.UtcNow:O}}"}""";
        var ringCentral = () => $$$"""{"uuid":"u","event":"/restapi/v1.0/account/~/telephony/sessions","timestamp":"{{{DateTimeOffset.UtcNow:O}}}","subscriptionId":"s","body":{"sequence":1,"sessionId":"1","telephonySessionId":"t{{{Guid.NewGuid():N}}}","parties":[{"id":"p","direction":"Inbound","from":{"phoneNumber":"{{{Someone()}}}"},"to":{"phoneNumber":"{{{TestData.UkClinicNumber}}}"},"status":{"code":"Disconnected","reason":"NoAnswer"},"missedCall":true}]}}""";
        var acs = () => JsonSerializer.Serialize(new[]
        {
            new
            {
                id = Guid.NewGuid().ToString(), topic = "/x", subject = $"/caller/4:{Someone()}/recipient/4:{TestData.UkClinicNumber}",
                data = new
                {
                    to = new { kind = "phoneNumber", rawId = "4:" + TestData.UkClinicNumber, phoneNumber = new { value = TestData.UkClinicNumber } },
                    from = new { kind = "phoneNumber", rawId = "4:" + Someone(), phoneNumber = new { value = Someone() } },
                    serverCallId = "x", correlationId = Guid.NewGuid().ToString(),
                },
                eventType = "Microsoft.Communication.IncomingCall", dataVersion = "1.0", metadataVersion = "1", eventTime = DateTimeOffset.UtcNow,
            },
        });
        var big = "{\"pad\":\"" + new string('x', 70_000) + "\"}";

        // Call webhooks, per provider: no key, missing signature/token, wrong signature/token, malformed, oversized, wrong content type.
        yield return new(calls, "generic no key", 401, () => Generic(Valid(), key: null));
        yield return new(calls, "generic missing auth (unsigned)", 401, () => Generic(Valid(), secret: null));
        yield return new(calls, "generic wrong key", 401, () => Generic(Valid(), key: "wrong"));
        yield return new(calls, "generic wrong secret", 401, () => Generic(Valid(), secret: "not-the-secret"));
        yield return new(calls, "generic other clinic's secret", 401, () => Generic(Valid(), secret: "dev-glow-generic-secret-000001"));
        yield return new(calls, "generic replayed (signed 30 min ago)", 401, () => Generic(Valid(), signedAt: DateTimeOffset.UtcNow.AddMinutes(-30)));
        yield return new(calls, "generic junk", 400, () => Generic(Encoding.Latin1.GetString(RandomBytes(300))));
        yield return new(calls, "generic wrong types", 400, () => Generic("""{"eventId":1,"callId":true,"clinicNumber":[],"caller":{},"outcome":"missed","occurredAt":"yesterday"}"""));
        yield return new(calls, "generic oversized", 413, () => Generic(big));
        yield return new(calls, "generic text/plain", 415, () => Generic(Valid(), contentType: "text/plain"));
        yield return new(calls, "generic empty", 400, () => Generic(string.Empty));
        yield return new(calls, "generic GET", 405, () => Raw(HttpMethod.Get, "/api/calls/generic"));
        yield return new(calls, "twilio no key", 401, () => { var r = SignedTwilio(form()); r.RequestUri = new Uri("/api/calls/twilio", UriKind.Relative); return r; });
        yield return new(calls, "twilio missing auth (unsigned)", 401, () => { var r = SignedTwilio(form()); r.Headers.Remove("X-Twilio-Signature"); return r; });
        yield return new(calls, "twilio wrong token", 401, () => SignedTwilio(form(), token: "wrong"));
        yield return new(calls, "twilio malformed", null, () => Raw(HttpMethod.Post, "/api/calls/twilio", "CallSid=%ZZ&&=&From", "application/x-www-form-urlencoded"));
        yield return new(calls, "acs no key", 401, () => Raw(HttpMethod.Post, "/api/calls/acs?token=dev-riverside-acs-token", acs(), key: null));
        yield return new(calls, "acs missing auth (no token)", 401, () => Raw(HttpMethod.Post, "/api/calls/acs", acs()));
        yield return new(calls, "acs wrong token", 401, () => Raw(HttpMethod.Post, "/api/calls/acs?token=wrong", acs()));
        yield return new(calls, "acs malformed", 400, () => Raw(HttpMethod.Post, "/api/calls/acs?token=dev-riverside-acs-token", "[{\"id\":"));
        yield return new(calls, "telnyx no key", 401, () => Raw(HttpMethod.Post, "/api/calls/telnyx", telnyx(), key: null));
        yield return new(calls, "telnyx missing auth (unsigned)", 401, () => Raw(HttpMethod.Post, "/api/calls/telnyx", telnyx()));
        yield return new(calls, "telnyx wrong signature", 401, () => Raw(HttpMethod.Post, "/api/calls/telnyx", telnyx(), headers:
            [("telnyx-signature-ed25519", Convert.ToBase64String(RandomBytes(64, exact: true))), ("telnyx-timestamp", DateTimeOffset.UtcNow.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture))]));
        yield return new(calls, "telnyx oversized", 413, () => Raw(HttpMethod.Post, "/api/calls/telnyx", big));
        yield return new(calls, "vonage no key", 401, () => Raw(HttpMethod.Post, "/api/calls/vonage", vonage(), key: null));
        yield return new(calls, "vonage missing auth (no JWT)", 401, () => Raw(HttpMethod.Post, "/api/calls/vonage", vonage()));
        yield return new(calls, "vonage wrong JWT", 401, () => Raw(HttpMethod.Post, "/api/calls/vonage", vonage(), headers: [("Authorization", "Bearer a.b.c")]));
        yield return new(calls, "vonage wrong types", 400, () => Raw(HttpMethod.Post, "/api/calls/vonage", """{"status":5,"to":[],"from":{}}"""));
        yield return new(calls, "ringcentral no key", 401, () => Raw(HttpMethod.Post, "/api/calls/ringcentral", ringCentral(), key: null, headers: [("Verification-Token", "dev-riverside-ringcentral-token")]));
        yield return new(calls, "ringcentral missing auth (no token)", 401, () => Raw(HttpMethod.Post, "/api/calls/ringcentral", ringCentral()));
        yield return new(calls, "ringcentral other clinic's token", 401, () => Raw(HttpMethod.Post, "/api/calls/ringcentral", ringCentral(), headers: [("Verification-Token", "dev-glow-ringcentral-token")]));
        yield return new(calls, "unknown provider", 404, () => Raw(HttpMethod.Post, "/api/calls/nosuch", "{}"));

        // Escaped lone surrogates: valid JSON whose text cannot be decoded, on every JSON route.
        const string lone = "\"\\uD800\"";
        yield return new(calls, "generic lone surrogate", 400, () => Generic(Valid().Replace("\"missed\"", lone, StringComparison.Ordinal)));
        yield return new(calls, "generic lone surrogate in a name", 400, () => Generic("{\"\\uDC00\":1}"));
        yield return new(calls, "telnyx lone surrogate", 400, () => Raw(HttpMethod.Post, "/api/calls/telnyx", telnyx().Replace("\"call.hangup\"", lone, StringComparison.Ordinal)));
        yield return new(calls, "vonage lone surrogate", 400, () => Raw(HttpMethod.Post, "/api/calls/vonage", vonage().Replace("\"unanswered\"", lone, StringComparison.Ordinal)));
        yield return new(calls, "ringcentral lone surrogate", 400, () => Raw(HttpMethod.Post, "/api/calls/ringcentral", ringCentral().Replace("\"NoAnswer\"", lone, StringComparison.Ordinal)));
        yield return new(calls, "acs lone surrogate", 400, () => Raw(HttpMethod.Post, "/api/calls/acs?token=dev-riverside-acs-token",
            acs().Replace("\"Microsoft.Communication.IncomingCall\"", lone, StringComparison.Ordinal)));

        // Inbound SMS.
        yield return new(sms, "acs no key", 401, () => Raw(HttpMethod.Post, "/api/sms/acs?token=dev-riverside-acs-token", AcsSmsReceived(Someone(), "hello there"), key: null));
        yield return new(sms, "acs missing auth (no token)", 401, () => Raw(HttpMethod.Post, "/api/sms/acs", AcsSmsReceived(Someone(), "hello there")));
        yield return new(sms, "acs malformed", 400, () => Raw(HttpMethod.Post, "/api/sms/acs?token=dev-riverside-acs-token", "[{"));
        yield return new(sms, "acs oversized", 413, () => Raw(HttpMethod.Post, "/api/sms/acs?token=dev-riverside-acs-token", big));
        yield return new(sms, "acs lone surrogate", 400, () => Raw(HttpMethod.Post, "/api/sms/acs?token=dev-riverside-acs-token",
            AcsSmsReceived(Someone(), "hello there").Replace("\"hello there\"", lone, StringComparison.Ordinal)));
        List<KeyValuePair<string, string>> SmsForm() => [new("AccountSid", "AC1"), new("Body", "hello there"), new("From", Someone()), new("MessageSid", "SM" + Guid.NewGuid().ToString("N")), new("To", TestData.UkClinicNumber)];
        yield return new(sms, "twilio no key", 401, () => { var r = SignedTwilio(SmsForm(), path: "/api/sms/twilio"); r.RequestUri = new Uri("/api/sms/twilio", UriKind.Relative); return r; });
        yield return new(sms, "twilio missing auth (unsigned)", 401, () => { var r = SignedTwilio(SmsForm(), path: "/api/sms/twilio"); r.Headers.Remove("X-Twilio-Signature"); return r; });
        yield return new(sms, "twilio wrong token", 401, () => SignedTwilio(SmsForm(), token: "wrong", path: "/api/sms/twilio"));
        yield return new(sms, "twilio JSON body", 415, () => Raw(HttpMethod.Post, "/api/sms/twilio", "{}"));

        // Every other route: admin and staff. Fill the route's parameters; admin routes need the admin key, staff routes a staff token.
        foreach (var (route, method) in endpoints.Where(e => e.Route != calls && e.Route != sms))
        {
            var admin = route.StartsWith("/api/admin", StringComparison.Ordinal);
            var post = method == HttpMethod.Post;
            string Path(string clinic = TestData.UkClinicId, string? caller = null) => route.Replace("{clinicId}", clinic, StringComparison.Ordinal)
                .Replace("{caller}", Uri.EscapeDataString(caller ?? Someone()), StringComparison.Ordinal)
                .Replace("{taskId}", "mc-" + Guid.NewGuid().ToString("N")[..20], StringComparison.Ordinal)
                .Replace("{bookingId}", "bk-" + Guid.NewGuid().ToString("N")[..20], StringComparison.Ordinal);
            var body = route.EndsWith("/contacts", StringComparison.Ordinal) ? "name,phone\nJo," + Someone() : "{\"by\":\"Fuzz\",\"text\":\"hello from the fuzz\"}";
            var type = route.EndsWith("/contacts", StringComparison.Ordinal) ? "text/csv" : "application/json";
            if (admin)
            {
                yield return new(route, "no key", 401, () => Raw(method, Path(), post ? body : null, type, key: null));
                yield return new(route, "wrong key", 401, () => Raw(method, Path(), post ? body : null, type, key: "wrong-admin-key"));
                yield return new(route, "missing auth (function key, not admin)", 401, () => Raw(method, Path(), post ? body : null, type));
                yield return new(route, "function key in query", 401, () => Raw(method, Path() + "?code=" + LocalHostRunner.FunctionKey, post ? body : null, type, key: null));
                if (route.Contains("{clinicId}", StringComparison.Ordinal))
                {
                    yield return new(route, "unknown clinic", 404, () => Raw(method, Path("no-such-clinic"), post ? body : null, type, LocalHostRunner.AdminKey));
                }

                if (post)
                {
                    yield return new(route, "wrong content type", 415, () => Raw(method, Path(), "<x/>", "application/xml", LocalHostRunner.AdminKey));
                    yield return new(route, "malformed", 400, () => Raw(method, Path(), route.EndsWith("/contacts", StringComparison.Ordinal) ? "name,phone\nJo,not-a-number" : "{\"clinics\":7}", type, LocalHostRunner.AdminKey));
                }

                continue;
            }

            if (route.StartsWith("/api/dashboard/assets", StringComparison.Ordinal))
            {
                // The dashboard's static files are public (no data in them): only files that exist are served.
                yield return new(route, "unknown file", 404, () => Raw(method, "/api/dashboard/assets/appsettings.json", key: null));
                yield return new(route, "path traversal", 404, () => Raw(method, "/api/dashboard/assets/..%2F..%2Fappsettings.json", key: null));
                continue;
            }

            if (route.StartsWith("/api/dashboard", StringComparison.Ordinal))
            {
                // Anonymous at the host (as in the Functions app); the clinic's dashboard token is the key.
                var page = route == "/api/dashboard/{clinicId}";
                HttpRequestMessage Dashboard(string clinic, string? token)
                {
                    var path = Path(clinic).Replace("{callId}", "MjAyNi0xMS0yNnxub3Bl", StringComparison.Ordinal);
                    if (page && token is not null)
                    {
                        return Raw(method, path + "?token=" + Uri.EscapeDataString(token), post ? body : null, key: null);
                    }

                    return token is null
                        ? Raw(method, path, post ? body : null, key: null)
                        : Raw(method, path, post ? body : null, key: null, headers: [("X-Dashboard-Token", token)]);
                }

                yield return new(route, "no key and no dashboard token", 401, () => Dashboard(TestData.UkClinicId, null));
                yield return new(route, "missing auth (the staff token instead)", 401, () => Dashboard(TestData.UkClinicId, "dev-riverside-staff-token-0001"));
                yield return new(route, "wrong dashboard token", 401, () => Dashboard(TestData.UkClinicId, "dev-riverside-dashboard-token-9999"));
                yield return new(route, "other clinic's dashboard token", 401, () => Dashboard(TestData.UkClinicId, "dev-glow-dashboard-token-000001"));
                yield return new(route, "this clinic's token on the other clinic", 401, () => Dashboard("glow-med-spa", "dev-riverside-dashboard-token-0001"));
                yield return new(route, "DELETE", 405, () => Raw(HttpMethod.Delete, Path(), key: null, headers: [("X-Dashboard-Token", "dev-riverside-dashboard-token-0001")]));
                continue;
            }

            (string Name, string Value) Token(string value) => ("X-Clinic-Token", value);
            yield return new(route, "no key", 401, () => Raw(method, Path(), post ? body : null, key: null, headers: [Token("dev-riverside-staff-token-0001")]));
            yield return new(route, "wrong key", 401, () => Raw(method, Path(), post ? body : null, key: "wrong", headers: [Token("dev-riverside-staff-token-0001")]));
            yield return new(route, "missing auth (no staff token)", 401, () => Raw(method, Path(), post ? body : null));
            yield return new(route, "wrong staff token", 401, () => Raw(method, Path(), post ? body : null, headers: [Token("dev-riverside-staff-token-9999")]));
            yield return new(route, "wrong staff token in query", 401, () => Raw(method, Path() + "?token=nope", post ? body : null));
            yield return new(route, "other clinic's staff token", 401, () => Raw(method, Path(), post ? body : null, headers: [Token("dev-glow-staff-token-00000001")]));
            yield return new(route, "this clinic's token on the other clinic", 401, () => Raw(method, Path("glow-med-spa"), post ? body : null, headers: [Token("dev-riverside-staff-token-0001")]));
            yield return new(route, "DELETE", 405, () => Raw(HttpMethod.Delete, Path(), headers: [Token("dev-riverside-staff-token-0001")]));
            if (route.Contains("{caller}", StringComparison.Ordinal))
            {
                yield return new(route, "caller not E.164", 400, () => Raw(method, Path(caller: "12345"), post ? body : null, headers: [Token("dev-riverside-staff-token-0001")]));
            }

            if (route.EndsWith("/reply", StringComparison.Ordinal))
            {
                yield return new(route, "malformed body", 400, () => Raw(method, Path(), "{\"text\":", headers: [Token("dev-riverside-staff-token-0001")]));
                yield return new(route, "text too long", 400, () => Raw(method, Path(), JsonSerializer.Serialize(new { text = new string('t', 1001) }), headers: [Token("dev-riverside-staff-token-0001")]));
            }
        }
    }

    private static byte[] RandomBytes(int max, bool exact = false)
    {
        var bytes = new byte[exact ? max : Random.Shared.Next(1, max)];
        Random.Shared.NextBytes(bytes);
        return bytes;
    }
}
