namespace MissedCallFunctions.Messaging;

/// <summary>
/// An ACS connection string, <c>endpoint=https://&lt;resource&gt;.communication.azure.com/;accesskey=&lt;base64&gt;</c>, parsed with
/// the rules of Azure.Core's ConnectionString: segments split on ';', key and value split at the first '=' (so base64
/// padding survives), keys case-insensitive, keys and values trimmed; a duplicate key, a segment without '=', an empty
/// key or value, a leading ';' or ';;' is an error; a trailing ';' is fine. Error messages never contain the key.
/// </summary>
public sealed class AcsConnectionString
{
    public const string EndpointKeyword = "endpoint";
    public const string AccessKeyKeyword = "accesskey";

    private AcsConnectionString(Uri endpoint, string accessKey)
    {
        Endpoint = endpoint;
        AccessKey = accessKey;
    }

    /// <summary>The resource endpoint without a trailing slash (its path, if any, is kept: requests go to {Endpoint}/sms).</summary>
    public Uri Endpoint { get; }

    /// <summary>The base64 access key (validated as base64).</summary>
    public string AccessKey { get; }

    /// <exception cref="InvalidOperationException">The string is malformed; the message says how.</exception>
    public static AcsConnectionString Parse(string connectionString)
    {
        ArgumentNullException.ThrowIfNull(connectionString);
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            throw new InvalidOperationException("The ACS connection string is empty.");
        }

        var values = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        var segments = connectionString.Split(';');
        for (var i = 0; i < segments.Length; i++)
        {
            var segment = segments[i];
            if (segment.Length == 0)
            {
                if (i == segments.Length - 1 && i > 0)
                {
                    break; // a trailing ';'
                }

                throw new InvalidOperationException(i == 0
                    ? "Connection string starts with ';'."
                    : "Connection string contains an empty segment (';;').");
            }

            var equals = segment.IndexOf('=', StringComparison.Ordinal);
            if (equals < 0)
            {
                throw new InvalidOperationException($"Connection string segment {i + 1} has no '=' between a keyword and a value.");
            }

            var key = segment[..equals].Trim();
            var value = segment[(equals + 1)..].Trim();
            if (key.Length == 0)
            {
                throw new InvalidOperationException($"Connection string segment {i + 1} has a value with no keyword.");
            }

            if (value.Length == 0)
            {
                throw new InvalidOperationException($"Connection string keyword '{key}' has an empty value.");
            }

            if (!values.TryAdd(key, value))
            {
                throw new InvalidOperationException($"Duplicated keyword '{key}' in connection string.");
            }
        }

        var endpointText = Required(values, EndpointKeyword);
        var accessKey = Required(values, AccessKeyKeyword);

        if (!Uri.TryCreate(endpointText, UriKind.Absolute, out var endpoint)
            || (endpoint.Scheme != Uri.UriSchemeHttps && endpoint.Scheme != Uri.UriSchemeHttp))
        {
            throw new InvalidOperationException($"Connection string keyword 'endpoint' is not an absolute http(s) URI: '{endpointText}'.");
        }

        if (!IsBase64(accessKey))
        {
            throw new InvalidOperationException("Connection string keyword 'accesskey' is not valid base64 (copy the key from the ACS resource's Keys blade).");
        }

        return new AcsConnectionString(NormalizeEndpoint(endpoint), accessKey);
    }

    /// <summary>Drops a trailing '/' (and any query or fragment) so that requests sign {path}/sms?api-version=..., never //sms.</summary>
    public static Uri NormalizeEndpoint(Uri endpoint)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        if (!endpoint.IsAbsoluteUri)
        {
            throw new ArgumentException("The ACS endpoint must be an absolute URI.", nameof(endpoint));
        }

        var builder = new UriBuilder(endpoint) { Query = string.Empty, Fragment = string.Empty };
        builder.Path = builder.Path.TrimEnd('/');
        return builder.Uri;
    }

    public override string ToString() => $"endpoint={Endpoint};accesskey=***";

    private static string Required(Dictionary<string, string> values, string keyword) =>
        values.TryGetValue(keyword, out var value)
            ? value
            : throw new InvalidOperationException($"Required keyword '{keyword}' is missing in connection string.");

    private static bool IsBase64(string value)
    {
        var buffer = new byte[((value.Length + 3) / 4) * 3];
        return Convert.TryFromBase64String(value, buffer, out var written) && written > 0;
    }
}
