using System.Net;
using System.Text;
using System.Web;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using MissedCallFunctions.Messaging;

namespace MissedCallFunctions.Tests.Messaging;

/// <summary>The request <see cref="TwilioSmsChannel"/> makes through the Twilio SDK and how it maps answers, against a scripted transport.</summary>
public sealed class TwilioSmsChannelResponseTests
{
    private const string AccountSid = "AC4e7b1d9f3a6c2e8b0d5f7a1c3e9b2d4f";
    private const string AuthToken = "2b7e151628aed2a6abf7158809cf4f3c";
    private const string To = "+447700900123";

    private static readonly OutgoingSms Sms = new("+441632960123", To, "Sorry we missed your call. Reply 1 for a call back.",
        "3f1c8a52-4b1e-4c7e-9d55-0d1f2a3b4c5d", new DateTimeOffset(2026, 11, 3, 9, 16, 0, TimeSpan.Zero), "rec-42:textBack");

    [Fact]
    public async Task Send_DefaultBaseUrl_PostsTheFormToTwilioWithBasicAuth()
    {
        var (channel, handler, _) = Channel((_, _) => Created());
        using (channel)
        {
            var result = await channel.SendAsync(Sms, CancellationToken.None);

            Assert.True(result.Accepted);
            Assert.Equal("SM0123456789abcdef0123456789abcdef", result.ProviderMessageId);
        }

        var request = Assert.Single(handler.Requests);
        Assert.Equal("POST", request.Method);
        Assert.Equal($"https://api.twilio.com/2010-04-01/Accounts/{AccountSid}/Messages.json", request.Uri.ToString());
        Assert.Equal("Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"{AccountSid}:{AuthToken}")), request.Header("Authorization"));
        var form = HttpUtility.ParseQueryString(Encoding.UTF8.GetString(request.Body));
        Assert.Equal(To, form["To"]);
        Assert.Equal(Sms.From, form["From"]);
        Assert.Equal(Sms.Body, form["Body"]);
        Assert.Equal("https://missedcall.example.com/api/sms/twilio?code=k&tag=rec-42%3AtextBack", form["StatusCallback"]);
        Assert.DoesNotContain(form.AllKeys, k => k!.Contains("Repeatab", StringComparison.OrdinalIgnoreCase) || k.Contains("Idempot", StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public async Task Send_ApiKey_AuthenticatesWithTheKeyUnderTheAccount()
    {
        var (channel, handler, _) = Channel((_, _) => Created(), o =>
        {
            o.AuthToken = null;
            o.ApiKeySid = "SK0123456789abcdef0123456789abcdef";
            o.ApiKeySecret = "key-secret";
        });
        using (channel)
        {
            await channel.SendAsync(Sms, CancellationToken.None);
        }

        var request = Assert.Single(handler.Requests);
        Assert.Contains($"/Accounts/{AccountSid}/Messages.json", request.Uri.AbsolutePath, StringComparison.Ordinal);
        Assert.Equal("Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes("SK0123456789abcdef0123456789abcdef:key-secret")), request.Header("Authorization"));
    }

    [Fact]
    public async Task Send_ApiBaseUrlWithPath_RewritesSchemeHostPortAndPrefixesThePath()
    {
        var (channel, handler, _) = Channel((_, _) => Created(), o => o.ApiBaseUrl = new Uri("http://127.0.0.1:7071/sandbox/twilio/"));
        using (channel)
        {
            await channel.SendAsync(Sms, CancellationToken.None);
        }

        Assert.Equal($"http://127.0.0.1:7071/sandbox/twilio/2010-04-01/Accounts/{AccountSid}/Messages.json", Assert.Single(handler.Requests).Uri.ToString());
    }

    [Fact]
    public async Task Send_NoTag_SendsTheStatusCallbackAsConfigured()
    {
        var (channel, handler, _) = Channel((_, _) => Created());
        using (channel)
        {
            await channel.SendAsync(Sms with { Tag = "" }, CancellationToken.None);
        }

        var form = HttpUtility.ParseQueryString(Encoding.UTF8.GetString(Assert.Single(handler.Requests).Body));
        Assert.Equal("https://missedcall.example.com/api/sms/twilio?code=k", form["StatusCallback"]);
    }

    [Theory]
    [InlineData(21610, true)]
    [InlineData(21211, false)]
    [InlineData(21614, false)]
    [InlineData(21408, false)]
    public async Task Send_PerRecipient400_IsRefused(int code, bool optOut)
    {
        var (channel, _, logs) = Channel((_, _) => Error(HttpStatusCode.BadRequest, code, $"The 'To' number {To} is not allowed"));
        using (channel)
        {
            var result = await channel.SendAsync(Sms, CancellationToken.None);

            Assert.False(result.Accepted);
            Assert.Equal(optOut, result.OptOutSignal);
            Assert.Equal(400, result.HttpStatusCode);
            Assert.DoesNotContain(To, result.ErrorMessage, StringComparison.Ordinal);
        }

        var log = Assert.Single(logs.GetSnapshot());
        Assert.Equal(LogLevel.Warning, log.Level);
        Assert.DoesNotContain(To, log.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(HttpStatusCode.Unauthorized, 20003)]
    [InlineData(HttpStatusCode.Forbidden, 20003)]
    [InlineData(HttpStatusCode.NotFound, 20404)]
    [InlineData(HttpStatusCode.BadRequest, 21659)]
    [InlineData(HttpStatusCode.BadRequest, 21606)]
    public async Task Send_ConfigurationErrors_ThrowChannelException(HttpStatusCode status, int code)
    {
        var (channel, _, logs) = Channel((_, _) => Error(status, code, "nope"));
        using (channel)
        {
            var error = await Assert.ThrowsAsync<SmsChannelException>(() => channel.SendAsync(Sms, CancellationToken.None));

            Assert.Equal((int)status, error.StatusCode);
        }

        Assert.Equal(LogLevel.Error, Assert.Single(logs.GetSnapshot()).Level);
    }

    [Theory]
    [InlineData(HttpStatusCode.TooManyRequests)]
    [InlineData(HttpStatusCode.InternalServerError)]
    [InlineData(HttpStatusCode.BadGateway)]
    [InlineData(HttpStatusCode.ServiceUnavailable)]
    [InlineData(HttpStatusCode.RequestTimeout)]
    public async Task Send_TransientStatuses_ThrowTransient(HttpStatusCode status)
    {
        var (channel, _, _) = Channel((_, _) => Error(status, 20000 + (int)status, "busy"));
        using (channel)
        {
            var error = await Assert.ThrowsAsync<SmsTransientException>(() => channel.SendAsync(Sms, CancellationToken.None));

            Assert.Equal((int)status, error.StatusCode);
        }
    }

    [Fact]
    public async Task Send_GatewayHtmlInsteadOfTwilioJson_StillSeesTheStatus()
    {
        var (channel, _, _) = Channel((_, _) => new HttpResponseMessage(HttpStatusCode.BadGateway)
        {
            Content = new StringContent("<html><body>502 Bad Gateway</body></html>", Encoding.UTF8, "text/html"),
        });
        using (channel)
        {
            var error = await Assert.ThrowsAsync<SmsTransientException>(() => channel.SendAsync(Sms, CancellationToken.None));

            Assert.Equal(502, error.StatusCode);
        }
    }

    [Fact]
    public async Task Send_RetryAfterHeader_IsPassedOn()
    {
        var (channel, _, _) = Channel((_, _) =>
        {
            var response = Error(HttpStatusCode.TooManyRequests, 20429, "Too Many Requests");
            response.Headers.RetryAfter = new System.Net.Http.Headers.RetryConditionHeaderValue(TimeSpan.FromSeconds(12));
            return response;
        });
        using (channel)
        {
            var error = await Assert.ThrowsAsync<SmsTransientException>(() => channel.SendAsync(Sms, CancellationToken.None));

            Assert.Equal(TimeSpan.FromSeconds(12), error.RetryAfter);
        }
    }

    [Fact]
    public async Task Send_NetworkFailure_ThrowsTransient()
    {
        var (channel, _, _) = Channel((_, _) => throw new HttpRequestException("connection reset"));
        using (channel)
        {
            var error = await Assert.ThrowsAsync<SmsTransientException>(() => channel.SendAsync(Sms, CancellationToken.None));

            Assert.Null(error.StatusCode);
        }
    }

    [Fact]
    public async Task Send_201WithoutSid_ThrowsChannelException()
    {
        var (channel, _, _) = Channel((_, _) => ScriptedHandler.Json(HttpStatusCode.Created, """{"status":"queued"}"""));
        using (channel)
        {
            await Assert.ThrowsAsync<SmsChannelException>(() => channel.SendAsync(Sms, CancellationToken.None));
        }
    }

    [Fact]
    public async Task Send_201NotJson_ThrowsChannelException()
    {
        var (channel, _, _) = Channel((_, _) => new HttpResponseMessage(HttpStatusCode.Created) { Content = new StringContent("{not json") });
        using (channel)
        {
            await Assert.ThrowsAsync<SmsChannelException>(() => channel.SendAsync(Sms, CancellationToken.None));
        }
    }

    [Theory]
    [InlineData(null, "token", null, null, "AccountSid")]
    [InlineData("AC123", "token", null, null, "AccountSid")]
    [InlineData(AccountSid, null, null, null, "AuthToken")]
    [InlineData(AccountSid, null, "SK0123456789abcdef0123456789abcdef", null, "ApiKeySecret")]
    [InlineData(AccountSid, null, "AC0123456789abcdef0123456789abcdef", "secret", "ApiKeySid")]
    public void Options_Invalid_AreRefusedWithTheSettingName(string? accountSid, string? authToken, string? keySid, string? keySecret, string setting)
    {
        var options = new TwilioSmsOptions { AccountSid = accountSid, AuthToken = authToken, ApiKeySid = keySid, ApiKeySecret = keySecret };

        Assert.Contains(setting, options.Problem(), StringComparison.Ordinal);
        var error = Assert.Throws<ArgumentException>(() => new TwilioSmsChannel(options));
        Assert.Contains(setting, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Options_RelativeOrNonHttpUrls_AreRefused()
    {
        Assert.NotNull(new TwilioSmsOptions { AccountSid = AccountSid, AuthToken = AuthToken, ApiBaseUrl = new Uri("ftp://x/") }.Problem());
        Assert.NotNull(new TwilioSmsOptions { AccountSid = AccountSid, AuthToken = AuthToken, StatusCallbackUrl = new Uri("/cb", UriKind.Relative) }.Problem());
        Assert.Null(new TwilioSmsOptions { AccountSid = AccountSid, AuthToken = AuthToken }.Problem());
    }

    private static HttpResponseMessage Created() => ScriptedHandler.Json(HttpStatusCode.Created, $$"""
        {"account_sid":"{{AccountSid}}","api_version":"2010-04-01","body":"x","date_created":"Tue, 03 Nov 2026 09:16:01 +0000",
         "date_sent":null,"date_updated":"Tue, 03 Nov 2026 09:16:01 +0000","direction":"outbound-api","error_code":null,"error_message":null,
         "from":"+441632960123","messaging_service_sid":null,"num_media":"0","num_segments":"1","price":null,"price_unit":"USD",
         "sid":"SM0123456789abcdef0123456789abcdef","status":"queued","subresource_uris":{"media":"/x/Media.json"},"to":"{{To}}","uri":"/x.json"}
        """);

    private static HttpResponseMessage Error(HttpStatusCode status, int code, string message) => ScriptedHandler.Json(status,
        $$"""{"code":{{code}},"message":"{{message}}","more_info":"https://www.twilio.com/docs/errors/{{code}}","status":{{(int)status}}}""");

    private static (TwilioSmsChannel Channel, ScriptedHandler Handler, FakeLogCollector Logs) Channel(
        Func<HttpRequestMessage, int, HttpResponseMessage> respond, Action<TwilioSmsOptions>? configure = null)
    {
        var handler = new ScriptedHandler(respond);
        var options = new TwilioSmsOptions
        {
            AccountSid = AccountSid,
            AuthToken = AuthToken,
            StatusCallbackUrl = new Uri("https://missedcall.example.com/api/sms/twilio?code=k"),
        };
        configure?.Invoke(options);
        var logger = new FakeLogger<TwilioSmsChannel>();
        return (new TwilioSmsChannel(options, handler, logger), handler, logger.Collector);
    }
}
