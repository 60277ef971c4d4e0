using System.Buffers.Text;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using MissedCallFunctions.Common;
using MissedCallFunctions.Clinics;
using MissedCallFunctions.Recovery;
using MissedCallFunctions.Reporting;
using MissedCallFunctions.Staff;
using Microsoft.AspNetCore.Http;

namespace MissedCallFunctions.Http;

/// <summary>
/// The reporting API (<c>GET /api/clinics/{clinicId}/report?from=yyyy-MM-dd&amp;to=yyyy-MM-dd</c>): the function key and
/// one of the clinic's staff or dashboard tokens (header <c>X-Clinic-Token</c>).
/// </summary>
public sealed class ReportHttpHandler(IClinicDirectory clinics, ClinicReports reports)
{
    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { Converters = { new JsonStringEnumConverter() } };

    public async Task<IResult> ReportAsync(HttpRequest request, string clinicId, CancellationToken cancellationToken)
    {
        var clinic = await clinics.GetAsync(clinicId, cancellationToken).ConfigureAwait(false);
        var presented = request.Headers[StaffHttpHandler.TokenHeader].FirstOrDefault();
        if (clinic is null || !SecretTokens.Matches(presented, clinic.StaffAccessTokens.Concat(clinic.DashboardTokens)))
        {
            return HttpProblems.Problem(401, "Clinic token required", $"Pass this clinic's staff or dashboard token in the {StaffHttpHandler.TokenHeader} header.");
        }

        return await BuildAsync(request, clinic, reports, cancellationToken).ConfigureAwait(false);
    }

    internal static async Task<IResult> BuildAsync(HttpRequest request, ClinicConfig clinic, ClinicReports reports, CancellationToken cancellationToken)
    {
        var (range, problem) = ReportRange.Parse(request.Query["from"].FirstOrDefault(), request.Query["to"].FirstOrDefault(), reports.Today(clinic),
            request.Query["days"].FirstOrDefault());
        if (range is null)
        {
            return HttpProblems.Problem(400, "Invalid date range", problem!);
        }

        return Results.Json(await reports.BuildAsync(clinic, range.Value, cancellationToken).ConfigureAwait(false), Json);
    }
}

/// <summary>A missed call as the dashboard lists it: the caller masked, an opaque id to open its thread.</summary>
public sealed record DashboardCall(string CallId, DateTimeOffset OccurredAt, string Caller, bool Eligible, string Reason, bool Texted, bool Delivered,
    bool Replied, RecoveryOutcome? Outcome, int FollowUps, int Escalations);

