using System.Collections.Frozen;
using System.Text;

namespace MissedCallFunctions.Ingest;

/// <summary>
/// A webhook request as a provider sent it, independent of the host that received it.
/// <see cref="PublicUrl"/> is the URL the sender signed (rebuilt behind proxies), not the one the host saw.
/// </summary>
public sealed class WebhookRequest
{
    public WebhookRequest(
        string method,
        Uri publicUrl,
        IReadOnlyDictionary<string, string> headers,
        string? contentType,
        ReadOnlyMemory<byte> body)
    {
        Method = method.ToUpperInvariant();
        PublicUrl = publicUrl;
        Headers = headers.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase);
        ContentType = contentType;
        Body = body;
        Query = QueryString.Parse(publicUrl.Query);
    }

    public string Method { get; }

    public Uri PublicUrl { get; }

    public IReadOnlyDictionary<string, string> Headers { get; }

    public IReadOnlyDictionary<string, string> Query { get; }

    public string? ContentType { get; }

    public ReadOnlyMemory<byte> Body { get; }

    public string BodyText => Encoding.UTF8.GetString(Body.Span);

    /// <summary>The media type without parameters, lower case (e.g. <c>application/json</c>).</summary>
    public string? MediaType
    {
        get
        {
            if (string.IsNullOrWhiteSpace(ContentType))
            {
                return null;
            }

            var semicolon = ContentType.IndexOf(';');
            return (semicolon < 0 ? ContentType : ContentType[..semicolon]).Trim().ToLowerInvariant();
        }
    }

    public string? Header(string name) => Headers.TryGetValue(name, out var value) ? value : null;

    public static WebhookRequest Create(string method, string url, string? contentType, string body, IReadOnlyDictionary<string, string>? headers = null)
        => new(method, new Uri(url), headers ?? new Dictionary<string, string>(), contentType, Encoding.UTF8.GetBytes(body));
}

internal static class QueryString
{
    public static IReadOnlyDictionary<string, string> Parse(string query)
    {
        var result = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var pair in query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = pair.IndexOf('=');
            var key = Uri.UnescapeDataString((eq < 0 ? pair : pair[..eq]).Replace('+', ' '));
            var value = eq < 0 ? string.Empty : Uri.UnescapeDataString(pair[(eq + 1)..].Replace('+', ' '));
            result.TryAdd(key, value);
        }

        return result;
    }
}
