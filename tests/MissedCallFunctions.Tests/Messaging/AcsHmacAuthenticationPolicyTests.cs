using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using Azure;
using Azure.Core;
using Azure.Core.Pipeline;
using Microsoft.Extensions.Time.Testing;
using MissedCallFunctions.Messaging;

namespace MissedCallFunctions.Tests.Messaging;

public sealed class AcsHmacAuthenticationPolicyTests
{
    // base64("test-vector-access-key-0123456789abcdef")
    private const string AccessKey = "dGVzdC12ZWN0b3ItYWNjZXNzLWtleS0wMTIzNDU2Nzg5YWJjZGVm";
    private const string EmptyBodyHash = "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=";
    private static readonly DateTimeOffset SignedAt = new(2019, 3, 26, 16, 6, 51, TimeSpan.Zero);

    [Fact]
    public async Task Post_KnownVector_SignsExactlyAsProtocolSays()
    {
        var body = Encoding.UTF8.GetBytes("{\"hello\":\"world\"}");
        var request = await SendThroughPolicyAsync(RequestMethod.Post, "https://contoso.communication.azure.com/sms?api-version=2021-03-07", body);

        // Vector computed outside .NET (openssl dgst -sha256 -mac HMAC) over
        // "POST\n/sms?api-version=2021-03-07\nTue, 26 Mar 2019 16:06:51 GMT;contoso.communication.azure.com;<hash>".
        Assert.Equal("k6I5cakU5erL8KjSUVTNownDwccvu5kU1Hxg88toFYg=", request.Header("x-ms-content-sha256"));
        Assert.Equal("Tue, 26 Mar 2019 16:06:51 GMT", request.Header("x-ms-date"));
        Assert.Equal(
            "HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature=y3yLs3jkD0eamtiKYFSDKqYmEdP2Hq+FS0CGfZcSyP8=",
            request.Header("Authorization"));
    }

    [Fact]
    public async Task Post_AnyBody_MatchesAnIndependentComputation()
    {
        var body = Encoding.UTF8.GetBytes("{\"from\":\"+18005550100\",\"message\":\"Sorry we missed you – call back? 😊\"}");
        var request = await SendThroughPolicyAsync(RequestMethod.Post, "https://contoso.communication.azure.com/sms?api-version=2026-01-23", body);

        var hash = Convert.ToBase64String(SHA256.HashData(body));
        var date = SignedAt.ToString("r", CultureInfo.InvariantCulture);
        var stringToSign = $"POST\n/sms?api-version=2026-01-23\n{date};contoso.communication.azure.com;{hash}";
        var signature = Convert.ToBase64String(HMACSHA256.HashData(Convert.FromBase64String(AccessKey), Encoding.ASCII.GetBytes(stringToSign)));

        Assert.Equal(hash, request.Header("x-ms-content-sha256"));
        Assert.Equal($"HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature={signature}", request.Header("Authorization"));
        Assert.Equal(date, request.Header("Date"));
    }

    [Fact]
    public async Task Get_NoBody_HashesTheEmptyStringAndSignsThePortInHost()
    {
        var request = await SendThroughPolicyAsync(RequestMethod.Get, "https://127.0.0.1:8443/deliveryReports/abc?api-version=2026-01-23", body: null);

        Assert.Equal(EmptyBodyHash, request.Header("x-ms-content-sha256"));
        // openssl over "GET\n/deliveryReports/abc?api-version=2026-01-23\nTue, 26 Mar 2019 16:06:51 GMT;127.0.0.1:8443;47DEQ..."
        Assert.EndsWith("&Signature=5wgC7Q1Cq6LsinxD3N1MXkVeUV8a7yCKUGQYKZC0FLU=", request.Header("Authorization"));
    }

    [Fact]
    public void StringToSign_DefaultPort_LeavesThePortOutOfHost()
    {
        var text = AcsHmacAuthenticationPolicy.StringToSign("POST", new Uri("https://contoso.communication.azure.com:443/sms?api-version=2021-03-07"),
            "Tue, 26 Mar 2019 16:06:51 GMT", EmptyBodyHash);

        Assert.Equal($"POST\n/sms?api-version=2021-03-07\nTue, 26 Mar 2019 16:06:51 GMT;contoso.communication.azure.com;{EmptyBodyHash}", text);
    }

