using System.Diagnostics;
using Azure.Core;
using MissedCallFunctions.LocalHost.SmsSandbox;
using MissedCallFunctions.Messaging;

namespace MissedCallFunctions.Tests.Messaging;

/// <summary>AcsSmsClient against the SMS sandbox over real HTTP on loopback.</summary>
public sealed class AcsSmsClientSandboxTests
{
    private const string Clinic = "+447700900001";
    private const string Patient = "+447700900123";

    [Fact]
    public async Task Send_ToTheSandbox_IsAcceptedAndStoredWithItsFields()
    {
        await using var server = await SandboxServer.StartAsync();
        var client = new AcsSmsClient(server.ConnectionString, server.ClientOptions());
        var sms = NewSms("Sorry we missed your call.");

        var result = await client.SendAsync(sms, CancellationToken.None);

        Assert.True(result.Accepted);
        Assert.Equal(202, result.HttpStatusCode);
        var stored = Assert.Single(server.Sandbox.Thread(Patient));
        Assert.Equal(result.ProviderMessageId, stored.MessageId);
        Assert.StartsWith("Outgoing_", stored.MessageId, StringComparison.Ordinal);
        Assert.Equal((SandboxDirection.Outbound, Clinic, Patient, sms.Body, sms.Tag), (stored.Direction, stored.From, stored.To, stored.Body, stored.Tag));
        Assert.True(stored.EnableDeliveryReport);
        Assert.Equal(sms.RepeatabilityRequestId, stored.RepeatabilityRequestId);
        Assert.Equal(sms.RepeatabilityFirstSent.ToString("r", System.Globalization.CultureInfo.InvariantCulture), stored.RepeatabilityFirstSent);
        Assert.Equal("HMAC-SHA256", stored.AuthScheme);
        var request = Assert.Single(server.Sandbox.Requests);
        Assert.Equal("/sandbox/acs/sms?api-version=2021-03-07", request.SignedPathAndQuery);
        Assert.Equal("x-ms-date;host;x-ms-content-sha256", request.SignedHeaders);
        Assert.Null(request.AuthFailure);
    }

    [Fact]
    public async Task Send_EndpointWithTrailingSlash_SignsTheSamePath()
    {
        await using var server = await SandboxServer.StartAsync();
        var connectionString = server.ConnectionString.Replace(";accesskey", "/;accesskey", StringComparison.Ordinal);
        var client = new AcsSmsClient(connectionString, server.ClientOptions());

        Assert.True((await client.SendAsync(NewSms("hi"), CancellationToken.None)).Accepted);
        Assert.Equal("/sandbox/acs/sms?api-version=2021-03-07", Assert.Single(server.Sandbox.Requests).SignedPathAndQuery);
    }

    [Fact]
    public async Task Send_SandboxAtTheRoot_SignsTheRootPath()
    {
        await using var server = await SandboxServer.StartAsync(pathPrefix: "");
        var client = new AcsSmsClient(server.ConnectionString, server.ClientOptions());

        Assert.True((await client.SendAsync(NewSms("hi"), CancellationToken.None)).Accepted);
        Assert.Equal("/sms?api-version=2021-03-07", Assert.Single(server.Sandbox.Requests).SignedPathAndQuery);
    }

    [Fact]
    public async Task Send_ApiVersion2026_IsAccepted()
    {
        await using var server = await SandboxServer.StartAsync();
        var options = server.ClientOptions();
        options.ApiVersion = "2026-01-23";
        var client = new AcsSmsClient(server.ConnectionString, options);

        var result = await client.SendAsync(NewSms("hi"), CancellationToken.None);

        Assert.True(result.Accepted);
        Assert.Equal("2026-01-23", Assert.Single(server.Sandbox.Messages).ApiVersion);
    }

    [Fact]
    public async Task Send_InvalidNumber_IsRefusedPerRecipient()
    {
        await using var server = await SandboxServer.StartAsync();
        var client = new AcsSmsClient(server.ConnectionString, server.ClientOptions());

        var result = await client.SendAsync(NewSms("hi") with { To = "07700900123" }, CancellationToken.None);

        Assert.Equal(new SmsSendResult(null, false, 400, "Invalid To phone number format.", false, false), result);
        Assert.Empty(server.Sandbox.Messages);
    }

