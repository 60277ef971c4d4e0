using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Time.Testing;
using MissedCallFunctions.LocalHost.SmsSandbox;

namespace MissedCallFunctions.Tests.Messaging;

/// <summary>The sandbox's HTTP contract, exercised with hand-signed requests.</summary>
public sealed class SmsSandboxTests
{
    private const string Clinic = "+447700900001";
    private const string Patient = "+447700900123";

    [Fact]
    public async Task Post_SignedByHand_Answers202WithTheAcsShape()
    {
        await using var server = await SandboxServer.StartAsync();
        using var http = server.CreateHttpClient();

        using var response = await http.SendAsync(Signed(server, "/sandbox/acs/sms?api-version=2021-03-07", SendBody(Patient, Guid.NewGuid())));

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var item = (await response.Content.ReadFromJsonAsync<JsonObject>())!["value"]!.AsArray().Single()!.AsObject();
        Assert.Equal(Patient, (string?)item["to"]);
        Assert.Equal(202, (int?)item["httpStatusCode"]);
        Assert.Equal("accepted", (string?)item["repeatabilityResult"]);
        Assert.True((bool?)item["successful"]);
        Assert.Equal(server.Sandbox.Messages.Single().MessageId, (string?)item["messageId"]);
    }

    [Theory]
    [InlineData("/sandbox/acs/sms", "MissingApiVersionParameter")]
    [InlineData("/sandbox/acs/sms?api-version=2020-07-20", "UnsupportedApiVersion")]
    public async Task Post_MissingOrUnknownApiVersion_Answers400(string target, string code)
    {
        await using var server = await SandboxServer.StartAsync();
        using var http = server.CreateHttpClient();

        using var response = await http.SendAsync(Signed(server, target, SendBody(Patient, Guid.NewGuid())));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(code, (string?)(await response.Content.ReadFromJsonAsync<JsonObject>())!["error"]!["code"]);
        Assert.Empty(server.Sandbox.Messages);
    }

    [Fact]
    public async Task Post_LoneSurrogateInTheMessage_Answers400NotA500()
    {
        await using var server = await SandboxServer.StartAsync();
        using var http = server.CreateHttpClient();
        var body = SendBody(Patient, Guid.NewGuid(), message: "PLACEHOLDER").Replace("PLACEHOLDER", "\\uD800", StringComparison.Ordinal);

        using var response = await http.SendAsync(Signed(server, "/sandbox/acs/sms?api-version=2021-03-07", body));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Empty(server.Sandbox.Messages);
    }

    [Fact]
    public async Task Post_DateOlderThan15Minutes_Answers401()
    {
        await using var server = await SandboxServer.StartAsync();
        using var http = server.CreateHttpClient();

        using var response = await http.SendAsync(Signed(server, "/sandbox/acs/sms?api-version=2021-03-07", SendBody(Patient, Guid.NewGuid()),
            date: DateTimeOffset.UtcNow.AddMinutes(-16)));

        await AssertUnauthorizedAsync(response, "minutes");
    }

    [Fact]
    public async Task Post_BodyChangedAfterSigning_Answers401()
    {
        await using var server = await SandboxServer.StartAsync();
        using var http = server.CreateHttpClient();
        var request = Signed(server, "/sandbox/acs/sms?api-version=2021-03-07", SendBody(Patient, Guid.NewGuid()));
        request.Content = new StringContent(SendBody("+447700900999", Guid.NewGuid()), Encoding.UTF8, "application/json");

        using var response = await http.SendAsync(request);

        await AssertUnauthorizedAsync(response, "x-ms-content-sha256");
    }

    [Fact]
    public async Task Post_SignedForAnotherPath_Answers401()
    {
        await using var server = await SandboxServer.StartAsync();
        using var http = server.CreateHttpClient();
        // The mistake a client makes when it signs "/sms?..." instead of the path it sends to.
        var request = Signed(server, "/sandbox/acs/sms?api-version=2021-03-07", SendBody(Patient, Guid.NewGuid()), signedTarget: "/sms?api-version=2021-03-07");

        using var response = await http.SendAsync(request);

        await AssertUnauthorizedAsync(response, "signature does not match");
    }

