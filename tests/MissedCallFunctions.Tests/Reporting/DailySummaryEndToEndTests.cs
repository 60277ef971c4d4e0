using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using MissedCallFunctions.LocalHost.SmsSandbox;
using MissedCallFunctions.Reporting;
using MissedCallFunctions.Tests.Infrastructure;

namespace MissedCallFunctions.Tests.Reporting;

/// <summary>
/// The daily summary on the real local host: the sender from its DI container, the Table Storage ledger on Azurite,
/// the ACS channel to the SMS sandbox. Only the clock is set, to a morning in London (night in Los Angeles).
/// </summary>
public sealed class DailySummaryEndToEndTests : IAsyncLifetime
{
    private const string UkManager = "+447400123402";
    private const string UsManager = "+13105550144";
    private const string DashboardBase = "https://missedcalls.example.org";
    private LocalHostRunner _host = null!;

    public async Task InitializeAsync()
        => _host = await LocalHostRunner.StartAsync(runProcessor: false, settings: new Dictionary<string, string?> { ["Dashboard:PublicBaseUrl"] = DashboardBase });

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task SendDueAsync_TwoInstancesOnAUkMorning_TextTheUkManagerExactlyOnce()
    {
        Assert.NotNull(_host.Get<DailySummarySender>());
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 25, 9, 0, 0, TimeSpan.Zero));
        DailySummarySender Instance() => ActivatorUtilities.CreateInstance<DailySummarySender>(_host.App.Services, (TimeProvider)time);
        var first = Instance();

        var concurrent = await Task.WhenAll(first.SendDueAsync(CancellationToken.None), Instance().SendDueAsync(CancellationToken.None));
        var message = await _host.Sandbox.WaitForSentAsync(UkManager, TimeSpan.FromSeconds(10));
        time.Advance(TimeSpan.FromMinutes(15));
        var again = await first.SendDueAsync(CancellationToken.None);

        Assert.Equal(1, concurrent.Sum());
        Assert.Equal(0, again);
        Assert.Single(_host.Sandbox.Messages, m => m.Direction == SandboxDirection.Outbound && m.To == UkManager);
        Assert.DoesNotContain(_host.Sandbox.Messages, m => m.To == UsManager);
        Assert.Equal("+442079460000", message.From);
        Assert.Equal(DailySummarySender.RepeatabilityId("riverside-dental", new DateOnly(2026, 11, 24), UkManager), message.RepeatabilityRequestId);
        var link = $"{DashboardBase}/api/dashboard/riverside-dental?token=dev-riverside-dashboard-token-0001";
        Assert.Equal($"Riverside Dental Practice, Tue 24 Nov: 0 missed calls, 0 texted, 0 replied, 0 booked (GBP 0). No open tasks. Dashboard: {link}",
            message.Body);

        // The link's path and token open the dashboard on this host.
        using var page = await _host.Http.GetAsync(new Uri(_host.BaseAddress, new Uri(link).PathAndQuery));
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
    }
}