    [Fact]
    public async Task Send_RecipientBlockedAtTheCarrier_IsRefusedWithTheOptOutSignal()
    {
        await using var server = await SandboxServer.StartAsync();
        server.Sandbox.BlockRecipient(Patient);
        var client = new AcsSmsClient(server.ConnectionString, server.ClientOptions());

        var result = await client.SendAsync(NewSms("hi"), CancellationToken.None);

        Assert.False(result.Accepted);
        Assert.True(result.OptOutSignal);
        Assert.Equal("Sender blocked for given recipient.", result.ErrorMessage);
    }

    [Fact]
    public async Task Send_WrongKey_Gets401AndThrowsChannelException()
    {
        await using var server = await SandboxServer.StartAsync();
        var wrongKey = server.ConnectionString.Replace(SmsSandboxOptions.DevelopmentAccessKey, Convert.ToBase64String("another-key"u8.ToArray()), StringComparison.Ordinal);
        var client = new AcsSmsClient(wrongKey, server.ClientOptions());

        var error = await Assert.ThrowsAsync<SmsChannelException>(() => client.SendAsync(NewSms("hi"), CancellationToken.None));

        Assert.Equal(401, error.StatusCode);
        Assert.Contains("signature does not match", error.Message, StringComparison.Ordinal);
        Assert.Empty(server.Sandbox.Messages);
        Assert.Equal(401, Assert.Single(server.Sandbox.Requests).StatusCode);
    }

    [Fact]
    public async Task Send_Throttled_ThrowsTransientWithRetryAfter()
    {
        await using var server = await SandboxServer.StartAsync();
        server.Sandbox.InjectFaults(SmsSandboxFault.TooManyRequests, DateTimeOffset.UtcNow.AddMinutes(1), retryAfter: TimeSpan.FromSeconds(3));
        var client = new AcsSmsClient(server.ConnectionString, server.ClientOptions());

        var error = await Assert.ThrowsAsync<SmsTransientException>(() => client.SendAsync(NewSms("hi"), CancellationToken.None));

        Assert.Equal(429, error.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(3), error.RetryAfter);
        Assert.Single(server.Sandbox.Requests); // no pipeline retry
        Assert.Empty(server.Sandbox.Messages);
    }

    [Fact]
    public async Task Send_Unavailable_ThrowsTransient_ThenTheSameSmsSucceedsOnce()
    {
        await using var server = await SandboxServer.StartAsync();
        server.Sandbox.InjectFaults(SmsSandboxFault.ServiceUnavailable, DateTimeOffset.UtcNow.AddMinutes(1), times: 1);
        var client = new AcsSmsClient(server.ConnectionString, server.ClientOptions());
        var sms = NewSms("hi");

        var error = await Assert.ThrowsAsync<SmsTransientException>(() => client.SendAsync(sms, CancellationToken.None));
        var retried = await client.SendAsync(sms, CancellationToken.None);

        Assert.Equal(503, error.StatusCode);
        Assert.True(retried.Accepted);
        Assert.Single(server.Sandbox.Messages);
    }

    [Fact]
    public async Task Send_SandboxHangs_TimesOutAsTransient()
    {
        await using var server = await SandboxServer.StartAsync();
        server.Sandbox.InjectFaults(SmsSandboxFault.Timeout, DateTimeOffset.UtcNow.AddSeconds(30));
        var client = new AcsSmsClient(server.ConnectionString, server.ClientOptions(networkTimeout: TimeSpan.FromSeconds(1)));
        var watch = Stopwatch.StartNew();

        var error = await Assert.ThrowsAsync<SmsTransientException>(() => client.SendAsync(NewSms("hi"), CancellationToken.None));

        Assert.Null(error.StatusCode);
        Assert.InRange(watch.Elapsed, TimeSpan.FromSeconds(0.8), TimeSpan.FromSeconds(10));
        Assert.Empty(server.Sandbox.Messages);
    }

    [Fact]
    public async Task Send_AcceptedButTheAnswerLost_ResendWithSameIdStoresOneMessage()
    {
        await using var server = await SandboxServer.StartAsync();
        server.Sandbox.InjectFaults(SmsSandboxFault.AcceptThenTimeout, DateTimeOffset.UtcNow.AddSeconds(30), times: 1);
        var client = new AcsSmsClient(server.ConnectionString, server.ClientOptions(networkTimeout: TimeSpan.FromSeconds(1)));
        var sms = NewSms("hi");

        await Assert.ThrowsAsync<SmsTransientException>(() => client.SendAsync(sms, CancellationToken.None));
        var stored = Assert.Single(server.Sandbox.Messages);
        var retried = await client.SendAsync(sms, CancellationToken.None);

        Assert.True(retried.Accepted);
        Assert.Equal(stored.MessageId, retried.ProviderMessageId);
        Assert.Single(server.Sandbox.Messages);
    }

