using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Azure.Data.Tables;
using MissedCallFunctions.Ingest;
using MissedCallFunctions.Storage;
using MissedCallFunctions.Http;
using MissedCallFunctions.Tests.Infrastructure;

namespace MissedCallFunctions.Tests.LocalHost;

/// <summary>Ingest through the real local host over HTTP, with the processor off so the queue itself is inspected.</summary>
public sealed class IngestEndToEndTests : IAsyncLifetime
{
    private LocalHostRunner _host = null!;

    public async Task InitializeAsync() => _host = await LocalHostRunner.StartAsync(runProcessor: false);

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task Ingest_SameTwilioWebhookFiveTimesConcurrently_QueuedExactlyOnce()
    {
        var form = LocalHostRunner.TwilioNoAnswer("CA" + Guid.NewGuid().ToString("N"));

        var responses = await Task.WhenAll(Enumerable.Range(0, 5).Select(_ => _host.Http.SendAsync(_host.TwilioCallback(form))));

        // Twilio executes the answer as TwiML: empty TwiML, the summary in headers.
        Assert.All(responses, r => Assert.Equal((HttpStatusCode.OK, "text/xml"), (r.StatusCode, r.Content.Headers.ContentType?.MediaType)));
        Assert.Equal(1, responses.Sum(r => int.Parse(r.Headers.GetValues(IngestHttpHandler.QueuedHeader).Single(), CultureInfo.InvariantCulture)));
        Assert.Equal(4, responses.Sum(r => int.Parse(r.Headers.GetValues(IngestHttpHandler.DuplicatesHeader).Single(), CultureInfo.InvariantCulture)));
        Assert.Contains("<Response", await responses[0].Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(1, await _host.QueuedCountAsync());
    }

    [Fact]
    public async Task Ingest_SameWebhookFiveTimesInSequence_QueuedExactlyOnce()
    {
        var form = LocalHostRunner.TwilioNoAnswer("CA" + Guid.NewGuid().ToString("N"));
        for (var i = 0; i < 5; i++)
        {
            using var response = await _host.Http.SendAsync(_host.TwilioCallback(form));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        Assert.Equal(1, await _host.QueuedCountAsync());
    }

    [Fact]
    public async Task Ingest_TwoHundredMalformedOrUnsignedRequests_All4xxNothingQueued()
    {
        var cases = BadRequests().Take(200).ToList();
        Assert.Equal(200, cases.Count);

        foreach (var (name, build) in cases)
        {
            using var request = build();
            using var response = await _host.Http.SendAsync(request);
            var status = (int)response.StatusCode;
            Assert.True(status is >= 400 and < 500, $"{name}: expected 4xx, got {status}");
            if (status != 405)
            {
                Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            }
        }

        Assert.Equal(0, await _host.QueuedCountAsync());
    }

    [Fact]
    public async Task Ingest_WithoutFunctionKey_401()
    {
        var form = LocalHostRunner.TwilioNoAnswer("CA" + Guid.NewGuid().ToString("N"));
        using var request = _host.TwilioCallback(form);
        request.RequestUri = new Uri(_host.BaseAddress, "/api/calls/twilio");

        using var response = await _host.Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal(0, await _host.QueuedCountAsync());
    }

    [Fact]
    public async Task Ingest_UnknownClinicNumber_404ProblemDetails()
    {
        var form = LocalHostRunner.TwilioNoAnswer("CA" + Guid.NewGuid().ToString("N"), to: "+442079460777");

        using var response = await _host.Http.SendAsync(_host.TwilioCallback(form));

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("Unknown clinic number", problem.GetProperty("title").GetString());
    }

    [Fact]
    public async Task Ingest_TwilioBehindProxy_ValidatesAgainstForwardedUrl()
    {
        var form = LocalHostRunner.TwilioNoAnswer("CA" + Guid.NewGuid().ToString("N"));
        var publicUrl = $"https://calls.riverside-dental.example/api/calls/twilio?code={LocalHostRunner.FunctionKey}";
        using var request = _host.TwilioCallback(form, sign: false);
        request.Headers.Add("X-Twilio-Signature", LocalHostRunner.TwilioSignature(publicUrl, form, TestData.UkTwilioToken));
        request.Headers.Add("X-Forwarded-Proto", "https");
        request.Headers.Add("X-Forwarded-Host", "calls.riverside-dental.example");

        using var response = await _host.Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Ingest_EventGridValidationHandshake_EchoesCode()
    {
        const string body = """[{"id":"2d1781af-3a4c-4d7c-bd0c-e34b19da4e66","topic":"/subscriptions/x/resourceGroups/rg/providers/Microsoft.Communication/communicationServices/acs","subject":"","data":{"validationCode":"512d38b6-c7b8-40c8-89fe-f46f9e9622b6","validationUrl":"https://rp-eastus2.eventgrid.azure.net:553/eventsubscriptions/x/validate?id=512d38b6"},"eventType":"Microsoft.EventGrid.SubscriptionValidationEvent","eventTime":"2026-11-26T10:00:00Z","metadataVersion":"1","dataVersion":"2"}]""";
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/calls/acs?code={LocalHostRunner.FunctionKey}")
        {
            Content = new StringContent(body, Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("aeg-event-type", "SubscriptionValidation");

        using var response = await _host.Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var json = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("512d38b6-c7b8-40c8-89fe-f46f9e9622b6", json.GetProperty("validationResponse").GetString());
    }

    [Fact]
    public async Task Ingest_CloudEventsOptionsHandshake_AllowsOrigin()
    {
        using var request = new HttpRequestMessage(HttpMethod.Options, $"/api/calls/acs?code={LocalHostRunner.FunctionKey}");
        request.Headers.Add("WebHook-Request-Origin", "eventgrid.azure.net");

        using var response = await _host.Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("eventgrid.azure.net", response.Headers.GetValues("WebHook-Allowed-Origin").Single());
    }

    [Fact]
    public async Task Ingest_RingCentralValidationToken_Echoed()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/calls/ringcentral?code={LocalHostRunner.FunctionKey}")
        {
            Content = new StringContent(string.Empty, Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("Validation-Token", "f5b1a7a2-55c2-4b07-9d8c-0c6b2d0f1e11");

        using var response = await _host.Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("f5b1a7a2-55c2-4b07-9d8c-0c6b2d0f1e11", response.Headers.GetValues("Validation-Token").Single());
    }

    [Fact]
    public async Task AdminLoadClinics_InvalidFile_400WithEveryError()
    {
        const string file = """{"clinics":[{"id":"Bad Id","name":"","country":"XX","timeZone":"Mars/Base","numbers":["12345"]}]}""";
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/admin/clinics") { Content = new StringContent(file, Encoding.UTF8, "application/json") };
        request.Headers.Add("x-functions-key", LocalHostRunner.AdminKey);

        using var response = await _host.Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var errors = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors").EnumerateArray().Select(e => e.GetString()!).ToList();
        Assert.Contains(errors, e => e.StartsWith("clinics[0].id:", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("clinics[0].country:", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("clinics[0].timeZone:", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("clinics[0].numbers[0]:", StringComparison.Ordinal));
    }

    [Fact]
    public async Task AdminLoadClinics_FunctionKeyInsteadOfAdminKey_401()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/admin/clinics")
        {
            Content = new StringContent(File.ReadAllText(SamplePaths.Clinics("clinics.sample.json")), Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("x-functions-key", LocalHostRunner.FunctionKey);

        using var response = await _host.Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task AdminListClinics_NeverReturnsSecrets()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/admin/clinics");
        request.Headers.Add("x-functions-key", LocalHostRunner.AdminKey);

        using var response = await _host.Http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("riverside-dental", text, StringComparison.Ordinal);
        Assert.DoesNotContain("dev-riverside", text, StringComparison.Ordinal);
    }

    /// <summary>Malformed, wrongly typed, oversized, unsigned, wrongly signed and replayed requests.</summary>
    private IEnumerable<(string Name, Func<HttpRequestMessage> Build)> BadRequests()
    {
        var key = LocalHostRunner.FunctionKey;
        var random = new Random(20261126);
        string Generic(int i) => JsonSerializer.Serialize(new
        {
            eventId = $"fuzz-{i}",
            callId = $"fuzz-call-{i}",
            clinicNumber = TestData.UkClinicNumber,
            caller = TestData.UkMobile,
            outcome = "missed",
            occurredAt = DateTimeOffset.UtcNow,
        });

        for (var round = 0; ; round++)
        {
            var i = round;
            // Unsigned, wrongly signed, replayed (generic)
            yield return ($"generic unsigned {i}", () => new HttpRequestMessage(HttpMethod.Post, $"/api/calls/generic?code={key}")
            {
                Content = new StringContent(Generic(i), Encoding.UTF8, "application/json"),
            });
            yield return ($"generic wrong secret {i}", () => _host.GenericEvent(Generic(i), secret: "not-the-clinic-secret-at-all"));
            yield return ($"generic replayed {i}", () => _host.GenericEvent(Generic(i), signedAt: DateTimeOffset.UtcNow.AddMinutes(-30)));
            // Malformed JSON and wrong types
            var junk = new byte[random.Next(1, 300)];
            random.NextBytes(junk);
            yield return ($"generic junk bytes {i}", () => _host.GenericEvent(Encoding.Latin1.GetString(junk)));
            yield return ($"generic wrong types {i}", () => _host.GenericEvent($$"""{"eventId":{{i}},"callId":true,"clinicNumber":[],"caller":{},"outcome":"missed","occurredAt":"yesterday"}"""));
            yield return ($"generic unknown outcome {i}", () => _host.GenericEvent(Generic(i).Replace("\"missed\"", "\"maybe\"", StringComparison.Ordinal)));
            // Oversized
            yield return ($"oversized {i}", () => _host.GenericEvent("{\"pad\":\"" + new string('x', 70_000 + i) + "\"}"));
            // Wrong content type
            yield return ($"wrong content type {i}", () => new HttpRequestMessage(HttpMethod.Post, $"/api/calls/generic?code={key}")
            {
                Content = new StringContent(Generic(i), Encoding.UTF8, "text/plain"),
            });
            // Twilio: unsigned, wrong token, tampered after signing, malformed form
            var form = LocalHostRunner.TwilioNoAnswer($"CAfuzz{i:D26}");
            yield return ($"twilio unsigned {i}", () => _host.TwilioCallback(form, sign: false));
            yield return ($"twilio wrong token {i}", () => _host.TwilioCallback(form, token: "wrong-token"));
            yield return ($"twilio tampered {i}", () =>
            {
                var request = _host.TwilioCallback(form);
                request.Content = new FormUrlEncodedContent(form.Select(p => p.Key == "From" ? new KeyValuePair<string, string>("From", "+447400123999") : p));
                return request;
            });
            yield return ($"twilio malformed {i}", () => new HttpRequestMessage(HttpMethod.Post, $"/api/calls/twilio?code={key}")
            {
                Content = new StringContent("CallSid=%ZZ&&=&From", Encoding.UTF8, "application/x-www-form-urlencoded"),
            });
            // Other providers: unsigned or malformed, unknown provider, wrong method
            yield return ($"telnyx unsigned {i}", () => new HttpRequestMessage(HttpMethod.Post, $"/api/calls/telnyx?code={key}")
            {
                Content = new StringContent($$$"""{"data":{"event_type":"call.hangup","id":"fuzz-{{{i}}}","occurred_at":"2026-11-26T10:00:00Z","payload":{"call_session_id":"s{{{i}}}","from":"{{{TestData.UkMobile}}}","to":"{{{TestData.UkClinicNumber}}}","hangup_cause":"no_answer","hangup_source":"callee","start_time":"2026-11-26T09:59:30Z"} } }""", Encoding.UTF8, "application/json"),
            });
            yield return ($"vonage unsigned {i}", () => new HttpRequestMessage(HttpMethod.Post, $"/api/calls/vonage?code={key}")
            {
                Content = new StringContent($$"""{"from":"447400123456","to":"442079460000","uuid":"u{{i}}","conversation_uuid":"CON-{{i}}","status":"unanswered","direction":"inbound","timestamp":"2026-11-26T10:00:00.000Z"}""", Encoding.UTF8, "application/json"),
            });
            yield return ($"acs malformed {i}", () => new HttpRequestMessage(HttpMethod.Post, $"/api/calls/acs?code={key}")
            {
                Content = new StringContent("[{\"id\":" + i + "}", Encoding.UTF8, "application/json"),
            });
            yield return ($"ringcentral wrong token {i}", () =>
            {
                var request = new HttpRequestMessage(HttpMethod.Post, $"/api/calls/ringcentral?code={key}")
                {
                    Content = new StringContent($$$"""{"uuid":"u{{{i}}}","event":"/restapi/v1.0/account/~/telephony/sessions","timestamp":"2026-11-26T10:00:00Z","subscriptionId":"s","body":{"sequence":{{{i + 1}}},"sessionId":"1","telephonySessionId":"t{{{i}}}","parties":[{"id":"p","direction":"Inbound","from":{"phoneNumber":"{{{TestData.UkMobile}}}"},"to":{"phoneNumber":"{{{TestData.UkClinicNumber}}}"},"status":{"code":"Disconnected","reason":"NoAnswer"},"missedCall":true}]}}""", Encoding.UTF8, "application/json"),
                };
                request.Headers.Add("Verification-Token", "wrong");
                return request;
            });
            yield return ($"unknown provider {i}", () => new HttpRequestMessage(HttpMethod.Post, $"/api/calls/nosuch{i}?code={key}")
            {
                Content = new StringContent("{}", Encoding.UTF8, "application/json"),
            });
            yield return ($"empty body {i}", () => _host.GenericEvent(string.Empty));
            yield return ($"wrong method {i}", () => new HttpRequestMessage(HttpMethod.Get, $"/api/calls/generic?code={key}"));
            yield return ($"generic batch too big {i}", () => _host.GenericEvent("[" + string.Join(",", Enumerable.Range(0, 101).Select(Generic)) + "]"));
        }
    }
}

/// <summary>Ingest and processor together through the local host: what the README's curl shows.</summary>
public sealed class PipelineEndToEndTests : IAsyncLifetime
{
    private LocalHostRunner _host = null!;

    public async Task InitializeAsync() => _host = await LocalHostRunner.StartAsync(runProcessor: true);

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task TwilioNoAnswer_AcceptedThenRecordedAsMissedCallToRecover()
    {
        var callSid = "CA" + Guid.NewGuid().ToString("N");

        using var response = await _host.Http.SendAsync(_host.TwilioCallback(LocalHostRunner.TwilioNoAnswer(callSid)));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode); // empty TwiML: the call ends, no "application error" for the caller

        var row = await WaitForAuditAsync($"twilio:{callSid}:dial:no-answer");
        Assert.Equal("Recover", row.GetString("Decision"));
        Assert.Equal(TestData.UkMobile, row.GetString("CallerNumber"));
        Assert.Equal("Missed", row.GetString("Outcome"));
        using var calls = new HttpRequestMessage(HttpMethod.Get, $"/api/admin/clinics/{TestData.UkClinicId}/calls?limit=5");
        calls.Headers.Add("x-functions-key", LocalHostRunner.AdminKey);
        var listed = (await (await _host.Http.SendAsync(calls)).Content.ReadFromJsonAsync<JsonElement>()).EnumerateArray()
            .Single(c => c.GetProperty("messageId").GetString() == $"twilio:{callSid}:dial:no-answer");
        Assert.Equal("+44*******456", listed.GetProperty("callerMasked").GetString());
        Assert.Equal("Recover", listed.GetProperty("decision").GetString());
        Assert.DoesNotContain("7400123456", listed.GetRawText(), StringComparison.Ordinal);
        var recovery = await _host.Get<MissedCallFunctions.Recovery.IRecoveryRegistry>().GetAsync(TestData.UkClinicId, TestData.UkMobile, CancellationToken.None);
        Assert.NotNull(recovery);
    }

    [Fact]
    public async Task GenericWithheldCaller_RecordedAsSuppressed()
    {
        var id = "evt-" + Guid.NewGuid().ToString("N");
        var json = $$"""{"eventId":"{{id}}","callId":"c-{{id}}","clinicNumber":"{{TestData.UkClinicNumber}}","caller":"anonymous","outcome":"missed","ringSeconds":30,"occurredAt":"{{DateTimeOffset.UtcNow:O}}"}""";

        using var response = await _host.Http.SendAsync(_host.GenericEvent(json));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);

        var row = await WaitForAuditAsync($"generic:{id}");
        Assert.Equal("Suppressed", row.GetString("Decision"));
        Assert.Equal("withheld-number", row.GetString("Reason"));
    }

    /// <summary>Ingest refuses such events; the processor's check stays as the backstop for anything else that writes the queue.</summary>
    [Fact]
    public async Task PoisonEvent_ImpossibleContentOnTheQueue_MovedToPoisonQueueWithReason()
    {
        var id = "evt-" + Guid.NewGuid().ToString("N");
        await _host.Get<ICallEventPublisher>().PublishAsync(TestData.MissedCall(eventId: id, at: DateTimeOffset.UtcNow.AddDays(30)), null, CancellationToken.None);

        var poison = _host.Get<StorageClients>().Queues.GetQueueClient(_host.QueueName + "-poison");
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (DateTime.UtcNow < deadline)
        {
            var peeked = (await poison.PeekMessagesAsync(32)).Value;
            var match = peeked.FirstOrDefault(m => m.Body.ToString().Contains(id, StringComparison.Ordinal));
            if (match is not null)
            {
                var record = JsonDocument.Parse(match.Body.ToString()).RootElement;
                Assert.Equal("ImpossibleCallEvent", record.GetProperty("reason").GetString());
                return;
            }

            await Task.Delay(100);
        }

        Assert.Fail("The poison event never reached the poison queue.");
    }

    private async Task<TableEntity> WaitForAuditAsync(string messageId)
    {
        var audit = _host.Get<StorageClients>().Table(TableNames.CallAudit);
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (DateTime.UtcNow < deadline)
        {
            var row = await audit.GetEntityIfExistsAsync<TableEntity>(TestData.UkClinicId, TableKeys.Escape(messageId));
            if (row.HasValue)
            {
                return row.Value!;
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"No audit row for {messageId} within 20 s.");
    }
}
