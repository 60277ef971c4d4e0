using System.Text.Json;
using MissedCallFunctions.Ingest;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Extensions;
using Microsoft.Extensions.Options;

namespace MissedCallFunctions.Http;

/// <summary>
/// The HTTP edge of ingest, shared by the Functions app and the local host: reads the request within limits,
/// calls <see cref="CallEventIngestor"/> and maps its result to HTTP.
/// </summary>
public sealed class IngestHttpHandler(CallEventIngestor ingestor, IOptions<IngestOptions> options)
{
    public async Task<IResult> HandleAsync(HttpRequest request, string provider, CancellationToken cancellationToken)
    {
        var (webhook, refusal) = await ReadAsync(request, options.Value, cancellationToken).ConfigureAwait(false);
        return refusal ?? ToHttp(await ingestor.IngestAsync(provider, webhook!, cancellationToken).ConfigureAwait(false));
    }

    /// <summary>Reads a webhook within the size limit, with the URL the sender signed.</summary>
    public static async Task<(WebhookRequest? Request, IResult? Refusal)> ReadAsync(HttpRequest request, IngestOptions options, CancellationToken cancellationToken)
    {
        var max = options.MaxBodyBytes;
        var body = request.ContentLength > max ? null : await ReadBodyAsync(request, max, cancellationToken).ConfigureAwait(false);
        if (body is null)
        {
            return (null, HttpProblems.Problem(413, "Payload too large", $"Webhooks are limited to {max / 1024} KiB."));
        }

        return (new WebhookRequest(
            request.Method,
            PublicUrl(request, options),
            request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase),
            request.ContentType,
            body), null);
    }

    /// <summary>How many events an answer in the provider's own format (TwiML) queued now, and how many were repeats.</summary>
    public const string QueuedHeader = "X-MissedCall-Queued";

    public const string DuplicatesHeader = "X-MissedCall-Duplicates";

    /// <summary>Maps a webhook use case's result to HTTP (shared by call and SMS webhooks).</summary>
    public static IResult ToHttp(IngestResult result) => result switch
    {
        IngestResult.Handshake h => new ReplyResult(h.Reply),
        // The provider's own answer (Twilio's TwiML) has no room for the summary: it goes in headers instead.
        IngestResult.Accepted { Reply: { } reply } a => new ReplyResult(reply with
        {
            Headers = new Dictionary<string, string>(reply.Headers)
            {
                [QueuedHeader] = a.Queued.Count.ToString(System.Globalization.CultureInfo.InvariantCulture),
                [DuplicatesHeader] = a.Duplicates.Count.ToString(System.Globalization.CultureInfo.InvariantCulture),
            },
        }),
        IngestResult.Accepted a => Results.Json(
            new { status = "accepted", queued = a.Queued, duplicates = a.Duplicates, ignored = a.Ignored },
            statusCode: StatusCodes.Status202Accepted),
        IngestResult.Rejected r => HttpProblems.Problem(r.StatusCode, r.Title, r.Detail),
        _ => throw new InvalidOperationException("Unknown webhook result."),
    };

    /// <summary>Reads at most <paramref name="max"/> bytes; null when the body is larger (chunked uploads included).</summary>
    internal static async Task<byte[]?> ReadBodyAsync(HttpRequest request, int max, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream(request.ContentLength is { } length and > 0 ? (int)Math.Min(length, max) : 4096);
        var chunk = new byte[8192];
        int read;
        try
        {
            while ((read = await request.Body.ReadAsync(chunk, cancellationToken).ConfigureAwait(false)) > 0)
            {
                if (buffer.Length + read > max)
                {
                    return null;
                }

                buffer.Write(chunk, 0, read);
            }
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            // Over the server's own request limit: the same answer as over ours.
            return null;
        }

        return buffer.ToArray();
    }

    /// <summary>The URL the provider called, which URL-signing providers (Twilio) signed.</summary>
    internal static Uri PublicUrl(HttpRequest request, IngestOptions options)
    {
        var pathAndQuery = request.PathBase.Add(request.Path).ToUriComponent() + request.QueryString.ToUriComponent();
        if (options.PublicBaseUrl is { } baseUrl)
        {
            return new Uri(baseUrl.GetLeftPart(UriPartial.Authority) + pathAndQuery);
        }

        if (options.TrustForwardedHeaders)
        {
            var proto = First(request.Headers["X-Forwarded-Proto"]);
            var host = First(request.Headers["X-Forwarded-Host"]);
            if (!string.IsNullOrEmpty(proto) || !string.IsNullOrEmpty(host))
            {
                return new Uri($"{(string.IsNullOrEmpty(proto) ? request.Scheme : proto)}://{(string.IsNullOrEmpty(host) ? request.Host.Value : host)}{pathAndQuery}");
            }
        }

        return new Uri(request.GetEncodedUrl());
    }

    private static string? First(Microsoft.Extensions.Primitives.StringValues values)
        => values.Count == 0 ? null : values[0]?.Split(',')[0].Trim();

    private sealed class ReplyResult(Ingest.Providers.WebhookReply reply) : IResult
    {
        public async Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.StatusCode = reply.StatusCode;
            foreach (var (name, value) in reply.Headers)
            {
                httpContext.Response.Headers[name] = value;
            }

            if (reply.Body is not null)
            {
                httpContext.Response.ContentType = reply.ContentType ?? "application/json";
                await httpContext.Response.WriteAsync(reply.Body).ConfigureAwait(false);
            }
        }
    }
}

