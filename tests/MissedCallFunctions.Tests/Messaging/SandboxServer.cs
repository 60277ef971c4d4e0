using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Azure.Core.Pipeline;
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

/// <summary>The SMS sandbox on a real Kestrel listener on 127.0.0.1 (a free port), http or https.</summary>
internal sealed class SandboxServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly X509Certificate2? _certificate;

    private SandboxServer(WebApplication app, SmsSandbox sandbox, Uri baseAddress, X509Certificate2? certificate)
    {
        _app = app;
        Sandbox = sandbox;
        BaseAddress = baseAddress;
        _certificate = certificate;
    }

    public SmsSandbox Sandbox { get; }

    public Uri BaseAddress { get; }

    /// <summary>endpoint=http://127.0.0.1:{port}/sandbox/acs;accesskey=...</summary>
    public string ConnectionString => Sandbox.Options.ConnectionStringFor(BaseAddress);

    /// <summary>The endpoint an ACS client is given: the base address plus the prefix the sandbox is mapped under.</summary>
    public Uri Endpoint => new(BaseAddress, Sandbox.Options.PathPrefix);

    /// <summary>endpoint=http://127.0.0.1:{port};accesskey=... (no path), whatever the prefix: what the official JS client accepts.</summary>
    public string OriginConnectionString => $"endpoint={BaseAddress.GetLeftPart(UriPartial.Authority)};accesskey={Sandbox.Options.AccessKey}";

    public static async Task<SandboxServer> StartAsync(Action<SmsSandboxOptions>? configure = null, bool https = false,
        string pathPrefix = SmsSandboxOptions.DefaultPathPrefix, TimeProvider? timeProvider = null)
    {
        var certificate = https ? CreateLoopbackCertificate() : null;
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { EnvironmentName = "Testing" });
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0, listen =>
        {
            if (certificate is not null)
            {
                listen.UseHttps(certificate);
            }
        }));
        if (timeProvider is not null)
        {
            builder.Services.AddSingleton(timeProvider);
        }

        builder.Services.AddSmsSandbox(configure);
        var app = builder.Build();
        SmsSandboxEndpoints.Map(app, pathPrefix);
        await app.StartAsync();

        var address = new Uri(app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First());
        var sandbox = app.Services.GetRequiredService<SmsSandbox>();
        sandbox.Options.Port = address.Port;
        return new SandboxServer(app, sandbox, address, certificate);
    }

    /// <summary>Options for an <see cref="AcsSmsClient"/> talking to this server (trusting its self-signed certificate when https).</summary>
    public AcsSmsClientOptions ClientOptions(TimeSpan? networkTimeout = null)
    {
        var options = new AcsSmsClientOptions();
        options.Retry.NetworkTimeout = networkTimeout ?? TimeSpan.FromSeconds(10);
        if (_certificate is not null)
        {
            var thumbprint = _certificate.Thumbprint;
#pragma warning disable CA2000 // the transport owns the handler for the test's lifetime
            var handler = new HttpClientHandler
            {
                ServerCertificateCustomValidationCallback = (_, certificate, _, _) => certificate?.Thumbprint == thumbprint,
            };
            options.Transport = new HttpClientTransport(handler);
#pragma warning restore CA2000
        }

        return options;
    }

    public HttpClient CreateHttpClient() => new() { BaseAddress = BaseAddress };

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        _certificate?.Dispose();
    }

    private static X509Certificate2 CreateLoopbackCertificate()
    {
        using var rsa = RSA.Create(2048);
        var request = new CertificateRequest("CN=127.0.0.1", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new System.Security.Cryptography.Oid("1.3.6.1.5.5.7.3.1")], false));
        using var ephemeral = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        return X509CertificateLoader.LoadPkcs12(ephemeral.Export(X509ContentType.Pkcs12), null);
    }
}

/// <summary>An HttpMessageHandler that records requests (as strings, before disposal) and answers from a script.</summary>
internal sealed class ScriptedHandler(Func<HttpRequestMessage, int, HttpResponseMessage> respond) : HttpMessageHandler
{
    public List<CapturedRequest> Requests { get; } = [];

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var body = request.Content is null ? [] : await request.Content.ReadAsByteArrayAsync(cancellationToken);
        var headers = request.Headers.Concat(request.Content?.Headers ?? Enumerable.Empty<KeyValuePair<string, IEnumerable<string>>>())
            .ToDictionary(h => h.Key, h => string.Join(",", h.Value), StringComparer.OrdinalIgnoreCase);
        Requests.Add(new CapturedRequest(request.Method.Method, request.RequestUri!, headers, body));
        return respond(request, Requests.Count);
    }

    public static HttpResponseMessage Json(HttpStatusCode status, string json, Action<HttpResponseMessage>? configure = null)
    {
        var response = new HttpResponseMessage(status) { Content = new StringContent(json, System.Text.Encoding.UTF8, "application/json") };
        configure?.Invoke(response);
        return response;
    }
}

internal sealed record CapturedRequest(string Method, Uri Uri, IReadOnlyDictionary<string, string> Headers, byte[] Body)
{
    public string Header(string name) => Headers.TryGetValue(name, out var value) ? value : throw new KeyNotFoundException($"No {name} header.");
}
