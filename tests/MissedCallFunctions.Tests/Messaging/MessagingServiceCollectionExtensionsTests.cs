using Azure.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using MissedCallFunctions.Messaging;
using NSubstitute;

namespace MissedCallFunctions.Tests.Messaging;

public sealed class MessagingServiceCollectionExtensionsTests
{
    private const string Key = "a2V5LXdpdGgtcGFkZGluZw==";

    [Fact]
    public void AddAcsSms_ConnectionString_RegistersOneSingletonChannel()
    {
        using var provider = Build(new() { ["Acs:ConnectionString"] = $"endpoint=http://127.0.0.1:5123/sandbox/acs/;accesskey={Key}" });

        var channel = provider.GetRequiredService<ISmsChannel>();

        var client = Assert.IsType<AcsSmsClient>(channel);
        Assert.Same(client, provider.GetRequiredService<AcsSmsClient>());
        Assert.Same(channel, provider.GetRequiredService<ISmsChannel>());
        Assert.Equal("/sandbox/acs", client.Endpoint.AbsolutePath);
    }

    [Fact]
    public void AddAcsSms_EndpointOnly_UsesTheTokenCredentialFromDi()
    {
        var credential = Substitute.For<TokenCredential>();
        using var provider = Build(new() { ["Acs:Endpoint"] = "https://contoso.communication.azure.com/" }, s => s.AddSingleton(credential));

        var client = Assert.IsType<AcsSmsClient>(provider.GetRequiredService<ISmsChannel>());

        Assert.Equal("contoso.communication.azure.com", client.Endpoint.Host);
    }

    [Fact]
    public void AddAcsSms_Nothing_FailsOnResolveWithAClearMessage()
    {
        using var provider = Build([]);

        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<ISmsChannel>());

        Assert.Contains("Acs:ConnectionString", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AddAcsSms_HttpEndpoint_IsRefused()
    {
        using var provider = Build(new() { ["Acs:Endpoint"] = "http://contoso.communication.azure.com/" }, s => s.AddSingleton(Substitute.For<TokenCredential>()));

        Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<ISmsChannel>());
    }

    [Fact]
    public void AddAcsSms_Defaults_ApiVersionAndTimeout()
    {
        using var provider = Build(new() { ["Acs:ConnectionString"] = $"endpoint=https://x.communication.azure.com/;accesskey={Key}" });

        var options = provider.GetRequiredService<IOptions<AcsSmsOptions>>().Value;

        Assert.Equal("2021-03-07", options.ApiVersion);
        Assert.Equal(TimeSpan.FromSeconds(10), options.NetworkTimeout);
    }

    [Fact]
    public void AddAcsSms_ChannelRegisteredBefore_Wins()
    {
        var fake = Substitute.For<ISmsChannel>();
        using var provider = Build([], s => s.AddSingleton(fake), before: true);

        Assert.Same(fake, provider.GetRequiredService<ISmsChannel>());
    }

    private static ServiceProvider Build(Dictionary<string, string?> settings, Action<IServiceCollection>? configure = null, bool before = false)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection();
        services.AddLogging();
        if (before)
        {
            configure?.Invoke(services);
        }

        services.AddAcsSms(configuration);
        if (!before)
        {
            configure?.Invoke(services);
        }

        return services.BuildServiceProvider();
    }
}
