using System.Net;
using System.Text.Json;
using Azure.Core.Pipeline;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using MissedCallFunctions.Messaging;

namespace MissedCallFunctions.Tests.Messaging;

/// <summary>The request AcsSmsClient builds and how it maps ACS answers, against a scripted transport.</summary>
public sealed class AcsSmsClientResponseTests
{
    private const string Key = "dGVzdC12ZWN0b3ItYWNjZXNzLWtleS0wMTIzNDU2Nzg5YWJjZGVm";
    private const string To = "+447700900123";

    private static readonly OutgoingSms Sms = new("+447700900001", To, "Sorry we missed your call. Reply 1 for a call back.",
        "3f1c8a52-4b1e-4c7e-9d55-0d1f2a3b4c5d", new DateTimeOffset(2026, 3, 2, 14, 6, 0, TimeSpan.Zero), "recovery-42");

    [Fact]
    public async Task Send_Always_PostsTheAcsBodyWithPerRecipientRepeatability()
    {
        var (client, handler, _) = Client((_, _) => Accepted(To, "Outgoing_1"), endpoint: "https://contoso.communication.azure.com/");

        await client.SendAsync(Sms, CancellationToken.None);

        var request = Assert.Single(handler.Requests);
        Assert.Equal("POST", request.Method);
        Assert.Equal("https://contoso.communication.azure.com/sms?api-version=2021-03-07", request.Uri.ToString());
        Assert.Equal("application/json", request.Header("Accept"));
        Assert.StartsWith("application/json", request.Header("Content-Type"), StringComparison.Ordinal);
        Assert.StartsWith("HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature=", request.Header("Authorization"), StringComparison.Ordinal);

        using var body = JsonDocument.Parse(request.Body);
        var root = body.RootElement;
        Assert.Equal("+447700900001", root.GetProperty("from").GetString());
        Assert.Equal(Sms.Body, root.GetProperty("message").GetString());
        var recipient = Assert.Single(root.GetProperty("smsRecipients").EnumerateArray());
        Assert.Equal(To, recipient.GetProperty("to").GetString());
        Assert.Equal(Sms.RepeatabilityRequestId, recipient.GetProperty("repeatabilityRequestId").GetString());
        Assert.Equal("Mon, 02 Mar 2026 14:06:00 GMT", recipient.GetProperty("repeatabilityFirstSent").GetString());
        Assert.True(root.GetProperty("smsSendOptions").GetProperty("enableDeliveryReport").GetBoolean());
        Assert.Equal("recovery-42", root.GetProperty("smsSendOptions").GetProperty("tag").GetString());
        Assert.Contains("\"+447700900123\"", System.Text.Encoding.UTF8.GetString(request.Body), StringComparison.Ordinal); // '+' not escaped
    }

