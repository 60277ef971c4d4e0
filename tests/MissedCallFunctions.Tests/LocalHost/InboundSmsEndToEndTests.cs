using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using MissedCallFunctions.Conversation.Inbound;
using MissedCallFunctions.Tests.Infrastructure;

namespace MissedCallFunctions.Tests.LocalHost;

/// <summary>What each SMS provider gets back for a handled webhook, through the real local host.</summary>
public sealed class InboundSmsEndToEndTests : IAsyncLifetime
{
    private LocalHostRunner _host = null!;

    public async Task InitializeAsync() => _host = await LocalHostRunner.StartAsync(runProcessor: false);

    public async Task DisposeAsync() => await _host.DisposeAsync();

    /// <summary>Regression: Twilio got 202 application/json, which it cannot execute as TwiML (and logs as an error).</summary>
    [Fact]
    public async Task InboundSms_TwilioMessageAndItsRetry_200EmptyTwiml()
    {
        var form = LocalHostRunner.TwilioIncomingSms(TestData.UkMobile, "Is Friday possible?");

        for (var delivery = 0; delivery < 2; delivery++)
        {
            using var request = _host.TwilioSms(form);

            using var response = await _host.Http.SendAsync(request);

            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("text/xml", response.Content.Headers.ContentType?.MediaType);
            Assert.Equal(TwilioInboundSmsProvider.EmptyTwiml, await response.Content.ReadAsStringAsync());
        }
    }

    [Fact]
    public async Task InboundSms_AcsMessage_Still202JsonSummary()
    {
        var id = "Incoming_" + Guid.NewGuid().ToString("N");
        var body = JsonSerializer.Serialize(new[]
        {
            new
            {
                id, topic = "/x", subject = "/phonenumber/" + TestData.UkClinicNumber.TrimStart('+'),
                data = new { MessageId = id, From = TestData.UkMobile, To = TestData.UkClinicNumber, Message = "Is Friday possible?", ReceivedTimestamp = DateTimeOffset.UtcNow },
                eventType = "Microsoft.Communication.SMSReceived", dataVersion = "1.0", metadataVersion = "1", eventTime = DateTimeOffset.UtcNow,
            },
        });
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/sms/acs?code={LocalHostRunner.FunctionKey}&token=dev-riverside-acs-token")
        {
            Content = new StringContent(body, Encoding.UTF8, "application/json"),
        };

        using var response = await _host.Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal("accepted", (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("status").GetString());
    }
}
