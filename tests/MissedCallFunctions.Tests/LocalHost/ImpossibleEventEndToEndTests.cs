using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using MissedCallFunctions.Tests.Infrastructure;

namespace MissedCallFunctions.Tests.LocalHost;

/// <summary>Signed events the processor could not take, through the real local host (processor off).</summary>
public sealed class ImpossibleEventEndToEndTests : IAsyncLifetime
{
    private LocalHostRunner _host = null!;

    public async Task InitializeAsync() => _host = await LocalHostRunner.StartAsync(runProcessor: false);

    public async Task DisposeAsync() => await _host.DisposeAsync();

    /// <summary>Regression: such events were answered 202 and then dead-lettered by the processor, so the sender never knew.</summary>
    [Fact]
    public async Task Ingest_SignedEventOccurredMoreThanADayAheadOrAYearAgo_400WithTheReasonNothingQueued()
    {
        foreach (var occurredAt in new[] { DateTimeOffset.UtcNow.AddDays(2), DateTimeOffset.UtcNow.AddYears(-2) })
        {
            var id = "evt-" + Guid.NewGuid().ToString("N");
            var json = $$"""{"eventId":"{{id}}","callId":"c-{{id}}","clinicNumber":"{{TestData.UkClinicNumber}}","caller":"{{TestData.UkMobile}}","outcome":"missed","occurredAt":"{{occurredAt:O}}"}""";

            using var response = await _host.Http.SendAsync(_host.GenericEvent(json));

            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
            Assert.Equal("Invalid call event", problem.GetProperty("title").GetString());
            Assert.Contains("occurred-at", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        }

        Assert.Equal(0, await _host.QueuedCountAsync());
    }
}