    [Fact]
    public async Task Post_LegacyDateSignedHeaders_IsAccepted()
    {
        await using var server = await SandboxServer.StartAsync();
        using var http = server.CreateHttpClient();

        using var response = await http.SendAsync(Signed(server, "/sandbox/acs/sms?api-version=2021-03-07", SendBody(Patient, Guid.NewGuid()), legacyDate: true));

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal("date;host;x-ms-content-sha256", server.Sandbox.Requests.Single().SignedHeaders);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("Basic dXNlcjpwYXNz")]
    [InlineData("Bearer some-token")]
    public async Task Post_WithoutHmac_Answers401WithAnAcsErrorBody(string? authorization)
    {
        await using var server = await SandboxServer.StartAsync();
        using var http = server.CreateHttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/sandbox/acs/sms?api-version=2021-03-07")
        {
            Content = new StringContent(SendBody(Patient, Guid.NewGuid()), Encoding.UTF8, "application/json"),
        };
        if (authorization is not null)
        {
            request.Headers.TryAddWithoutValidation("Authorization", authorization);
        }

        using var response = await http.SendAsync(request);

        await AssertUnauthorizedAsync(response, "");
    }

    [Fact]
    public async Task Post_RepeatabilityIdWithoutFirstSent_IsRejectedPerRecipient()
    {
        await using var server = await SandboxServer.StartAsync();
        using var http = server.CreateHttpClient();
        var body = $$$"""{"from":"{{{Clinic}}}","smsRecipients":[{"to":"{{{Patient}}}","repeatabilityRequestId":"{{{Guid.NewGuid()}}}"}],"message":"hi","smsSendOptions":{"enableDeliveryReport":true}}""";

        using var response = await http.SendAsync(Signed(server, "/sandbox/acs/sms?api-version=2021-03-07", body));

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var item = (await response.Content.ReadFromJsonAsync<JsonObject>())!["value"]![0]!;
        Assert.Equal(400, (int?)item["httpStatusCode"]);
        Assert.Equal("rejected", (string?)item["repeatabilityResult"]);
        Assert.False((bool?)item["successful"]);
        Assert.Empty(server.Sandbox.Messages);
    }

