using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using MissedCallFunctions.Clinics;
using MissedCallFunctions.Messaging;
using NSubstitute;

namespace MissedCallFunctions.Tests.Messaging;

/// <summary><see cref="SmsChannelServiceCollectionExtensions.AddSmsChannels"/> and the per-clinic <see cref="ISmsChannelResolver"/> (ACS and Twilio).</summary>
public sealed class TwilioSmsChannelResolverTests
{
    private const string AcsConnectionString = "endpoint=https://riverside.communication.azure.com/;accesskey=a2V5LXdpdGgtcGFkZGluZw==";
    private const string AccountSid = "AC4e7b1d9f3a6c2e8b0d5f7a1c3e9b2d4f";

    [Fact]
    public void For_BothConfigured_PicksPerClinic()
    {
        using var provider = Build(Both());
        var resolver = provider.GetRequiredService<ISmsChannelResolver>();

        var acs = resolver.For(Clinic("acs"));
        var twilio = resolver.For(Clinic("twilio"));

        Assert.IsType<AcsSmsClient>(acs);
        var channel = Assert.IsType<TwilioSmsChannel>(twilio);
        Assert.Equal(AccountSid, channel.AccountSid);
        Assert.Equal(new Uri("https://api.twilio.com"), channel.ApiBaseUrl);
        Assert.Same(twilio, resolver.For(Clinic("twilio")));
        Assert.Same(acs, provider.GetRequiredService<ISmsChannel>());
    }

    [Fact]
    public void For_ChannelNameIsCaseInsensitive()
    {
        using var provider = Build(Both());

        Assert.IsType<TwilioSmsChannel>(provider.GetRequiredService<ISmsChannelResolver>().For(Clinic(" Twilio ")));
    }

    [Fact]
    public void For_TwilioClinicWithoutTwilioSection_NamesTheMissingSettings()
    {
        using var provider = Build(new() { ["Acs:ConnectionString"] = AcsConnectionString });
        var resolver = provider.GetRequiredService<ISmsChannelResolver>();

        var error = Assert.Throws<InvalidOperationException>(() => resolver.For(Clinic("twilio")));

        Assert.Contains("Twilio:AccountSid", error.Message, StringComparison.Ordinal);
        Assert.Contains("riverside-dental", error.Message, StringComparison.Ordinal);
        Assert.Null(provider.GetService<TwilioSmsChannel>());
        Assert.IsType<AcsSmsClient>(resolver.For(Clinic("acs")));
    }

    [Fact]
    public void For_AcsClinicWithoutAcsSection_NamesTheMissingSettings()
    {
        using var provider = Build(new() { ["Twilio:AccountSid"] = AccountSid, ["Twilio:AuthToken"] = "token" });
        var resolver = provider.GetRequiredService<ISmsChannelResolver>();

        var error = Assert.Throws<InvalidOperationException>(() => resolver.For(Clinic("acs")));

        Assert.Contains("Acs:ConnectionString", error.Message, StringComparison.Ordinal);
        Assert.IsType<TwilioSmsChannel>(resolver.For(Clinic("twilio")));
    }

    [Fact]
    public void For_TwilioWithoutCredentials_NamesTheProblem()
    {
        using var provider = Build(new() { ["Twilio:AccountSid"] = AccountSid });

        var error = Assert.Throws<InvalidOperationException>(() => provider.GetRequiredService<ISmsChannelResolver>().For(Clinic("twilio")));

        Assert.Contains("Twilio:AuthToken", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void For_UnknownChannel_Throws()
    {
        using var provider = Build(Both());

        var error = Assert.Throws<InvalidOperationException>(() => provider.GetRequiredService<ISmsChannelResolver>().For(Clinic("carrier-pigeon")));

        Assert.Contains("carrier-pigeon", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AddSmsChannels_TwilioSection_BindsEveryOption()
    {
        using var provider = Build(new()
        {
            ["Twilio:AccountSid"] = AccountSid,
            ["Twilio:ApiKeySid"] = "SK0123456789abcdef0123456789abcdef",
            ["Twilio:ApiKeySecret"] = "secret",
            ["Twilio:StatusCallbackUrl"] = "https://missedcall.example.com/api/sms/twilio?code=k",
            ["Twilio:ApiBaseUrl"] = "http://127.0.0.1:7071/sandbox/twilio",
            ["Twilio:NetworkTimeout"] = "00:00:05",
        });

        var channel = provider.GetRequiredService<TwilioSmsChannel>();

        Assert.Equal(new Uri("http://127.0.0.1:7071/sandbox/twilio"), channel.ApiBaseUrl);
        Assert.Equal(new Uri("https://missedcall.example.com/api/sms/twilio?code=k&tag=t1"), channel.StatusCallbackFor("t1"));
    }

    [Fact]
    public void AddSmsChannels_FakeChannelsRegisteredFirst_Win()
    {
        var fakeAcs = Substitute.For<ISmsChannel>();
        var fakeTwilio = Substitute.For<ISmsChannel>();
        using var provider = Build(Both(), services =>
        {
            services.AddSingleton(fakeAcs);
            services.AddKeyedSingleton(SmsChannelKeys.Twilio, fakeTwilio);
        });
        var resolver = provider.GetRequiredService<ISmsChannelResolver>();

        Assert.Same(fakeAcs, resolver.For(Clinic("acs")));
        Assert.Same(fakeTwilio, resolver.For(Clinic("twilio")));
    }

    private static Dictionary<string, string?> Both() => new()
    {
        ["Acs:ConnectionString"] = AcsConnectionString,
        ["Twilio:AccountSid"] = AccountSid,
        ["Twilio:AuthToken"] = "2b7e151628aed2a6abf7158809cf4f3c",
    };

    private static ClinicConfig Clinic(string channel) => new()
    {
        Id = "riverside-dental",
        Name = "Riverside Dental",
        Country = "GB",
        TimeZone = "Europe/London",
        SmsChannel = channel,
    };

    private static ServiceProvider Build(Dictionary<string, string?> settings, Action<IServiceCollection>? before = null)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection();
        before?.Invoke(services);
        services.AddSmsChannels(configuration);
        return services.BuildServiceProvider();
    }
}