    [Fact]
    public async Task Send_ConfiguredApiVersion_IsUsed()
    {
        var (client, handler, _) = Client((_, _) => Accepted(To, "m"), apiVersion: "2026-01-23");

        await client.SendAsync(Sms, CancellationToken.None);

        Assert.EndsWith("/sms?api-version=2026-01-23", Assert.Single(handler.Requests).Uri.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Send_Accepted_ReturnsTheMessageIdAndLogsOnlyAMaskedNumber()
    {
        var (client, _, logs) = Client((_, _) => Accepted(To, "Outgoing_20200610203725bfd4ba70"));

        var result = await client.SendAsync(Sms, CancellationToken.None);

        Assert.Equal(new SmsSendResult("Outgoing_20200610203725bfd4ba70", true, 202, null, false), result);
        var record = Assert.Single(logs.GetSnapshot());
        Assert.Equal(LogLevel.Information, record.Level);
        Assert.Contains("+44*******123", record.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(To, record.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("missed your call", record.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Send_RecipientFailedIn202_ReturnsRefusedWithTheReason()
    {
        var (client, _, _) = Client((_, _) => ScriptedHandler.Json(HttpStatusCode.Accepted,
            $$"""{"value":[{"to":"{{To}}","httpStatusCode":400,"repeatabilityResult":"accepted","successful":false,"errorMessage":"Invalid To phone number format."}]}"""));

        var result = await client.SendAsync(Sms, CancellationToken.None);

        Assert.Equal(new SmsSendResult(null, false, 400, "Invalid To phone number format.", false, false), result);
    }

    [Fact]
    public async Task Send_RecipientBlockedByCarrier_FlagsTheOptOutSignal()
    {
        var (client, _, _) = Client((_, _) => ScriptedHandler.Json(HttpStatusCode.Accepted,
            $$"""{"value":[{"to":"{{To}}","httpStatusCode":400,"successful":false,"errorMessage":"Sender blocked for given recipient."}]}"""));

        var result = await client.SendAsync(Sms, CancellationToken.None);

        Assert.False(result.Accepted);
        Assert.True(result.OptOutSignal);
    }

    [Fact]
    public async Task Send_RecipientFailedWith503In202_ThrowsTransient()
    {
        var (client, _, _) = Client((_, _) => ScriptedHandler.Json(HttpStatusCode.Accepted,
            $$"""{"value":[{"to":"{{To}}","httpStatusCode":503,"successful":false,"errorMessage":"ServiceUnavailable"}]}"""));

        var error = await Assert.ThrowsAsync<SmsTransientException>(() => client.SendAsync(Sms, CancellationToken.None));

        Assert.Equal(503, error.StatusCode);
    }

    [Fact]
    public async Task Send_RepeatabilityRejected_ReturnsRefused()
    {
        var (client, _, _) = Client((_, _) => ScriptedHandler.Json(HttpStatusCode.Accepted,
            $$"""{"value":[{"to":"{{To}}","httpStatusCode":400,"repeatabilityResult":"rejected","successful":false,"errorMessage":"Request sent with Invalid DateTime value for repeatability-first-sent. Expected is DateTime ,RFC1123 pattern."}]}"""));

        var result = await client.SendAsync(Sms, CancellationToken.None);

        Assert.False(result.Accepted);
        Assert.False(result.Retryable);
        Assert.Contains("repeatability-first-sent", result.ErrorMessage, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Send_PascalCaseAnswer_IsReadCaseInsensitively()
    {
        var (client, _, _) = Client((_, _) => ScriptedHandler.Json(HttpStatusCode.Accepted,
            $$"""{"Value":[{"To":"{{To}}","MessageId":"abc","HttpStatusCode":202,"Successful":true}]}"""));

        Assert.Equal("abc", (await client.SendAsync(Sms, CancellationToken.None)).ProviderMessageId);
    }

    [Fact]
    public async Task Send_RequestLevel400ProblemDetails_ReturnsRefusedWithTitleAndErrors()
    {
        var (client, _, _) = Client((_, _) => ScriptedHandler.Json(HttpStatusCode.BadRequest,
            """{"type":"https://tools.ietf.org/html/rfc7231#section-6.5.1","title":"One or more validation errors occurred.","status":400,"errors":{"From":["The From field is required."]}}"""));

        var result = await client.SendAsync(Sms, CancellationToken.None);

        Assert.False(result.Accepted);
        Assert.Equal(400, result.HttpStatusCode);
        Assert.Equal("One or more validation errors occurred. From: The From field is required.", result.ErrorMessage);
    }

    [Theory]
    [InlineData(HttpStatusCode.TooManyRequests)]
    [InlineData(HttpStatusCode.InternalServerError)]
    [InlineData(HttpStatusCode.BadGateway)]
    [InlineData(HttpStatusCode.ServiceUnavailable)]
    [InlineData(HttpStatusCode.GatewayTimeout)]
    [InlineData(HttpStatusCode.RequestTimeout)]
    public async Task Send_TransientStatus_ThrowsTransientAfterOneAttempt(HttpStatusCode status)
    {
        var (client, handler, _) = Client((_, _) => ScriptedHandler.Json(status, """{"error":{"code":"Busy","message":"Try later"}}""",
            r => r.Headers.TryAddWithoutValidation("Retry-After", "7")));

        var error = await Assert.ThrowsAsync<SmsTransientException>(() => client.SendAsync(Sms, CancellationToken.None));

        Assert.Equal((int)status, error.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(7), error.RetryAfter);
        Assert.Single(handler.Requests); // the pipeline does not retry: the Durable policy does
    }

    [Theory]
    [InlineData(HttpStatusCode.Unauthorized)]
    [InlineData(HttpStatusCode.Forbidden)]
    [InlineData(HttpStatusCode.NotFound)]
    public async Task Send_AuthOrRoutingFailure_ThrowsChannelException(HttpStatusCode status)
    {
        var (client, _, _) = Client((_, _) => ScriptedHandler.Json(status, """{"error":{"code":"Denied","message":"Denied by the resource provider."}}"""));

        var error = await Assert.ThrowsAsync<SmsChannelException>(() => client.SendAsync(Sms, CancellationToken.None));

        Assert.Equal((int)status, error.StatusCode);
        Assert.Contains("Denied", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Send_202WithoutJson_ThrowsChannelException()
    {
        var (client, _, _) = Client((_, _) => new HttpResponseMessage(HttpStatusCode.Accepted) { Content = new StringContent("<html/>") });

        await Assert.ThrowsAsync<SmsChannelException>(() => client.SendAsync(Sms, CancellationToken.None));
    }

    [Fact]
    public async Task Send_NetworkFailure_ThrowsTransient()
    {
        var (client, _, _) = Client((_, _) => throw new HttpRequestException("Connection refused"));

        var error = await Assert.ThrowsAsync<SmsTransientException>(() => client.SendAsync(Sms, CancellationToken.None));

        Assert.Null(error.StatusCode);
    }

    [Fact]
    public async Task Send_CallerCancels_ThrowsOperationCanceled()
    {
        var (client, _, _) = Client((_, _) => Accepted(To, "m"));
        using var cts = new CancellationTokenSource();
        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => client.SendAsync(Sms, cts.Token));
    }

    [Theory]
    [InlineData("not-a-guid")]
    [InlineData("")]
    public async Task Send_RepeatabilityIdNotAGuid_IsRejectedBeforeSending(string id)
    {
        var (client, handler, _) = Client((_, _) => Accepted(To, "m"));

        await Assert.ThrowsAsync<ArgumentException>(() => client.SendAsync(Sms with { RepeatabilityRequestId = id }, CancellationToken.None));
        Assert.Empty(handler.Requests);
    }

    [Fact]
    public void Options_Defaults_AreMinimalRetriesAndATenSecondTimeout()
    {
        var options = new AcsSmsClientOptions();

        Assert.Equal(0, options.Retry.MaxRetries);
        Assert.Equal(TimeSpan.FromSeconds(10), options.Retry.NetworkTimeout);
        Assert.Equal("2021-03-07", options.ApiVersion);
    }

    [Theory]
    [InlineData("Sender blocked for given recipient.", null, true)]
    [InlineData("sender BLOCKED for given recipient", null, true)]
    [InlineData("Attempt to send to unsubscribed recipient", "21610", true)]
    [InlineData("Twilio error 21610: unsubscribed", null, true)]
    [InlineData("Invalid To phone number format.", null, false)]
    [InlineData(null, null, false)]
    public void CarrierBlockSignals_Recognize_AcsAndTwilioBlocks(string? message, string? code, bool expected)
    {
        Assert.Equal(expected, CarrierBlockSignals.IsCarrierBlock(message, code));
    }

    private static HttpResponseMessage Accepted(string to, string messageId) => ScriptedHandler.Json(HttpStatusCode.Accepted,
        $$"""{"value":[{"to":"{{to}}","messageId":"{{messageId}}","httpStatusCode":202,"repeatabilityResult":"accepted","successful":true}]}""");

    private static (AcsSmsClient Client, ScriptedHandler Handler, FakeLogCollector Logs) Client(
        Func<HttpRequestMessage, int, HttpResponseMessage> respond, string endpoint = "https://contoso.communication.azure.com", string? apiVersion = null)
    {
        var handler = new ScriptedHandler(respond);
        var options = new AcsSmsClientOptions { Transport = new HttpClientTransport(new HttpClient(handler)) };
        if (apiVersion is not null)
        {
            options.ApiVersion = apiVersion;
        }

        var logger = new FakeLogger<AcsSmsClient>();
        return (new AcsSmsClient($"endpoint={endpoint};accesskey={Key}", options, logger), handler, logger.Collector);
    }
}