/// <summary>
/// The practice manager's dashboard, served by both hosts without a function key: every data route needs one of the
/// clinic's dashboard tokens (header <c>X-Dashboard-Token</c>; the page itself takes it as <c>?token=</c> so it can
/// be bookmarked). The page and its scripts are embedded in this assembly, Chart.js included (bundled from npm at
/// build time, never a CDN).
/// </summary>
public sealed class DashboardHttpHandler(
    IClinicDirectory clinics,
    ClinicReports reports,
    ICallFactStore facts,
    IStaffTaskStore tasks,
    StaffHttpHandler staff,
    TaskLinks links,
    TimeProvider time)
{
    public const string TokenHeader = "X-Dashboard-Token";

    /// <summary>How far back the list of recent calls looks.</summary>
    public const int RecentCallDays = 14;

    public async Task<IResult> PageAsync(HttpRequest request, string clinicId, CancellationToken cancellationToken)
    {
        if (await AuthorizeAsync(request.Query["token"].FirstOrDefault(), clinicId, cancellationToken).ConfigureAwait(false) is not { } clinic)
        {
            return HttpProblems.Problem(401, "Dashboard token required", "Open the dashboard with the link that carries this clinic's dashboard token.");
        }

        var html = DashboardAssets.Text("dashboard.html")
            .Replace("{{clinicName}}", System.Net.WebUtility.HtmlEncode(clinic.Name), StringComparison.Ordinal)
            .Replace("{{clinicId}}", System.Net.WebUtility.HtmlEncode(clinic.Id), StringComparison.Ordinal);
        return new SecuredContent(html, "text/html; charset=utf-8", cacheSeconds: 0);
    }

    public static IResult Asset(string name)
        => DashboardAssets.Find(name) is { } asset
            ? new SecuredContent(asset.Bytes, asset.ContentType, cacheSeconds: 3600)
            : HttpProblems.Problem(404, "Not found", "No such dashboard file.");

    public async Task<IResult> ReportAsync(HttpRequest request, string clinicId, CancellationToken cancellationToken)
        => await AuthorizeAsync(request, clinicId, cancellationToken).ConfigureAwait(false) is { } clinic
            ? await ReportHttpHandler.BuildAsync(request, clinic, reports, cancellationToken).ConfigureAwait(false)
            : Refused();

    public async Task<IResult> TasksAsync(HttpRequest request, string clinicId, CancellationToken cancellationToken)
    {
        if (await AuthorizeAsync(request, clinicId, cancellationToken).ConfigureAwait(false) is null)
        {
            return Refused();
        }

        var open = await tasks.ListAsync(clinicId, openOnly: true, cancellationToken).ConfigureAwait(false);
        var now = time.GetUtcNow();
        return Results.Json(open.OrderByDescending(t => t.Urgent).ThenBy(t => t.DueAt).Select(t => new
        {
            t.TaskId, t.CallerNumber, t.CallerName, t.Reason, t.Urgent, t.CallCount, t.CreatedAt, t.DueAt, Overdue = t.DueAt < now, ReplyCount = t.Replies.Count,
        }), ReportHttpHandler.Json);
    }

    public async Task<IResult> MarkHandledAsync(HttpRequest request, string clinicId, string taskId, IRecoveryOrchestrations orchestrations,
        CancellationToken cancellationToken)
    {
        if (await AuthorizeAsync(request, clinicId, cancellationToken).ConfigureAwait(false) is null)
        {
            return Refused();
        }

        var by = StaffHttpHandler.Actor(await StaffHttpHandler.ReadBodyAsync(request, cancellationToken).ConfigureAwait(false));
        return await staff.HandleTaskAsync(clinicId, taskId, by, orchestrations, cancellationToken).ConfigureAwait(false);
    }

    public async Task<IResult> CallsAsync(HttpRequest request, string clinicId, CancellationToken cancellationToken)
    {
        if (await AuthorizeAsync(request, clinicId, cancellationToken).ConfigureAwait(false) is not { } clinic)
        {
            return Refused();
        }

        var limit = int.TryParse(request.Query["limit"], out var n) ? Math.Clamp(n, 1, 200) : 50;
        var today = reports.Today(clinic);
        var recent = await facts.ListFactsAsync(clinic.Id, ReportRange.Format(today.AddDays(-RecentCallDays)), ReportRange.Format(today), cancellationToken)
            .ConfigureAwait(false);
        return Results.Json(recent.OrderByDescending(f => f.OccurredAt).Take(limit).Select(f => new DashboardCall(
            CallIds.Encode(f.LocalDay, f.FactId), f.OccurredAt, f.CallerMasked, f.Eligible, f.Reason, f.TextedAt is not null, f.DeliveredAt is not null,
            f.FirstReplyAt is not null, f.Outcome, f.FollowUps, f.Escalations)), ReportHttpHandler.Json);
    }

    /// <summary>One missed call's conversation thread and timeline, found by its opaque id (no phone number in the URL).</summary>
    public async Task<IResult> CallAsync(HttpRequest request, string clinicId, string callId, CancellationToken cancellationToken)
    {
        if (await AuthorizeAsync(request, clinicId, cancellationToken).ConfigureAwait(false) is null)
        {
            return Refused();
        }

        if (CallIds.Decode(callId) is not { } id
            || await facts.GetFactAsync(clinicId, id.Day, id.FactId, cancellationToken).ConfigureAwait(false) is not { CallerNumber: { } caller })
        {
            return HttpProblems.Problem(404, "Unknown call", "This clinic has no call with that id, or the caller's number was withheld.");
        }

        return await staff.ThreadOfAsync(clinicId, caller, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>One task's page, opened from the signed link in a staff alert (no dashboard token involved).</summary>
    public async Task<IResult> TaskPageAsync(HttpRequest request, string clinicId, string taskId, CancellationToken cancellationToken)
    {
        var (clinic, check) = await AuthorizeLinkAsync(request, clinicId, taskId, cancellationToken).ConfigureAwait(false);
        if (clinic is null)
        {
            return LinkRefused(check);
        }

        var task = await tasks.GetAsync(clinicId, taskId, cancellationToken).ConfigureAwait(false);
        return task is null
            ? HttpProblems.Problem(404, "Unknown task", "This clinic has no task with that id.")
            : new SecuredContent(StaffTaskPage.Render(clinic, task, request.QueryString.Value ?? string.Empty, time.GetUtcNow()), "text/html; charset=utf-8", cacheSeconds: 0);
    }

    /// <summary>The task page's "Handled" button (a plain form post): closes the task, tells its recovery, shows the page again.</summary>
    public async Task<IResult> TaskHandledAsync(HttpRequest request, string clinicId, string taskId, IRecoveryOrchestrations orchestrations,
        CancellationToken cancellationToken)
    {
        var (clinic, check) = await AuthorizeLinkAsync(request, clinicId, taskId, cancellationToken).ConfigureAwait(false);
        if (clinic is null)
        {
            return LinkRefused(check);
        }

        string? by = null;
        if (request.HasFormContentType)
        {
            try
            {
                var form = await request.ReadFormAsync(cancellationToken).ConfigureAwait(false);
                by = form["by"].FirstOrDefault();
            }
            catch (Exception ex) when (ex is InvalidDataException or IOException or BadHttpRequestException)
            {
                return HttpProblems.Problem(400, "Malformed form", "Send the page's form as it is (application/x-www-form-urlencoded).");
            }
        }

        var result = await staff.HandleTaskAsync(clinicId, taskId, StaffHttpHandler.Actor(new StaffActionBody(by, null)), orchestrations, cancellationToken)
            .ConfigureAwait(false);
        // Post/redirect/get: a refresh of the page does not post again.
        return result is IStatusCodeHttpResult { StatusCode: >= 400 } ? result : Results.Redirect($"../{Uri.EscapeDataString(taskId)}{request.QueryString.Value}", permanent: false, preserveMethod: false);
    }

    /// <summary>The clinic when the link's signature is valid and unexpired; the check says why not otherwise.</summary>
    private async Task<(ClinicConfig? Clinic, TaskLinkCheck Check)> AuthorizeLinkAsync(HttpRequest request, string clinicId, string taskId,
        CancellationToken cancellationToken)
    {
        if (await clinics.GetAsync(clinicId, cancellationToken).ConfigureAwait(false) is not { } clinic)
        {
            return (null, TaskLinkCheck.Invalid);
        }

        var check = links.Verify(clinic, taskId, request.Query["exp"].FirstOrDefault(), request.Query["sig"].FirstOrDefault());
        return (check == TaskLinkCheck.Valid ? clinic : null, check);
    }

    private static IResult LinkRefused(TaskLinkCheck check) => check == TaskLinkCheck.Expired
        ? HttpProblems.Problem(401, "Task link expired", "Task links in staff alerts expire. Open the task from the clinic's dashboard instead.")
        : HttpProblems.Problem(401, "Task link not valid", "Open the task with the link from the staff alert, unchanged.");

    private static IResult Refused()
        => HttpProblems.Problem(401, "Dashboard token required", $"Pass this clinic's dashboard token in the {TokenHeader} header.");

    private Task<ClinicConfig?> AuthorizeAsync(HttpRequest request, string clinicId, CancellationToken cancellationToken)
        => AuthorizeAsync(request.Headers[TokenHeader].FirstOrDefault(), clinicId, cancellationToken);

    /// <summary>The clinic when the token is one of its dashboard tokens; the same null for an unknown clinic and a wrong token.</summary>
    private async Task<ClinicConfig?> AuthorizeAsync(string? presented, string clinicId, CancellationToken cancellationToken)
    {
        var clinic = await clinics.GetAsync(clinicId, cancellationToken).ConfigureAwait(false);
        return clinic is not null && SecretTokens.Matches(presented, clinic.DashboardTokens) ? clinic : null;
    }

    /// <summary>Static content with headers that keep the token-bearing page out of caches, referrers and frames.</summary>
    private sealed class SecuredContent(byte[] body, string contentType, int cacheSeconds) : IResult
    {
        public SecuredContent(string body, string contentType, int cacheSeconds)
            : this(Encoding.UTF8.GetBytes(body), contentType, cacheSeconds)
        {
        }

        public async Task ExecuteAsync(HttpContext httpContext)
        {
            var headers = httpContext.Response.Headers;
            headers.CacheControl = cacheSeconds > 0 ? $"public, max-age={cacheSeconds}" : "no-store";
            headers["Referrer-Policy"] = "no-referrer";
            headers["X-Content-Type-Options"] = "nosniff";
            headers["X-Frame-Options"] = "DENY";
            headers.ContentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";
            httpContext.Response.ContentType = contentType;
            httpContext.Response.ContentLength = body.Length;
            await httpContext.Response.Body.WriteAsync(body, httpContext.RequestAborted).ConfigureAwait(false);
        }
    }
}

/// <summary>Opaque call ids for URLs: the fact's day and id, base64url-encoded.</summary>
public static class CallIds
{
    public static string Encode(string day, string factId) => Base64Url.EncodeToString(Encoding.UTF8.GetBytes($"{day}|{factId}"));

    public static (string Day, string FactId)? Decode(string callId)
    {
        if (callId.Length > 400)
        {
            return null;
        }

        try
        {
            var text = Encoding.UTF8.GetString(Base64Url.DecodeFromChars(callId));
            var bar = text.IndexOf('|', StringComparison.Ordinal);
            return bar == 10 && DateOnly.TryParseExact(text[..10], "yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.None, out _) ? (text[..10], text[11..]) : null;
        }
        catch (FormatException)
        {
            return null;
        }
    }
}

/// <summary>The dashboard's files, embedded at build time (see the Core project file).</summary>
public static class DashboardAssets
{
    public sealed record Asset(byte[] Bytes, string ContentType);

    private static readonly Dictionary<string, Asset> Files = Load();

    public static Asset? Find(string name) => Files.GetValueOrDefault(name);

    public static string Text(string name) => Encoding.UTF8.GetString(Files[name].Bytes);

    private static Dictionary<string, Asset> Load()
    {
        var assembly = typeof(DashboardAssets).Assembly;
        var files = new Dictionary<string, Asset>(StringComparer.Ordinal);
        foreach (var resource in assembly.GetManifestResourceNames().Where(n => n.StartsWith("dashboard/", StringComparison.Ordinal)))
        {
            using var stream = assembly.GetManifestResourceStream(resource)!;
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            var name = resource["dashboard/".Length..];
            var type = Path.GetExtension(name) switch
            {
                ".html" => "text/html; charset=utf-8",
                ".js" => "text/javascript; charset=utf-8",
                ".css" => "text/css; charset=utf-8",
                ".svg" => "image/svg+xml",
                _ => "application/octet-stream",
            };
            files[name] = new Asset(copy.ToArray(), type);
        }

        return files;
    }
}
