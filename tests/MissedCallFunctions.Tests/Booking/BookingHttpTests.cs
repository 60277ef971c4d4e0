using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using MissedCallFunctions.Tests.Infrastructure;

namespace MissedCallFunctions.Tests.Bookings;

/// <summary>The staff booking API's date validation, through the real local host.</summary>
public sealed class BookingHttpTests(BookingHostFixture fixture) : IClassFixture<BookingHostFixture>
{
    private LocalHostRunner Host => fixture.Host;

    /// <summary>Regression: a start at the end of time overflowed start + duration and answered 500.</summary>
    [Theory]
    [InlineData("9999-12-31T23:55:00Z")]
    [InlineData("0001-01-01T00:00:00Z")]
    public async Task ReportBooking_StartAtTheEdgesOfTime_400ProblemDetails(string start)
    {
        using var response = await Host.Http.SendAsync(Report($$"""{"phone":"{{TestData.UkMobile}}","start":"{{start}}"}"""));

        await AssertProblemAsync(response, "Invalid booking", "'start' must be from a day ago to 2 years ahead");
    }

    [Fact]
    public async Task ReportBooking_StartTwoDaysAgoOrThreeYearsAhead_400ProblemDetails()
    {
        foreach (var start in new[] { DateTimeOffset.UtcNow.AddDays(-2), DateTimeOffset.UtcNow.AddYears(3) })
        {
            using var response = await Host.Http.SendAsync(Report(JsonSerializer.Serialize(new { phone = TestData.UkMobile, start })));

            await AssertProblemAsync(response, "Invalid booking", "'start' must be from a day ago");
        }
    }

    /// <summary>Regression: from=0001-01-01 underflowed the store's key arithmetic and answered 500.</summary>
    [Theory]
    [InlineData("from=0001-01-01")]
    [InlineData("from=0001-01-01T00:00:00Z&to=0001-01-02T00:00:00Z")]
    [InlineData("to=9999-12-31T23:59:59Z")]
    [InlineData("from=2026-12-01T00:00:00Z&to=2026-11-01T00:00:00Z")]
    [InlineData("from=2025-01-01T00:00:00Z&to=2026-12-01T00:00:00Z")]
    [InlineData("from=yesterday")]
    [InlineData("to=%00")]
    public async Task ListBookings_RangeOutOfBoundsOrUnreadable_400ProblemDetails(string query)
    {
        using var response = await Host.Http.SendAsync(List(query));

        await AssertProblemAsync(response, "Invalid date range", "'");
    }

    [Fact]
    public async Task ListBookings_SaneRange_200()
    {
        var today = DateTimeOffset.UtcNow.Date;
        foreach (var query in new[] { string.Empty, $"from={today.AddDays(-20):yyyy-MM-dd}", $"from={today:yyyy-MM-dd}T00:00:00%2B01:00&to={today.AddDays(30):yyyy-MM-dd}T00:00:00Z" })
        {
            using var response = await Host.Http.SendAsync(List(query));

            Assert.True(response.StatusCode == HttpStatusCode.OK, $"{query}: {(int)response.StatusCode}");
            Assert.Equal(JsonValueKind.Array, (await response.Content.ReadFromJsonAsync<JsonElement>()).ValueKind);
        }
    }

    private HttpRequestMessage Report(string json)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, $"/api/clinics/{TestData.UkClinicId}/bookings?code={LocalHostRunner.FunctionKey}")
        {
            Content = new StringContent(json, Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("X-Clinic-Token", FastClinics.UkStaffToken);
        return request;
    }

    private static HttpRequestMessage List(string query)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, $"/api/clinics/{TestData.UkClinicId}/bookings?{query}&code={LocalHostRunner.FunctionKey}");
        request.Headers.Add("X-Clinic-Token", FastClinics.UkStaffToken);
        return request;
    }

    private static async Task AssertProblemAsync(HttpResponseMessage response, string title, string detailStart)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{(int)response.StatusCode} {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonDocument.Parse(body).RootElement;
        Assert.Equal(title, problem.GetProperty("title").GetString());
        Assert.StartsWith(detailStart, problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }
}
