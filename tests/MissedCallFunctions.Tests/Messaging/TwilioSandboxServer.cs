using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using MissedCallFunctions.LocalHost.SmsSandbox;
using MissedCallFunctions.Messaging;

namespace MissedCallFunctions.Tests.Messaging;

/// <summary>The SMS sandbox with both its ACS and its Twilio endpoints on a real Kestrel listener on 127.0.0.1 (a free port).</summary>
internal sealed class TwilioSandboxServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private TwilioSandboxServer(WebApplication app, SmsSandbox sandbox, Uri baseAddress)
    {
        _app = app;
        Sandbox = sandbox;
        BaseAddress = baseAddress;
    }

    public SmsSandbox Sandbox { get; }

    public Uri BaseAddress { get; }

    /// <summary>Twilio:ApiBaseUrl for this server: http://127.0.0.1:{port}/sandbox/twilio.</summary>
    public Uri TwilioApiBaseUrl => Sandbox.Options.TwilioApiBaseUrlFor(BaseAddress);

    public static async Task<TwilioSandboxServer> StartAsync(string twilioPathPrefix = SmsSandboxOptions.DefaultTwilioPathPrefix,
        TimeProvider? timeProvider = null)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { EnvironmentName = "Testing" });
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));
        if (timeProvider is not null)
        {
            builder.Services.AddSingleton(timeProvider);
        }

        builder.Services.AddSmsSandbox();
        var app = builder.Build();
        SmsSandboxEndpoints.Map(app);
        TwilioSandboxEndpoints.Map(app, twilioPathPrefix);
        await app.StartAsync();

        var address = new Uri(app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First());
        var sandbox = app.Services.GetRequiredService<SmsSandbox>();
        sandbox.Options.Port = address.Port;
        return new TwilioSandboxServer(app, sandbox, address);
    }

    /// <summary>Options for a <see cref="TwilioSmsChannel"/> talking to this server with the sandbox's development account.</summary>
    public TwilioSmsOptions ChannelOptions(Action<TwilioSmsOptions>? configure = null)
    {
        var options = new TwilioSmsOptions
        {
            AccountSid = Sandbox.Options.TwilioAccountSid,
            AuthToken = Sandbox.Options.TwilioAuthToken,
            ApiBaseUrl = TwilioApiBaseUrl,
            StatusCallbackUrl = new Uri("https://missedcall.example.com/api/sms/twilio?code=fn-key"),
            NetworkTimeout = TimeSpan.FromSeconds(10),
        };
        configure?.Invoke(options);
        return options;
    }

    public HttpClient CreateHttpClient() => new() { BaseAddress = BaseAddress };

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