    [Fact]
    public void StringToSign_EndpointWithAPath_SignsThePathTheClientUses()
    {
        var text = AcsHmacAuthenticationPolicy.StringToSign("POST", new Uri("http://127.0.0.1:5123/sandbox/acs/sms?api-version=2021-03-07"),
            "Tue, 26 Mar 2019 16:06:51 GMT", EmptyBodyHash);

        Assert.StartsWith("POST\n/sandbox/acs/sms?api-version=2021-03-07\nTue, 26 Mar 2019 16:06:51 GMT;127.0.0.1:5123;", text);
    }

    [Fact]
    public async Task Retry_EachAttempt_IsSignedAgainWithAFreshDate()
    {
        var time = new FakeTimeProvider(SignedAt);
        using var handler = new ScriptedHandler((_, attempt) =>
        {
            if (attempt == 1)
            {
                time.Advance(TimeSpan.FromSeconds(7));
                return new HttpResponseMessage(HttpStatusCode.ServiceUnavailable);
            }

            return new HttpResponseMessage(HttpStatusCode.Accepted);
        });
        var options = new AcsSmsClientOptions { Transport = new HttpClientTransport(new HttpClient(handler)) };
        options.Retry.MaxRetries = 1;
        options.Retry.Delay = TimeSpan.FromMilliseconds(1);
        options.Retry.Mode = RetryMode.Fixed;
        var pipeline = HttpPipelineBuilder.Build(options, [], [new AcsHmacAuthenticationPolicy(new AzureKeyCredential(AccessKey), time)], new ResponseClassifier());
        using var message = pipeline.CreateMessage();
        message.Request.Method = RequestMethod.Post;
        message.Request.Uri.Reset(new Uri("https://contoso.communication.azure.com/sms?api-version=2021-03-07"));
        message.Request.Content = RequestContent.Create(Encoding.UTF8.GetBytes("{}"));

        await pipeline.SendAsync(message, CancellationToken.None);

        Assert.Equal(2, handler.Requests.Count);
        Assert.Equal("Tue, 26 Mar 2019 16:06:51 GMT", handler.Requests[0].Header("x-ms-date"));
        Assert.Equal("Tue, 26 Mar 2019 16:06:58 GMT", handler.Requests[1].Header("x-ms-date"));
        Assert.NotEqual(handler.Requests[0].Header("Authorization"), handler.Requests[1].Header("Authorization"));
    }

    [Fact]
    public async Task Key_UpdatedOnTheCredential_SignsWithTheNewKey()
    {
        var credential = new AzureKeyCredential(AccessKey);
        var rotated = Convert.ToBase64String(Encoding.ASCII.GetBytes("rotated-key"));
        credential.Update(rotated);

        var request = await SendThroughPolicyAsync(RequestMethod.Get, "https://contoso.communication.azure.com/x", body: null, credential);

        var expected = AcsHmacAuthenticationPolicy.ComputeSignature(rotated,
            $"GET\n/x\nTue, 26 Mar 2019 16:06:51 GMT;contoso.communication.azure.com;{EmptyBodyHash}");
        Assert.EndsWith("&Signature=" + expected, request.Header("Authorization"));
    }

    private static async Task<CapturedRequest> SendThroughPolicyAsync(RequestMethod method, string uri, byte[]? body, AzureKeyCredential? credential = null)
    {
        using var handler = new ScriptedHandler((_, _) => new HttpResponseMessage(HttpStatusCode.Accepted));
        var options = new AcsSmsClientOptions { Transport = new HttpClientTransport(new HttpClient(handler)) };
        var policy = new AcsHmacAuthenticationPolicy(credential ?? new AzureKeyCredential(AccessKey), new FakeTimeProvider(SignedAt));
        var pipeline = HttpPipelineBuilder.Build(options, [], [policy], new ResponseClassifier());
        using var message = pipeline.CreateMessage();
        message.Request.Method = method;
        message.Request.Uri.Reset(new Uri(uri));
        if (body is not null)
        {
            message.Request.Content = RequestContent.Create(body);
        }

        await pipeline.SendAsync(message, CancellationToken.None);
        return Assert.Single(handler.Requests);
    }
}