    [Fact]
    public async Task Send_SameRepeatabilityIdTwice_OneMessageSameId()
    {
        await using var server = await SandboxServer.StartAsync();
        var client = new AcsSmsClient(server.ConnectionString, server.ClientOptions());
        var sms = NewSms("hi");
        var sent = 0;
        server.Sandbox.MessageSent += (_, _) => Interlocked.Increment(ref sent);

        var first = await client.SendAsync(sms, CancellationToken.None);
        var second = await client.SendAsync(sms, CancellationToken.None);

        Assert.Equal(first.ProviderMessageId, second.ProviderMessageId);
        Assert.True(second.Accepted);
        Assert.Single(server.Sandbox.Thread(Patient));
        Assert.Equal(1, sent);
        Assert.Equal(2, server.Sandbox.Requests.Count);
    }

    [Fact]
    public async Task Send_ConcurrentDuplicates_StoreOneMessage()
    {
        await using var server = await SandboxServer.StartAsync();
        var client = new AcsSmsClient(server.ConnectionString, server.ClientOptions());
        var sms = NewSms("hi");

        var results = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => client.SendAsync(sms, CancellationToken.None)));

        Assert.Single(results.Select(r => r.ProviderMessageId).Distinct());
        Assert.Single(server.Sandbox.Messages);
    }

    [Fact]
    public async Task Send_DifferentRepeatabilityIds_AreDifferentMessages()
    {
        await using var server = await SandboxServer.StartAsync();
        var client = new AcsSmsClient(server.ConnectionString, server.ClientOptions());

        var first = await client.SendAsync(NewSms("one"), CancellationToken.None);
        var second = await client.SendAsync(NewSms("two"), CancellationToken.None);

        Assert.NotEqual(first.ProviderMessageId, second.ProviderMessageId);
        Assert.Equal(["one", "two"], server.Sandbox.Thread(Patient).Select(m => m.Body));
    }

    [Fact]
    public async Task Send_WithEntraToken_SendsBearerWithTheAcsScope()
    {
        await using var server = await SandboxServer.StartAsync(o => o.AcceptBearerToken = true, https: true);
        var credential = new FakeTokenCredential("fake-entra-token");
        var client = new AcsSmsClient(server.Endpoint, credential, server.ClientOptions());

        var result = await client.SendAsync(NewSms("hi"), CancellationToken.None);

        Assert.True(result.Accepted);
        var request = Assert.Single(server.Sandbox.Requests);
        Assert.Equal("Bearer", request.AuthScheme);
        Assert.Equal("fake-entra-token", request.BearerToken);
        Assert.Equal("Bearer", Assert.Single(server.Sandbox.Messages).AuthScheme);
        Assert.Equal(["https://communication.azure.com//.default"], Assert.Single(credential.Requests).Scopes);
    }

    [Fact]
    public async Task Send_WithEntraToken_SandboxNotAcceptingBearer_Gets401()
    {
        await using var server = await SandboxServer.StartAsync(https: true);
        var client = new AcsSmsClient(server.Endpoint, new FakeTokenCredential("t"), server.ClientOptions());

        var error = await Assert.ThrowsAsync<SmsChannelException>(() => client.SendAsync(NewSms("hi"), CancellationToken.None));

        Assert.Equal(401, error.StatusCode);
    }

    private static OutgoingSms NewSms(string body) =>
        new(Clinic, Patient, body, Guid.NewGuid().ToString(), DateTimeOffset.UtcNow.AddSeconds(-5), "recovery-" + Guid.NewGuid().ToString("N")[..8]);

    private sealed class FakeTokenCredential(string token) : TokenCredential
    {
        public List<TokenRequestContext> Requests { get; } = [];

        public override AccessToken GetToken(TokenRequestContext requestContext, CancellationToken cancellationToken)
        {
            lock (Requests)
            {
                Requests.Add(requestContext);
            }

            return new AccessToken(token, DateTimeOffset.UtcNow.AddHours(1));
        }

        public override ValueTask<AccessToken> GetTokenAsync(TokenRequestContext requestContext, CancellationToken cancellationToken) =>
            ValueTask.FromResult(GetToken(requestContext, cancellationToken));
    }
}
