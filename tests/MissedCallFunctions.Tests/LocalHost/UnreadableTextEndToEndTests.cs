using System.Net;
using System.Text;
using MissedCallFunctions.Tests.Infrastructure;

namespace MissedCallFunctions.Tests.LocalHost;

/// <summary>Webhook bodies with text JsonElement cannot decode, through the real local host (processor off).</summary>
public sealed class UnreadableTextEndToEndTests : IAsyncLifetime
{
    private LocalHostRunner _host = null!;

    public async Task InitializeAsync() => _host = await LocalHostRunner.StartAsync(runProcessor: false);

    public async Task DisposeAsync() => await _host.DisposeAsync();

    /// <summary>Regression: an escaped lone surrogate made JsonElement.GetString() throw, and the route answered 500.</summary>
    [Fact]
    public async Task Ingest_LoneSurrogateEscapeOnEveryJsonWebhookRoute_400ProblemDetails()
    {
        var cases = new (string Path, string Body, string? EventGridType)[]
        {
            ("/api/calls/generic", $$"""{"eventId":"\uD800","callId":"c","clinicNumber":"{{TestData.UkClinicNumber}}","caller":null,"outcome":"missed","occurredAt":"2026-11-26T10:00:00Z"}""", null),
            ("/api/calls/generic", """{"\uDC00":1}""", null),
            ("/api/calls/telnyx", """{"data":{"id":"\uD800","event_type":"call.hangup"}}""", null),
            ("/api/calls/vonage", """{"status":"\uD800","uuid":"u"}""", null),
            ("/api/calls/ringcentral", """{"uuid":"u","event":"\uD800","body":{}}""", null),
            ("/api/calls/acs", """[{"id":"\uD800","eventType":"Microsoft.Communication.IncomingCall","eventTime":"2026-11-26T10:00:00Z","data":{}}]""", null),
            ("/api/calls/acs", """[{"id":"1","eventType":"Microsoft.EventGrid.SubscriptionValidationEvent","data":{"validationCode":"\uD800"}}]""", "SubscriptionValidation"),
            ("/api/sms/acs", """[{"id":"\uD800","eventType":"Microsoft.Communication.SMSReceived","eventTime":"2026-11-26T10:00:00Z","data":{}}]""", null),
            ("/api/sms/acs", """[{"id":"1","eventType":"Microsoft.EventGrid.SubscriptionValidationEvent","data":{"validationCode":"\uD800"}}]""", "SubscriptionValidation"),
        };

        foreach (var (path, body, eventGridType) in cases)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, $"{path}?code={LocalHostRunner.FunctionKey}")
            {
                Content = new StringContent(body, Encoding.UTF8, "application/json"),
            };
            if (eventGridType is not null)
            {
                request.Headers.Add("aeg-event-type", eventGridType);
            }

            using var response = await _host.Http.SendAsync(request);

            Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{path} {body}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
            if (eventGridType is null)
            {
                Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            }
        }

        Assert.Equal(0, await _host.QueuedCountAsync());
    }
}
