using System.Text;
using System.Threading.Channels;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Options;

namespace MissedCallFunctions.LocalHost.SmsSandbox;

public sealed class SandboxForwardingOptions
{
    public const string Section = "SmsSandbox";

    /// <summary>How long after a text is "sent" the sandbox reports it delivered (as ACS does, via Event Grid).</summary>
    public TimeSpan DeliveryReportDelay { get; set; } = TimeSpan.FromMilliseconds(300);

    /// <summary>Send delivery reports at all (off to test a pipeline that never hears back).</summary>
    public bool DeliveryReports { get; set; } = true;
}

/// <summary>
/// Plays Event Grid for the local sandbox: replies typed at a sandbox phone and delivery reports of sandbox texts are
/// posted, in order, as ACS Event Grid events to this host's own inbound SMS webhook, exactly as Azure would.
/// </summary>
public sealed partial class SandboxWebhookForwarder(
    SmsSandbox sandbox,
    IServer server,
    IOptions<LocalHostOptions> localOptions,
    IOptions<SandboxForwardingOptions> options,
    IHttpClientFactory httpClients,
    MissedCallFunctions.Clinics.IClinicDirectory clinics,
    ILogger<SandboxWebhookForwarder> logger) : BackgroundService
{
    private readonly Channel<(SandboxEvent Event, string ClinicNumber)> _events =
        Channel.CreateUnbounded<(SandboxEvent, string)>(new UnboundedChannelOptions { SingleReader = true });

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        sandbox.MessageSent += OnSent;
        sandbox.MessageReceived += OnReceived;
        try
        {
            var http = httpClients.CreateClient(nameof(SandboxWebhookForwarder));
            await foreach (var (item, clinicNumber) in _events.Reader.ReadAllAsync(stoppingToken).ConfigureAwait(false))
            {
                await PostAsync(http, item, clinicNumber, stoppingToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping.
        }
        finally
        {
            sandbox.MessageSent -= OnSent;
            sandbox.MessageReceived -= OnReceived;
        }
    }

    private void OnReceived(object? sender, SandboxMessage reply) => _events.Writer.TryWrite((SandboxEvents.SmsReceived(reply), reply.To));

    private void OnSent(object? sender, SandboxMessage sent)
    {
        if (!options.Value.DeliveryReports || !sent.EnableDeliveryReport)
        {
            return;
        }

        _ = Task.Delay(options.Value.DeliveryReportDelay).ContinueWith(
            _ => _events.Writer.TryWrite((SandboxEvents.DeliveryReport(sent), sent.From)), TaskScheduler.Default);
    }

    private async Task PostAsync(HttpClient http, SandboxEvent item, string clinicNumber, CancellationToken cancellationToken)
    {
        // Like a real Event Grid subscription, the URL carries the clinic's webhook token when it has one.
        var clinic = await clinics.FindByNumberAsync(clinicNumber, cancellationToken).ConfigureAwait(false);
        var token = clinic?.Webhooks.AcsWebhookToken is { Length: > 0 } t ? $"&token={Uri.EscapeDataString(t)}" : string.Empty;
        var address = server.Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault();
        if (address is null)
        {
            return;
        }

        var url = $"{address.Replace("[::]", "127.0.0.1", StringComparison.Ordinal).Replace("0.0.0.0", "127.0.0.1", StringComparison.Ordinal).TrimEnd('/')}/api/sms/acs?code={Uri.EscapeDataString(localOptions.Value.FunctionKey)}{token}";
        // Event Grid retries failed deliveries; so does the sandbox, a few times.
        for (var attempt = 1; attempt <= 5; attempt++)
        {
            try
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, url)
                {
                    Content = new StringContent(SandboxEvents.ToEventGridJson(item), Encoding.UTF8, "application/json"),
                };
                request.Headers.Add("aeg-event-type", "Notification");
                using var response = await http.SendAsync(request, cancellationToken).ConfigureAwait(false);
                if (response.IsSuccessStatusCode || (int)response.StatusCode is >= 400 and < 500 and not 408 and not 429)
                {
                    if (!response.IsSuccessStatusCode)
                    {
                        LogRefused(logger, item.Type, (int)response.StatusCode);
                    }

                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Host busy or restarting: retry below.
            }

            await Task.Delay(TimeSpan.FromMilliseconds(200 * attempt), cancellationToken).ConfigureAwait(false);
        }
    }

    [LoggerMessage(EventId = 7000, Level = LogLevel.Warning, Message = "The inbound webhook refused a sandbox {EventType} event with {Status}")]
    private static partial void LogRefused(ILogger logger, string eventType, int status);
}
