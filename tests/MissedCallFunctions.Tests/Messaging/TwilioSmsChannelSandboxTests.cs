using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Logging.Testing;
using MissedCallFunctions.Conversation.Inbound;
using MissedCallFunctions.Clinics;
using MissedCallFunctions.Ingest;
using MissedCallFunctions.Ingest.Providers;
using MissedCallFunctions.LocalHost.SmsSandbox;
using MissedCallFunctions.Messaging;

namespace MissedCallFunctions.Tests.Messaging;

/// <summary><see cref="TwilioSmsChannel"/> (the real Twilio SDK) against the sandbox's Twilio Messages endpoint over real HTTP.</summary>
public sealed class TwilioSmsChannelSandboxTests : IAsyncLifetime
{
    private const string Clinic = "+441632960123";
    private const string Patient = "+447700900123";
    private const string Body = "Sorry we missed your call at Riverside Dental. Reply here and we'll call you back.";

    private TwilioSandboxServer _server = null!;

    public async Task InitializeAsync() => _server = await TwilioSandboxServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task Send_Accepted_StoresTheTextAndReturnsTheMessageSid()
    {
        var logs = new FakeLogger<TwilioSmsChannel>();
        using var channel = new TwilioSmsChannel(_server.ChannelOptions(), logger: logs);

        var result = await channel.SendAsync(Sms(), CancellationToken.None);

        Assert.True(result.Accepted);
        Assert.Equal(201, result.HttpStatusCode);
        Assert.False(result.OptOutSignal);
        Assert.NotNull(result.ProviderMessageId);
        Assert.Matches("^SM[0-9a-f]{32}$", result.ProviderMessageId);

        var stored = Assert.Single(_server.Sandbox.Thread(Patient));
        Assert.Equal((result.ProviderMessageId, Clinic, Patient, Body), (stored.MessageId, stored.From, stored.To, stored.Body));
        Assert.Equal(SandboxDirection.Outbound, stored.Direction);
        Assert.Equal("Basic", stored.AuthScheme);
        Assert.Equal("rec-7f3a9c:textBack", stored.Tag);
        Assert.True(stored.EnableDeliveryReport);
        Assert.Null(stored.RepeatabilityRequestId);
        Assert.Equal("https://missedcall.example.com/api/sms/twilio?code=fn-key&tag=rec-7f3a9c%3AtextBack",
            _server.Sandbox.StatusCallbackOf(stored.MessageId));

        var request = Assert.Single(_server.Sandbox.Requests);
        Assert.Equal($"/sandbox/twilio/2010-04-01/Accounts/{SmsSandboxOptions.DevelopmentTwilioAccountSid}/Messages.json", request.SignedPathAndQuery);
        Assert.Equal(201, request.StatusCode);

        var log = Assert.Single(logs.Collector.GetSnapshot());
        Assert.Contains(result.ProviderMessageId, log.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(Patient, log.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(Body, log.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Send_WithoutStatusCallback_SendsNone()
    {
        using var channel = new TwilioSmsChannel(_server.ChannelOptions(o => o.StatusCallbackUrl = null));

        var result = await channel.SendAsync(Sms(), CancellationToken.None);

        Assert.True(result.Accepted);
        Assert.Null(_server.Sandbox.StatusCallbackOf(result.ProviderMessageId!));
        Assert.False(Assert.Single(_server.Sandbox.Messages).EnableDeliveryReport);
    }

    [Fact]
    public async Task Send_EveryCall_IsANewTextBecauseTwilioHasNoRepeatabilityKey()
    {
        using var channel = new TwilioSmsChannel(_server.ChannelOptions());
        var sms = Sms();

        var first = await channel.SendAsync(sms, CancellationToken.None);
        var second = await channel.SendAsync(sms, CancellationToken.None);

        Assert.NotEqual(first.ProviderMessageId, second.ProviderMessageId);
        Assert.Equal(2, _server.Sandbox.Thread(Patient).Count);
    }

    [Fact]
    public async Task Send_RecipientTextedStop_Is21610RefusalWithOptOutSignal()
    {
        _server.Sandbox.BlockRecipient(Patient);
        var logs = new FakeLogger<TwilioSmsChannel>();
        using var channel = new TwilioSmsChannel(_server.ChannelOptions(), logger: logs);

        var result = await channel.SendAsync(Sms(), CancellationToken.None);

        Assert.False(result.Accepted);
        Assert.True(result.OptOutSignal);
        Assert.False(result.Retryable);
        Assert.Equal(400, result.HttpStatusCode);
        Assert.Null(result.ProviderMessageId);
        Assert.Contains("21610", result.ErrorMessage, StringComparison.Ordinal);
        Assert.Empty(_server.Sandbox.Thread(Patient));
        Assert.DoesNotContain(Patient, Assert.Single(logs.Collector.GetSnapshot()).Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(21614, "'To' number is not a valid mobile number")]
    [InlineData(21211, "Invalid 'To' Phone Number")]
    public async Task Send_InvalidOrNotMobile_IsRefusedWithoutOptOut(int code, string message)
    {
        _server.Sandbox.SetTwilioRecipientError(Patient, code, $"{message}: {Patient}");
        using var channel = new TwilioSmsChannel(_server.ChannelOptions());

        var result = await channel.SendAsync(Sms(), CancellationToken.None);

        Assert.False(result.Accepted);
        Assert.False(result.OptOutSignal);
        Assert.Equal(400, result.HttpStatusCode);
        Assert.Contains(code.ToString(System.Globalization.CultureInfo.InvariantCulture), result.ErrorMessage, StringComparison.Ordinal);
        Assert.DoesNotContain(Patient, result.ErrorMessage, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Send_ToNotE164_SandboxAnswers21211AndTheNumberIsNotEchoed()
    {
        using var channel = new TwilioSmsChannel(_server.ChannelOptions());

        var result = await channel.SendAsync(Sms(to: "07700900123"), CancellationToken.None);

        Assert.False(result.Accepted);
        Assert.Equal("Twilio error 21211: invalid 'To' phone number", result.ErrorMessage);
    }

    [Fact]
    public async Task Send_Throttled_ThrowsTransientWithRetryAfter()
    {
        _server.Sandbox.InjectFaults(SmsSandboxFault.TooManyRequests, DateTimeOffset.UtcNow.AddMinutes(1), TimeSpan.FromSeconds(7));
        using var channel = new TwilioSmsChannel(_server.ChannelOptions());

        var error = await Assert.ThrowsAsync<SmsTransientException>(() => channel.SendAsync(Sms(), CancellationToken.None));

        Assert.Equal(429, error.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(7), error.RetryAfter);
        Assert.Empty(_server.Sandbox.Messages);
    }

    [Fact]
    public async Task Send_ServiceUnavailable_ThrowsTransientThenSucceedsOnceTheFaultIsOver()
    {
        _server.Sandbox.InjectFaults(SmsSandboxFault.ServiceUnavailable, DateTimeOffset.UtcNow.AddMinutes(1), times: 1);
        using var channel = new TwilioSmsChannel(_server.ChannelOptions());

        var error = await Assert.ThrowsAsync<SmsTransientException>(() => channel.SendAsync(Sms(), CancellationToken.None));
        var retry = await channel.SendAsync(Sms(), CancellationToken.None);

        Assert.Equal(503, error.StatusCode);
        Assert.True(retry.Accepted);
    }

    [Fact]
    public async Task Send_ServerHangs_ThrowsTransientAfterTheNetworkTimeout()
    {
        _server.Sandbox.InjectFaults(SmsSandboxFault.Timeout, DateTimeOffset.UtcNow.AddSeconds(30));
        using var channel = new TwilioSmsChannel(_server.ChannelOptions(o => o.NetworkTimeout = TimeSpan.FromSeconds(1)));

        var started = DateTimeOffset.UtcNow;
        var error = await Assert.ThrowsAsync<SmsTransientException>(() => channel.SendAsync(Sms(), CancellationToken.None));

        Assert.Null(error.StatusCode);
        Assert.Contains("timed out", error.Message, StringComparison.Ordinal);
        Assert.True(DateTimeOffset.UtcNow - started < TimeSpan.FromSeconds(15));
    }

    [Fact]
    public async Task Send_CallerCancels_ThrowsOperationCanceled()
    {
        _server.Sandbox.InjectFaults(SmsSandboxFault.Timeout, DateTimeOffset.UtcNow.AddSeconds(30));
        using var channel = new TwilioSmsChannel(_server.ChannelOptions());
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));

        var error = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => channel.SendAsync(Sms(), cts.Token));

        Assert.IsNotType<SmsTransientException>(error);
    }

    [Fact]
    public async Task Send_WrongAuthToken_ThrowsChannelException()
    {
        using var channel = new TwilioSmsChannel(_server.ChannelOptions(o => o.AuthToken = "not-the-sandbox-token"));

        var error = await Assert.ThrowsAsync<SmsChannelException>(() => channel.SendAsync(Sms(), CancellationToken.None));

        Assert.Equal(401, error.StatusCode);
        Assert.Contains("20003", error.Message, StringComparison.Ordinal);
        Assert.Equal(401, Assert.Single(_server.Sandbox.Requests).StatusCode);
    }

    [Fact]
    public async Task Send_WrongAccountSid_ThrowsChannelException()
    {
        using var channel = new TwilioSmsChannel(_server.ChannelOptions(o => o.AccountSid = "AC" + new string('f', 32)));

        var error = await Assert.ThrowsAsync<SmsChannelException>(() => channel.SendAsync(Sms(), CancellationToken.None));

        Assert.Equal(401, error.StatusCode);
    }

    [Fact]
    public async Task Send_NothingListening_ThrowsTransient()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        using var channel = new TwilioSmsChannel(_server.ChannelOptions(o => o.ApiBaseUrl = new Uri($"http://127.0.0.1:{port}/sandbox/twilio")));

        var error = await Assert.ThrowsAsync<SmsTransientException>(() => channel.SendAsync(Sms(), CancellationToken.None));

        Assert.Null(error.StatusCode);
        Assert.True(error.RequestNotSent); // refused before anything was sent: a resend cannot text twice
    }

    [Fact]
    public async Task Sandbox_AtTheRoot_WorksWithABaseUrlWithoutPath()
    {
        await using var root = await TwilioSandboxServer.StartAsync(twilioPathPrefix: "");
        using var channel = new TwilioSmsChannel(root.ChannelOptions());

        var result = await channel.SendAsync(Sms(), CancellationToken.None);

        Assert.True(result.Accepted);
        Assert.Equal(root.BaseAddress.GetLeftPart(UriPartial.Authority), root.TwilioApiBaseUrl.ToString().TrimEnd('/'));
        Assert.StartsWith("/2010-04-01/Accounts/", Assert.Single(root.Sandbox.Requests).SignedPathAndQuery, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Sandbox_MissingBasicAuth_Answers401InTwilioShape()
    {
        using var http = _server.CreateHttpClient();
        using var content = new FormUrlEncodedContent([new("To", Patient), new("From", Clinic), new("Body", "hi")]);

        using var response = await http.PostAsync($"/sandbox/twilio/2010-04-01/Accounts/{SmsSandboxOptions.DevelopmentTwilioAccountSid}/Messages.json", content);
        var json = System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal(20003, json.GetProperty("code").GetInt32());
        Assert.Equal(401, json.GetProperty("status").GetInt32());
    }

    [Fact]
    public async Task Sandbox_AnotherAccountInThePath_Answers404()
    {
        using var http = _server.CreateHttpClient();
        var credentials = Convert.ToBase64String(Encoding.UTF8.GetBytes($"{SmsSandboxOptions.DevelopmentTwilioAccountSid}:{SmsSandboxOptions.DevelopmentTwilioAuthToken}"));
        http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Basic", credentials);
        using var content = new FormUrlEncodedContent([new("To", Patient), new("From", Clinic), new("Body", "hi")]);

        using var response = await http.PostAsync($"/sandbox/twilio/2010-04-01/Accounts/AC{new string('0', 32)}/Messages.json", content);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task StatusCallback_SignedBySandbox_ParsesAsTheDeliveryReportOfTheSend()
    {
        using var channel = new TwilioSmsChannel(_server.ChannelOptions());
        var sent = await channel.SendAsync(Sms(), CancellationToken.None);
        var stored = Assert.Single(_server.Sandbox.Messages);
        var url = _server.Sandbox.StatusCallbackOf(stored.MessageId)!;

        var form = TwilioSandboxEndpoints.StatusCallbackForm(stored, "undelivered", errorCode: 21610);
        var signature = TwilioSandboxEndpoints.Sign(url, form, SmsSandboxOptions.DevelopmentTwilioAuthToken);
        var request = WebhookRequest.Create("POST", url, "application/x-www-form-urlencoded", TwilioSandboxEndpoints.Encode(form),
            new Dictionary<string, string> { ["X-Twilio-Signature"] = signature });
        var provider = new TwilioInboundSmsProvider();

        var report = Assert.IsType<DeliveryReport>(Assert.Single(provider.Parse(request)));

        Assert.Equal(SignatureStatus.Valid,
            provider.Verify(request, new ClinicWebhookSecrets { TwilioAuthToken = SmsSandboxOptions.DevelopmentTwilioAuthToken }, DateTimeOffset.UtcNow).Status);
        Assert.Equal(sent.ProviderMessageId, report.MessageId);
        Assert.Equal("rec-7f3a9c:textBack", report.Tag);
        Assert.Equal(DeliveryStatus.Failed, report.Status);
        Assert.True(report.OptOutSignal);
        Assert.Equal(Clinic, provider.ClinicNumberOf(report));
    }

    [Fact]
    public void IncomingMessage_FromSandboxReply_ParsesAsReceivedSms()
    {
        var reply = _server.Sandbox.Reply(Patient, Clinic, "STOP");
        var form = TwilioSandboxEndpoints.IncomingMessageForm(reply, optOutType: "STOP");
        var request = WebhookRequest.Create("POST", "https://missedcall.example.com/api/sms/twilio", "application/x-www-form-urlencoded",
            TwilioSandboxEndpoints.Encode(form));

        var sms = Assert.IsType<ReceivedSms>(Assert.Single(new TwilioInboundSmsProvider().Parse(request)));

        Assert.Equal((Patient, Clinic, "STOP", "STOP"), (sms.FromRaw, sms.ToRaw, sms.Text, sms.OptOutType));
        Assert.StartsWith("SM", sms.MessageId, StringComparison.Ordinal);
    }

    private static OutgoingSms Sms(string to = Patient) =>
        new(Clinic, to, Body, "0b7c2f4e-9a1d-4e3b-8c5f-6a7b8c9d0e1f", new DateTimeOffset(2026, 11, 3, 9, 16, 0, TimeSpan.Zero), "rec-7f3a9c:textBack");
}
