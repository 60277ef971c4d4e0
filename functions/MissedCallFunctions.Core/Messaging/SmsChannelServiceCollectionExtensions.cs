using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MissedCallFunctions.Clinics;

namespace MissedCallFunctions.Messaging;

/// <summary>Picks the SMS channel that texts a clinic's patients, by <see cref="ClinicConfig.SmsChannel"/>.</summary>
public interface ISmsChannelResolver
{
    /// <summary>The channel for this clinic: "acs" → ACS SMS, "twilio" → Twilio.</summary>
    /// <exception cref="InvalidOperationException">The clinic's channel is unknown or not configured in this host (the message names the settings to add).</exception>
    ISmsChannel For(ClinicConfig clinic);
}

/// <summary>The channel keys of <see cref="ClinicConfig.SmsChannel"/>, also the DI keys of the keyed <see cref="ISmsChannel"/> services.</summary>
public static class SmsChannelKeys
{
    public const string Acs = "acs";

    public const string Twilio = "twilio";
}

/// <summary>Resolves the keyed <see cref="ISmsChannel"/> registered by <see cref="SmsChannelServiceCollectionExtensions.AddSmsChannels"/>.</summary>
public sealed class SmsChannelResolver(IServiceProvider services) : ISmsChannelResolver
{
    public ISmsChannel For(ClinicConfig clinic)
    {
        ArgumentNullException.ThrowIfNull(clinic);
        var key = clinic.SmsChannel?.Trim().ToLowerInvariant();
        var (settings, name) = key switch
        {
            SmsChannelKeys.Acs => ("Acs:ConnectionString (or Acs:Endpoint with a managed identity)", "ACS"),
            SmsChannelKeys.Twilio => ("Twilio:AccountSid and Twilio:AuthToken (or Twilio:ApiKeySid and Twilio:ApiKeySecret)", "Twilio"),
            _ => throw new InvalidOperationException(
                $"Clinic '{clinic.Id}' has smsChannel '{clinic.SmsChannel}', which is not one of {SmsChannelKeys.Acs}, {SmsChannelKeys.Twilio}."),
        };

        try
        {
            return services.GetKeyedService<ISmsChannel>(key)
                   ?? throw new InvalidOperationException(
                       $"Clinic '{clinic.Id}' texts through {name}, but the {name} SMS channel is not configured in this host: set {settings}.");
        }
        catch (OptionsValidationException ex)
        {
            throw new InvalidOperationException(
                $"Clinic '{clinic.Id}' texts through {name}, but the {name} SMS channel is not configured correctly ({ex.Message}): set {settings}.", ex);
        }
    }
}

public static class SmsChannelServiceCollectionExtensions
{
    /// <summary>
    /// Registers every SMS channel this host can use and the <see cref="ISmsChannelResolver"/> that picks one per clinic:
    /// <list type="bullet">
    /// <item>"acs": <see cref="MessagingServiceCollectionExtensions.AddAcsSms"/> (the unkeyed <see cref="ISmsChannel"/>, so a
    /// fake registered before this call still wins), also as the keyed service "acs".</item>
    /// <item>"twilio": <see cref="TwilioSmsChannel"/> from the "Twilio" section, only when Twilio:AccountSid is set; also
    /// as the keyed service "twilio". Its options are validated when first resolved.</item>
    /// </list>
    /// Keyed <see cref="ISmsChannel"/> services registered before this call win (tests, fakes).
    /// </summary>
    public static IServiceCollection AddSmsChannels(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);

        services.AddAcsSms(configuration);
        services.TryAddKeyedSingleton<ISmsChannel>(SmsChannelKeys.Acs, (sp, _) => sp.GetRequiredService<ISmsChannel>());

        var twilio = configuration.GetSection(TwilioSmsOptions.Section);
        if (!string.IsNullOrWhiteSpace(twilio[nameof(TwilioSmsOptions.AccountSid)]))
        {
            services.AddOptions<TwilioSmsOptions>().Bind(twilio);
            services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<TwilioSmsOptions>, TwilioSmsOptionsValidator>());
            services.TryAddSingleton(sp => new TwilioSmsChannel(
                sp.GetRequiredService<IOptions<TwilioSmsOptions>>().Value,
                transport: null,
                sp.GetService<ILogger<TwilioSmsChannel>>()));
            services.TryAddKeyedSingleton<ISmsChannel>(SmsChannelKeys.Twilio, (sp, _) => sp.GetRequiredService<TwilioSmsChannel>());
        }

        services.TryAddSingleton<ISmsChannelResolver, SmsChannelResolver>();
        return services;
    }
}

/// <summary>Fails <see cref="TwilioSmsOptions"/> with the specific <see cref="TwilioSmsOptions.Problem"/>.</summary>
internal sealed class TwilioSmsOptionsValidator : IValidateOptions<TwilioSmsOptions>
{
    public ValidateOptionsResult Validate(string? name, TwilioSmsOptions options)
        => options.Problem() is { } problem ? ValidateOptionsResult.Fail(problem) : ValidateOptionsResult.Success;
}