/// <summary>Admin: loads a clinics file into Table Storage after validating it; shows recent call decisions.</summary>
public sealed class ClinicAdminHttpHandler(Clinics.IClinicDirectory directory, Triage.ICallRecords records, Contacts.IContactDirectory contacts)
{
    /// <summary>Imports the clinic's known patients from the practice's CSV export (text/csv, at most 5 MiB).</summary>
    public async Task<IResult> ImportContactsAsync(HttpRequest request, string clinicId, CancellationToken cancellationToken)
    {
        var clinic = await directory.GetAsync(clinicId, cancellationToken).ConfigureAwait(false);
        if (clinic is null)
        {
            return HttpProblems.Problem(404, "Unknown clinic", "No clinic has that id.");
        }

        if (request.ContentType is null || !request.ContentType.StartsWith("text/csv", StringComparison.OrdinalIgnoreCase))
        {
            return HttpProblems.Problem(415, "Unsupported content type", "Post the contacts as text/csv.");
        }

        var body = await IngestHttpHandler.ReadBodyAsync(request, 5 * 1024 * 1024, cancellationToken).ConfigureAwait(false);
        if (body is null)
        {
            return HttpProblems.Problem(413, "Payload too large", "The contacts file is limited to 5 MiB.");
        }

        var (parsed, errors) = Contacts.ContactCsv.Parse(System.Text.Encoding.UTF8.GetString(body), clinic.Id, clinic.Country,
            TimeZoneInfo.FindSystemTimeZoneById(clinic.TimeZone));
        if (errors.Count > 0)
        {
            return HttpProblems.Problem(400, "Invalid contacts file", $"{errors.Count} problem(s) found; nothing was imported.",
                new Dictionary<string, object?> { ["errors"] = errors });
        }

        await contacts.SaveAsync(parsed, cancellationToken).ConfigureAwait(false);
        return Results.Ok(new { imported = parsed.Count });
    }

    /// <summary>The clinic's latest call decisions: <c>?limit=</c> 1 to 200 (default 20; whole numbers outside are clamped).</summary>
    public async Task<IResult> RecentCallsAsync(HttpRequest request, string clinicId, CancellationToken cancellationToken)
    {
        var limit = 20;
        if (request.Query["limit"].FirstOrDefault() is { Length: > 0 } text
            && !int.TryParse(text, System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out limit))
        {
            return HttpProblems.Problem(400, "Invalid limit", "'limit' must be a whole number from 1 to 200.");
        }

        if (await directory.GetAsync(clinicId, cancellationToken).ConfigureAwait(false) is null)
        {
            return HttpProblems.Problem(404, "Unknown clinic", "No clinic has that id.");
        }

        var calls = await records.RecentAsync(clinicId, Math.Clamp(limit, 1, 200), cancellationToken).ConfigureAwait(false);
        return Results.Json(calls, new JsonSerializerOptions(JsonSerializerDefaults.Web));
    }

    private const int MaxFileBytes = 1024 * 1024;

    public async Task<IResult> LoadAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        if (request.ContentType is null || !request.ContentType.StartsWith("application/json", StringComparison.OrdinalIgnoreCase))
        {
            return HttpProblems.Problem(415, "Unsupported content type", "Post the clinics file as application/json.");
        }

        var body = await IngestHttpHandler.ReadBodyAsync(request, MaxFileBytes, cancellationToken).ConfigureAwait(false);
        if (body is null)
        {
            return HttpProblems.Problem(413, "Payload too large", "The clinics file is limited to 1 MiB.");
        }

        var (file, errors) = Clinics.ClinicConfigValidator.Parse(System.Text.Encoding.UTF8.GetString(body));
        if (file is null)
        {
            return HttpProblems.Problem(400, "Invalid clinics file", $"{errors.Count} problem(s) found; nothing was loaded.",
                new Dictionary<string, object?> { ["errors"] = errors });
        }

        await directory.SaveAsync(file, cancellationToken).ConfigureAwait(false);
        return Results.Ok(new { loaded = file.Clinics.Select(c => new { c.Id, c.Name, numbers = c.Numbers.Count }) });
    }

    public async Task<IResult> ListAsync(CancellationToken cancellationToken)
    {
        var clinics = await directory.ListAsync(cancellationToken).ConfigureAwait(false);
        // Secrets never leave through the API.
        return Results.Json(clinics.Select(c => new { c.Id, c.Name, c.Country, c.TimeZone, c.Numbers, c.SmsChannel }),
            new JsonSerializerOptions(JsonSerializerDefaults.Web));
    }
}
