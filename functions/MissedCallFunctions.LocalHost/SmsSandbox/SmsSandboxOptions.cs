using System.Globalization;

namespace MissedCallFunctions.LocalHost.SmsSandbox;

/// <summary>The sandbox's identity as an ACS resource: its access key, where it listens, and what it accepts.</summary>
public sealed class SmsSandboxOptions
{
    public const string Section = "SmsSandbox";

    /// <summary>A fixed development key (base64 of a public, non-secret string): never use it outside the sandbox.</summary>
    public const string DevelopmentAccessKey = "bWlzc2VkY2FsbC1zbXMtc2FuZGJveC1kZXYta2V5LW5vdC1hLXNlY3JldCEh";

    public const string DefaultPathPrefix = "/sandbox/acs";

    /// <summary>A fixed development Twilio account SID (AC + 32 hex digits): never a real account.</summary>
    public const string DevelopmentTwilioAccountSid = "AC0123456789abcdef0123456789abcdef";

    /// <summary>A fixed development Twilio auth token: public, not a secret, only meaningful to the sandbox.</summary>
    public const string DevelopmentTwilioAuthToken = "sandbox-twilio-auth-token-not-a-secret";

    public const string DefaultTwilioPathPrefix = "/sandbox/twilio";

    /// <summary>The account SID the Twilio Messages endpoint serves (HTTP Basic user name and the {AccountSid} of the path).</summary>
    public string TwilioAccountSid { get; set; } = DevelopmentTwilioAccountSid;

    /// <summary>The auth token the Twilio Messages endpoint checks (HTTP Basic password).</summary>
    public string TwilioAuthToken { get; set; } = DevelopmentTwilioAuthToken;

    /// <summary>Where <see cref="TwilioSandboxEndpoints.Map"/> mapped the Twilio API (it records the prefix here); "" for the root.</summary>
    public string TwilioPathPrefix { get; set; } = DefaultTwilioPathPrefix;

    /// <summary>The Twilio API base URL clients are given (Twilio:ApiBaseUrl): http://{Host}:{Port}{TwilioPathPrefix}.</summary>
    public Uri TwilioApiBaseUrl => new(string.Create(CultureInfo.InvariantCulture, $"http://{Host}:{Port}{TwilioPathPrefix.TrimEnd('/')}"));

    /// <summary>The Twilio API base URL for a host whose base address is only known after it started (port 0).</summary>
    public Uri TwilioApiBaseUrlFor(Uri baseAddress)
    {
        ArgumentNullException.ThrowIfNull(baseAddress);
        return new Uri(baseAddress.GetLeftPart(UriPartial.Authority) + TwilioPathPrefix.TrimEnd('/'));
    }

    /// <summary>The base64 access key that HMAC signatures are checked against.</summary>
    public string AccessKey { get; set; } = DevelopmentAccessKey;

    public string Host { get; set; } = "127.0.0.1";

    /// <summary>The port the sandbox's host listens on; set it once the host has started when it was started on port 0.</summary>
    public int Port { get; set; }

    /// <summary>
    /// Where <see cref="SmsSandboxEndpoints.Map"/> mapped the endpoints (it records the prefix here); "" for the root. The
    /// official JS client only takes an endpoint without a path, so host the sandbox at the root of its own port for it.
    /// </summary>
    public string PathPrefix { get; set; } = DefaultPathPrefix;

    /// <summary>Accept <c>Authorization: Bearer ...</c> (any non-empty token) as well as HMAC; off by default, like a resource without RBAC.</summary>
    public bool AcceptBearerToken { get; set; }

    /// <summary>How far x-ms-date may be from the sandbox's clock (ACS: 15 minutes).</summary>
    public TimeSpan MaxClockSkew { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>The ACS endpoint clients are given: http://{Host}:{Port}{PathPrefix}.</summary>
    public Uri Endpoint => new(EndpointText);

    /// <summary><c>endpoint=http://127.0.0.1:{port}/sandbox/acs;accesskey=...</c>, for Acs:ConnectionString.</summary>
    public string ConnectionString => $"endpoint={EndpointText};accesskey={AccessKey}";

    private string EndpointText => string.Create(CultureInfo.InvariantCulture, $"http://{Host}:{Port}{PathPrefix.TrimEnd('/')}");

    /// <summary>The connection string for a host whose base address is only known after it started (port 0).</summary>
    public string ConnectionStringFor(Uri baseAddress)
    {
        ArgumentNullException.ThrowIfNull(baseAddress);
        return $"endpoint={baseAddress.GetLeftPart(UriPartial.Authority)}{PathPrefix.TrimEnd('/')};accesskey={AccessKey}";
    }
}
