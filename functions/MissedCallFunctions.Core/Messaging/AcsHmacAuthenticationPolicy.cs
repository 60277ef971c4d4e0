using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Azure;
using Azure.Core;
using Azure.Core.Pipeline;

namespace MissedCallFunctions.Messaging;

/// <summary>
/// Signs ACS requests with the resource access key (HMAC-SHA256), as the official clients do. Register it per-retry so
/// that every attempt gets a fresh x-ms-date and signature:
/// <list type="bullet">
/// <item>x-ms-content-sha256 = Base64(SHA256(body bytes)); an empty body hashes to 47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=.</item>
/// <item>x-ms-date (and Date) = now in RFC 1123 ("r").</item>
/// <item>string to sign = "{METHOD}\n{PathAndQuery}\n{x-ms-date};{Uri.Authority};{content hash}".</item>
/// <item>Authorization = "HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&amp;Signature=" + Base64(HMACSHA256(base64-decoded key, ASCII(string to sign))).</item>
/// </list>
/// </summary>
public sealed class AcsHmacAuthenticationPolicy : HttpPipelinePolicy
{
    public const string DateHeader = "x-ms-date";
    public const string ContentHashHeader = "x-ms-content-sha256";
    public const string SignedHeaders = "x-ms-date;host;x-ms-content-sha256";

    private readonly AzureKeyCredential _credential;
    private readonly TimeProvider _time;

    /// <param name="credential">The base64 access key; <see cref="AzureKeyCredential.Update"/> rotates it in place.</param>
    /// <param name="timeProvider">The clock for x-ms-date (the service rejects dates more than 15 minutes off).</param>
    public AcsHmacAuthenticationPolicy(AzureKeyCredential credential, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(credential);
        _credential = credential;
        _time = timeProvider ?? TimeProvider.System;
    }

    public override void Process(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
    {
        Sign(message, ComputeContentHashAsync(message, async: false).AsTask().GetAwaiter().GetResult());
        ProcessNext(message, pipeline);
    }

    public override async ValueTask ProcessAsync(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
    {
        Sign(message, await ComputeContentHashAsync(message, async: true).ConfigureAwait(false));
        await ProcessNextAsync(message, pipeline).ConfigureAwait(false);
    }

    /// <summary>The string that gets signed; public so tests and the sandbox can show what was signed.</summary>
    public static string StringToSign(string method, Uri uri, string date, string contentHash) =>
        $"{method}\n{uri.PathAndQuery}\n{date};{uri.Authority};{contentHash}";

    /// <summary>Base64(HMACSHA256(Convert.FromBase64String(accessKey), ASCII(stringToSign))).</summary>
    public static string ComputeSignature(string accessKey, string stringToSign)
    {
        var key = Convert.FromBase64String(accessKey);
        try
        {
            return Convert.ToBase64String(HMACSHA256.HashData(key, Encoding.ASCII.GetBytes(stringToSign)));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
        }
    }

    private void Sign(HttpMessage message, string contentHash)
    {
        var date = _time.GetUtcNow().ToString("r", CultureInfo.InvariantCulture);
        var uri = message.Request.Uri.ToUri();
        var signature = ComputeSignature(_credential.Key, StringToSign(message.Request.Method.Method, uri, date, contentHash));

        message.Request.Headers.SetValue(ContentHashHeader, contentHash);
        message.Request.Headers.SetValue(DateHeader, date);
        message.Request.Headers.SetValue(HttpHeader.Names.Date, date);
        message.Request.Headers.SetValue(HttpHeader.Names.Authorization, $"HMAC-SHA256 SignedHeaders={SignedHeaders}&Signature={signature}");
    }

    private static async ValueTask<string> ComputeContentHashAsync(HttpMessage message, bool async)
    {
        var content = message.Request.Content;
        if (content is null)
        {
            return Convert.ToBase64String(SHA256.HashData(ReadOnlySpan<byte>.Empty));
        }

        using var buffer = new MemoryStream();
        if (async)
        {
            await content.WriteToAsync(buffer, message.CancellationToken).ConfigureAwait(false);
        }
        else
        {
            content.WriteTo(buffer, message.CancellationToken);
        }

        return Convert.ToBase64String(SHA256.HashData(buffer.GetBuffer().AsSpan(0, (int)buffer.Length)));
    }
}