    [Fact]
    public async Task Post_MessageOver2048Characters_Answers400()
    {
        await using var server = await SandboxServer.StartAsync();
        using var http = server.CreateHttpClient();

        using var response = await http.SendAsync(Signed(server, "/sandbox/acs/sms?api-version=2021-03-07", SendBody(Patient, Guid.NewGuid(), new string('x', 2049))));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task Faults_WindowPassed_ThePostWorksAgain()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var server = await SandboxServer.StartAsync(timeProvider: time);
        using var http = server.CreateHttpClient();
        server.Sandbox.InjectFaults(SmsSandboxFault.ServiceUnavailable, time.GetUtcNow().AddMinutes(1));

        using var during = await http.SendAsync(Signed(server, "/sandbox/acs/sms?api-version=2021-03-07", SendBody(Patient, Guid.NewGuid())));
        Assert.Equal(SmsSandboxFault.ServiceUnavailable, server.Sandbox.ActiveFault);
        time.Advance(TimeSpan.FromMinutes(2));
        using var after = await http.SendAsync(Signed(server, "/sandbox/acs/sms?api-version=2021-03-07", SendBody(Patient, Guid.NewGuid())));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, during.StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, after.StatusCode);
        Assert.Null(server.Sandbox.ActiveFault);
    }

    [Fact]
    public async Task Faults_429_CarriesRetryAfterForTheRestOfTheWindow()
    {
        await using var server = await SandboxServer.StartAsync();
        using var http = server.CreateHttpClient();
        server.Sandbox.InjectFaults(SmsSandboxFault.TooManyRequests, DateTimeOffset.UtcNow.AddSeconds(20));

        using var response = await http.SendAsync(Signed(server, "/sandbox/acs/sms?api-version=2021-03-07", SendBody(Patient, Guid.NewGuid())));

        Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
        Assert.InRange(response.Headers.RetryAfter!.Delta!.Value, TimeSpan.FromSeconds(19), TimeSpan.FromSeconds(20));
        Assert.Equal(SmsSandboxFault.TooManyRequests, server.Sandbox.Requests.Single().Fault);
    }

    [Fact]
    public async Task Faults_OtherStatus_CanBeCastIn()
    {
        await using var server = await SandboxServer.StartAsync();
        using var http = server.CreateHttpClient();
        server.Sandbox.InjectFaults((SmsSandboxFault)500, DateTimeOffset.UtcNow.AddSeconds(20));

        using var response = await http.SendAsync(Signed(server, "/sandbox/acs/sms?api-version=2021-03-07", SendBody(Patient, Guid.NewGuid())));

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
    }

    [Fact]
    public void Faults_NotAnErrorStatus_AreRefused()
    {
        var sandbox = new SmsSandbox();

        Assert.Throws<ArgumentOutOfRangeException>(() => sandbox.InjectFaults((SmsSandboxFault)200, DateTimeOffset.UtcNow.AddSeconds(1)));
    }

    [Fact]
    public async Task Messages_ForAPhone_ListsBothDirections_EvenWithAnUnencodedPlus()
    {
        await using var server = await SandboxServer.StartAsync();
        using var http = server.CreateHttpClient();
        using var sent = await http.SendAsync(Signed(server, "/sandbox/acs/sms?api-version=2021-03-07", SendBody(Patient, Guid.NewGuid(), "We missed your call")));
        server.Sandbox.Reply(Patient, Clinic, "Yes please call me");
        server.Sandbox.Reply("+447700900777", Clinic, "someone else");

        var encoded = await http.GetFromJsonAsync<JsonArray>("/sandbox/acs/messages?phone=%2B447700900123");
        var unencoded = await http.GetFromJsonAsync<JsonArray>("/sandbox/acs/messages?phone=+447700900123");

        Assert.NotNull(encoded);
        Assert.Equal(["Outbound", "Inbound"], encoded.Select(m => (string?)m!["direction"]));
        Assert.Equal(["We missed your call", "Yes please call me"], encoded!.Select(m => (string?)m!["body"]));
        Assert.Equal(encoded.ToJsonString(), unencoded!.ToJsonString());
        Assert.StartsWith("Incoming_", (string?)encoded[1]!["messageId"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task WaitForSent_MessageArrivesLater_Completes()
    {
        await using var server = await SandboxServer.StartAsync();
        using var http = server.CreateHttpClient();
        var waiting = server.Sandbox.WaitForSentAsync(Patient, TimeSpan.FromSeconds(10));

        Assert.False(waiting.IsCompleted);
        using var sent = await http.SendAsync(Signed(server, "/sandbox/acs/sms?api-version=2021-03-07", SendBody(Patient, Guid.NewGuid())));
        var message = await waiting;

        Assert.Equal(Patient, message.To);
    }

    [Fact]
    public async Task WaitForSent_AlreadyStored_CompletesAtOnce_AndTimesOutOtherwise()
    {
        await using var server = await SandboxServer.StartAsync();
        using var http = server.CreateHttpClient();
        using var sent = await http.SendAsync(Signed(server, "/sandbox/acs/sms?api-version=2021-03-07", SendBody(Patient, Guid.NewGuid())));

        Assert.Equal(Patient, (await server.Sandbox.WaitForSentAsync(Patient, TimeSpan.FromSeconds(1))).To);
        await Assert.ThrowsAsync<TimeoutException>(() => server.Sandbox.WaitForSentAsync("+447700900999", TimeSpan.FromMilliseconds(100)));
    }

    [Fact]
    public void Events_SmsReceived_EventGridSchemaArray()
    {
        var sandbox = new SmsSandbox();
        var reply = sandbox.Reply(Patient, Clinic, "STOP");

        var json = JsonNode.Parse(SandboxEvents.SmsReceived(reply).ToEventGridJson())!.AsArray();

        var e = Assert.Single(json)!;
        Assert.Equal(reply.MessageId, (string?)e["id"]);
        Assert.Equal("Microsoft.Communication.SMSReceived", (string?)e["eventType"]);
        Assert.Equal(SandboxEvents.DefaultSource, (string?)e["topic"]);
        Assert.Equal("/phonenumber/447700900001", (string?)e["subject"]);
        Assert.Equal("1.0", (string?)e["dataVersion"]);
        Assert.Equal("1", (string?)e["metadataVersion"]);
        Assert.NotNull(e["eventTime"]);
        var data = e["data"]!;
        Assert.Equal(reply.MessageId, (string?)data["messageId"]);
        Assert.Equal(Patient, (string?)data["from"]);
        Assert.Equal(Clinic, (string?)data["to"]);
        Assert.Equal("STOP", (string?)data["message"]);
        Assert.Equal(1, (int?)data["segmentCount"]);
        Assert.Equal(reply.Timestamp, DateTimeOffset.Parse((string)data["receivedTimestamp"]!, CultureInfo.InvariantCulture));
    }

    [Fact]
    public void Events_SmsReceived_CloudEventAndDocExampleShape()
    {
        var e = JsonNode.Parse(SandboxEvents.SmsReceived(Patient, Clinic, "Yes", DateTimeOffset.UtcNow, shape: SandboxEventShape.DocExample).ToCloudEventJson())!;

        Assert.Equal("1.0", (string?)e["specversion"]);
        Assert.Equal("Microsoft.Communication.SMSReceived", (string?)e["type"]);
        Assert.Equal(SandboxEvents.DefaultSource, (string?)e["source"]);
        Assert.Equal("447700900123", (string?)e["data"]!["From"]);
        Assert.Equal("Yes", (string?)e["data"]!["Message"]);
        Assert.Null(e["data"]!["message"]);
    }

    [Fact]
    public async Task Events_DeliveryReport_ForASentMessage_CarriesItsIdAndTag()
    {
        await using var server = await SandboxServer.StartAsync();
        using var http = server.CreateHttpClient();
        using var sent = await http.SendAsync(Signed(server, "/sandbox/acs/sms?api-version=2021-03-07", SendBody(Patient, Guid.NewGuid())));
        var message = server.Sandbox.Messages.Single();

        var delivered = JsonNode.Parse(SandboxEvents.DeliveryReport(message).ToEventGridJson())!.AsArray().Single()!;
        var blocked = SandboxEvents.CarrierBlocked(message).ToCloudEvent();

        Assert.Equal("Microsoft.Communication.SMSDeliveryReportReceived", (string?)delivered["eventType"]);
        Assert.Equal(message.MessageId, (string?)delivered["data"]!["messageId"]);
        Assert.Equal("Delivered", (string?)delivered["data"]!["deliveryStatus"]);
        Assert.Equal("t-1", (string?)delivered["data"]!["tag"]);
        Assert.Equal(1, (int?)delivered["data"]!["deliveryAttempts"]![0]!["segmentsSucceeded"]);
        Assert.Equal("Failed", (string?)blocked["data"]!["deliveryStatus"]);
        Assert.Equal("Sender blocked for given recipient.", (string?)blocked["data"]!["deliveryStatusDetails"]);
        Assert.Equal(1, (int?)blocked["data"]!["deliveryAttempts"]![0]!["segmentsFailed"]);
    }

    [Theory]
    [InlineData("Hello", 1)]
    [InlineData("€uro {braces}", 1)]
    [InlineData("Hi 😊", 1)]
    public void SegmentCount_ShortTexts_AreOneSegment(string text, int expected)
    {
        Assert.Equal(expected, SandboxEvents.SegmentCount(text));
    }

    [Fact]
    public void SegmentCount_LongTexts_SplitByEncoding()
    {
        Assert.Equal(1, SandboxEvents.SegmentCount(new string('a', 160)));
        Assert.Equal(2, SandboxEvents.SegmentCount(new string('a', 161)));
        Assert.Equal(2, SandboxEvents.SegmentCount(new string('é', 71) + "ж"));
    }

    [Fact]
    public void Options_ConnectionString_PointsAtThePrefixOnLoopback()
    {
        var options = new SmsSandboxOptions { Port = 5123 };

        Assert.Equal($"endpoint=http://127.0.0.1:5123/sandbox/acs;accesskey={SmsSandboxOptions.DevelopmentAccessKey}", options.ConnectionString);
        Assert.Equal(options.ConnectionString, options.ConnectionStringFor(new Uri("http://127.0.0.1:5123/")));
    }

    private static async Task AssertUnauthorizedAsync(HttpResponseMessage response, string reason)
    {
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        var error = (await response.Content.ReadFromJsonAsync<JsonObject>())!["error"]!;
        Assert.Equal("Unauthorized", (string?)error["code"]);
        Assert.Contains(reason, (string?)error["message"], StringComparison.Ordinal);
    }

    private static string SendBody(string to, Guid repeatabilityId, string message = "hi") =>
        JsonSerializer.Serialize(new
        {
            from = Clinic,
            smsRecipients = new[]
            {
                new { to, repeatabilityRequestId = repeatabilityId.ToString(), repeatabilityFirstSent = DateTimeOffset.UtcNow.ToString("r", CultureInfo.InvariantCulture) },
            },
            message,
            smsSendOptions = new { enableDeliveryReport = true, tag = "t-1" },
        });

    /// <summary>Signs like an ACS client, computed here independently of the product code.</summary>
    private static HttpRequestMessage Signed(SandboxServer server, string target, string body, DateTimeOffset? date = null, string? signedTarget = null,
        bool legacyDate = false)
    {
        var bytes = Encoding.UTF8.GetBytes(body);
        var hash = Convert.ToBase64String(SHA256.HashData(bytes));
        var dateText = (date ?? DateTimeOffset.UtcNow).ToString("r", CultureInfo.InvariantCulture);
        var host = server.BaseAddress.Authority;
        var toSign = $"POST\n{signedTarget ?? target}\n{dateText};{host};{hash}";
        var signature = Convert.ToBase64String(HMACSHA256.HashData(Convert.FromBase64String(server.Sandbox.Options.AccessKey), Encoding.ASCII.GetBytes(toSign)));
        var request = new HttpRequestMessage(HttpMethod.Post, target) { Content = new ByteArrayContent(bytes) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.TryAddWithoutValidation(legacyDate ? "Date" : "x-ms-date", dateText);
        request.Headers.TryAddWithoutValidation("x-ms-content-sha256", hash);
        request.Headers.TryAddWithoutValidation("Authorization",
            $"HMAC-SHA256 SignedHeaders={(legacyDate ? "date" : "x-ms-date")};host;x-ms-content-sha256&Signature={signature}");
        return request;
    }
}
