using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using MissedCallFunctions.Tests.Infrastructure;

namespace MissedCallFunctions.Tests.LocalHost;

public sealed class LocalHostFixture : IAsyncLifetime
{
    public LocalHostRunner Host { get; private set; } = null!;

    public async Task InitializeAsync() => Host = await LocalHostRunner.StartAsync(runProcessor: false);

    public async Task DisposeAsync() => await Host.DisposeAsync();
}

/// <summary>The admin recent-calls route's query, through the real local host.</summary>
public sealed class AdminRecentCallsEndToEndTests(LocalHostFixture fixture) : IClassFixture<LocalHostFixture>
{
    private LocalHostRunner Host => fixture.Host;

    /// <summary>Regression: the local host bound limit as int? and answered "abc" with an empty 400.</summary>
    [Theory]
    [InlineData("abc")]
    [InlineData("99999999999")]
    [InlineData("1.5")]
    public async Task AdminRecentCalls_LimitNotAWholeNumber_400ProblemDetails(string limit)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/admin/clinics/{TestData.UkClinicId}/calls?limit={limit}");
        request.Headers.Add("x-functions-key", LocalHostRunner.AdminKey);

        using var response = await Host.Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("Invalid limit", (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("title").GetString());
    }

    [Theory]
    [InlineData("")]
    [InlineData("?limit=5")]
    [InlineData("?limit=0")]
    [InlineData("?limit=-3")]
    [InlineData("?limit=5000")]
    public async Task AdminRecentCalls_WholeNumberOrNoLimit_200(string query)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/admin/clinics/{TestData.UkClinicId}/calls{query}");
        request.Headers.Add("x-functions-key", LocalHostRunner.AdminKey);

        using var response = await Host.Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(JsonValueKind.Array, (await response.Content.ReadFromJsonAsync<JsonElement>()).ValueKind);
    }
}
