using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using MissedCallFunctions.Messaging;

namespace MissedCallFunctions.LocalHost.SmsSandbox;

/// <summary>
/// The local host's default SMS provider: the sandbox, served by the host itself (ACS API at the root, Twilio API
/// under /sandbox/twilio), used whenever no real ACS or Twilio account is configured.
/// </summary>
public static class LocalSmsSandbox
{
    /// <summary>Points unconfigured channels at the sandbox; false when real providers are configured for both.</summary>
    public static bool Configure(ConfigurationManager configuration)
    {
        var acs = string.IsNullOrWhiteSpace(configuration["Acs:ConnectionString"]) && string.IsNullOrWhiteSpace(configuration["Acs:Endpoint"]);
        var twilio = string.IsNullOrWhiteSpace(configuration["Twilio:AccountSid"]);
        if (twilio)
        {
            // The channel registers only when an account is configured; its base URL is set once the port is known.
            configuration["Twilio:AccountSid"] = SmsSandboxOptions.DevelopmentTwilioAccountSid;
            configuration["Twilio:AuthToken"] = SmsSandboxOptions.DevelopmentTwilioAuthToken;
            configuration["LocalHost:TwilioSandbox"] = "true";
        }

        if (acs)
        {
            configuration["LocalHost:AcsSandbox"] = "true";
        }

        return acs || twilio;
    }

    public static IServiceCollection AddLocalSmsSandbox(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddSmsSandbox();
        services.AddOptions<SandboxForwardingOptions>().Bind(configuration.GetSection(SandboxForwardingOptions.Section));
        services.AddHostedService<SandboxWebhookForwarder>();
        if (configuration["LocalHost:AcsSandbox"] == "true")
        {
            services.AddOptions<AcsSmsOptions>().PostConfigure<IServer, SmsSandbox>((o, server, sandbox) =>
                o.ConnectionString = sandbox.Options.ConnectionStringFor(BaseAddress(server)));
        }

        if (configuration["LocalHost:TwilioSandbox"] == "true")
        {
            services.AddOptions<TwilioSmsOptions>().PostConfigure<IServer, SmsSandbox>((o, server, sandbox) =>
                o.ApiBaseUrl = new Uri(BaseAddress(server), sandbox.Options.TwilioPathPrefix));
        }

        return services;
    }

    public static void Map(WebApplication app)
    {
        SmsSandboxEndpoints.Map(app, string.Empty);
        TwilioSandboxEndpoints.Map(app);
        SandboxPage.Map(app);
    }

    private static Uri BaseAddress(IServer server)
    {
        var address = server.Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault()
                      ?? throw new InvalidOperationException("The local host is not listening yet.");
        return new Uri(address.Replace("[::]", "127.0.0.1", StringComparison.Ordinal).Replace("0.0.0.0", "127.0.0.1", StringComparison.Ordinal));
    }
}
