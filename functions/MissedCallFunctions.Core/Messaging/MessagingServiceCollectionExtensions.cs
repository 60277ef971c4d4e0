using Azure.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace MissedCallFunctions.Messaging;

public static class MessagingServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="AcsSmsClient"/> as the singleton <see cref="ISmsChannel"/>, configured from the "Acs" section:
    /// Acs:ConnectionString (HMAC; local runs and the SMS sandbox) or Acs:Endpoint with the <see cref="TokenCredential"/>
    /// from DI (managed identity in Azure). The options are validated when the channel is first resolved, so hosts that
    /// never send do not need the section. An <see cref="ISmsChannel"/> registered before this call wins (tests, fakes).
    /// </summary>
    public static IServiceCollection AddAcsSms(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);

        services.TryAddSingleton(TimeProvider.System);
        services.AddOptions<AcsSmsOptions>()
            .Bind(configuration.GetSection(AcsSmsOptions.Section))
            .ValidateDataAnnotations()
            .Validate(o => !string.IsNullOrWhiteSpace(o.ConnectionString) || o.Endpoint is not null,
                "Set Acs:ConnectionString (endpoint=...;accesskey=...) or Acs:Endpoint (with a managed identity).")
            .Validate(o => o.Endpoint is null || (o.Endpoint.IsAbsoluteUri && o.Endpoint.Scheme == Uri.UriSchemeHttps),
                "Acs:Endpoint must be an absolute https URI such as https://<resource>.communication.azure.com.");

        services.TryAddSingleton(sp =>
        {
            var options = sp.GetRequiredService<IOptions<AcsSmsOptions>>().Value;
            var clientOptions = new AcsSmsClientOptions
            {
                ApiVersion = options.ApiVersion,
                TimeProvider = sp.GetRequiredService<TimeProvider>(),
            };
            clientOptions.Retry.NetworkTimeout = options.NetworkTimeout;
            var logger = sp.GetService<ILogger<AcsSmsClient>>();
            return string.IsNullOrWhiteSpace(options.ConnectionString)
                ? new AcsSmsClient(options.Endpoint!, sp.GetRequiredService<TokenCredential>(), clientOptions, logger)
                : new AcsSmsClient(options.ConnectionString, clientOptions, logger);
        });
        services.TryAddSingleton<ISmsChannel>(sp => sp.GetRequiredService<AcsSmsClient>());
        return services;
    }
}
