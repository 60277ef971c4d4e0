using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using MissedCallFunctions.Clinics;
using MissedCallFunctions.Common;
using MissedCallFunctions.Conversation;
using MissedCallFunctions.Ingest;
using MissedCallFunctions.Messaging;
using MissedCallFunctions.Recovery;
using MissedCallFunctions.Staff;
using MissedCallFunctions.Triage;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace MissedCallFunctions.Http;

/// <summary>The HTTP edge of inbound SMS and delivery reports (<c>POST /api/sms/{provider}</c>).</summary>
public sealed class InboundSmsHttpHandler(InboundSmsRouter router, IOptions<IngestOptions> options)
{
    public async Task<IResult> HandleAsync(HttpRequest request, string provider, IRecoveryOrchestrations orchestrations, CancellationToken cancellationToken)
    {
        var (webhook, refusal) = await IngestHttpHandler.ReadAsync(request, options.Value, cancellationToken).ConfigureAwait(false);
        return refusal ?? IngestHttpHandler.ToHttp(await router.HandleAsync(provider, webhook!, orchestrations, cancellationToken).ConfigureAwait(false));
    }
}

public sealed record StaffActionBody(string? By, string? Text);

/// <summary>
/// The staff API of one clinic: callback tasks, conversation threads, take-over and manual replies. Every call needs
/// the clinic's staff token (header <c>X-Clinic-Token</c>) on top of the function key; another clinic's token is refused.
/// </summary>
public sealed class StaffHttpHandler(
    IClinicDirectory clinics,
    IStaffTaskStore tasks,
    IConversationStore conversations,
    IRecoveryRegistry registry,
    IRecoveryTimeline timeline,
    RecoveryCoordinator recoveries,
    IOptOutLedger optOuts,
    ISmsChannelResolver channels,
    TimeProvider time)
{
    public const string TokenHeader = "X-Clinic-Token";
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public async Task<IResult> ListTasksAsync(HttpRequest request, string clinicId, CancellationToken cancellationToken)
    {
        if (await AuthorizeAsync(request, clinicId, cancellationToken).ConfigureAwait(false) is { } refusal)
        {
            return refusal;
        }

        var openOnly = !string.Equals(request.Query["status"], "all", StringComparison.OrdinalIgnoreCase);
        return Results.Json(await tasks.ListAsync(clinicId, openOnly, cancellationToken).ConfigureAwait(false), Json);
    }

    public async Task<IResult> MarkHandledAsync(HttpRequest request, string clinicId, string taskId, IRecoveryOrchestrations orchestrations,
        CancellationToken cancellationToken)
    {
        if (await AuthorizeAsync(request, clinicId, cancellationToken).ConfigureAwait(false) is { } refusal)
        {
            return refusal;
        }

        return await HandleTaskAsync(clinicId, taskId, Actor(await ReadBodyAsync(request, cancellationToken).ConfigureAwait(false)), orchestrations,
            cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Marks a task handled and ends the caller's live recovery (the caller of this method has authorised the request).</summary>
    public async Task<IResult> HandleTaskAsync(string clinicId, string taskId, string by, IRecoveryOrchestrations orchestrations, CancellationToken cancellationToken)
    {
        var task = await tasks.MarkHandledAsync(clinicId, taskId, by, time.GetUtcNow(), cancellationToken).ConfigureAwait(false);
        if (task is null)
        {
            return HttpProblems.Problem(404, "Unknown task", "This clinic has no task with that id.");
        }

        if (task.CallerNumber is { } caller)
        {
            await recoveries.SignalAsync(clinicId, caller, new InboxItem($"handled-{taskId}", InboxKind.StaffHandled, task.HandledAt ?? time.GetUtcNow(), Actor: by),
                orchestrations, cancellationToken).ConfigureAwait(false);
        }

        return Results.Json(task, Json);
    }

    public async Task<IResult> ThreadAsync(HttpRequest request, string clinicId, string caller, CancellationToken cancellationToken)
    {
        if (await AuthorizeAsync(request, clinicId, cancellationToken).ConfigureAwait(false) is { } refusal)
        {
            return refusal;
        }

        if (await CallerAsync(clinicId, caller, cancellationToken).ConfigureAwait(false) is not { } e164)
        {
            return UnknownCaller();
        }

        return await ThreadOfAsync(clinicId, e164, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>A caller's thread and their latest recovery's timeline (the caller of this method has authorised the request).</summary>
    public async Task<IResult> ThreadOfAsync(string clinicId, string e164, CancellationToken cancellationToken)
    {
        var recovery = await registry.GetAsync(clinicId, e164, cancellationToken).ConfigureAwait(false);
        var steps = recovery is null ? [] : await timeline.ListAsync(recovery.InstanceId, cancellationToken).ConfigureAwait(false);
        return Results.Json(new
        {
            caller = e164,
            messages = await conversations.ThreadAsync(clinicId, e164, cancellationToken).ConfigureAwait(false),
            recovery = recovery is null ? null : new { recovery.InstanceId, recovery.Live, recovery.StartedAt, recovery.Outcome, recovery.EndedAt, timeline = steps },
        }, Json);
    }

    public async Task<IResult> TakeOverAsync(HttpRequest request, string clinicId, string caller, IRecoveryOrchestrations orchestrations,
        CancellationToken cancellationToken)
    {
        if (await AuthorizeAsync(request, clinicId, cancellationToken).ConfigureAwait(false) is { } refusal)
        {
            return refusal;
        }

        if (await CallerAsync(clinicId, caller, cancellationToken).ConfigureAwait(false) is not { } e164)
        {
            return UnknownCaller();
        }

        var by = Actor(await ReadBodyAsync(request, cancellationToken).ConfigureAwait(false));
        var stopped = await recoveries.SignalAsync(clinicId, e164, new InboxItem($"takeover-{time.GetUtcNow().UtcTicks}", InboxKind.StaffTakeover, time.GetUtcNow(),
            Actor: by), orchestrations, cancellationToken).ConfigureAwait(false);
        return Results.Json(new { takenOver = true, automationStopped = stopped }, Json);
    }

    /// <summary>Staff hand the conversation back: automation (the ladder) resumes from now, without a new text-back.</summary>
    public async Task<IResult> HandBackAsync(HttpRequest request, string clinicId, string caller, IRecoveryOrchestrations orchestrations,
        CancellationToken cancellationToken)
    {
        if (await AuthorizeAsync(request, clinicId, cancellationToken).ConfigureAwait(false) is { } refusal)
        {
            return refusal;
        }

        if (await CallerAsync(clinicId, caller, cancellationToken).ConfigureAwait(false) is not { } e164)
        {
            return UnknownCaller();
        }

        if (await optOuts.IsOptedOutAsync(clinicId, e164, cancellationToken).ConfigureAwait(false))
        {
            return HttpProblems.Problem(409, "Opted out", "This caller opted out of texts; automation cannot resume.");
        }

        return await recoveries.HandBackAsync(clinicId, e164, orchestrations, cancellationToken).ConfigureAwait(false)
            ? Results.Json(new { handedBack = true }, Json)
            : HttpProblems.Problem(409, "Automation already running", "This caller's conversation is already automated.");
    }

    /// <summary>A manual reply through the clinic's channel; replying by hand takes the conversation over.</summary>
    public async Task<IResult> ReplyAsync(HttpRequest request, string clinicId, string caller, IRecoveryOrchestrations orchestrations,
        CancellationToken cancellationToken)
    {
        if (await AuthorizeAsync(request, clinicId, cancellationToken).ConfigureAwait(false) is { } refusal)
        {
            return refusal;
        }

        if (await CallerAsync(clinicId, caller, cancellationToken).ConfigureAwait(false) is not { } e164)
        {
            return UnknownCaller();
        }

        var body = await ReadBodyAsync(request, cancellationToken).ConfigureAwait(false);
        if (string.IsNullOrWhiteSpace(body?.Text) || body.Text.Length > 1000)
        {
            return HttpProblems.Problem(400, "Invalid reply", "Send {\"by\": \"name\", \"text\": \"...\"} with 1-1000 characters of text.");
        }

        if (await optOuts.IsOptedOutAsync(clinicId, e164, cancellationToken).ConfigureAwait(false))
        {
            return HttpProblems.Problem(409, "Opted out", "This caller opted out of texts from the clinic; call them instead.");
        }

        var clinic = (await clinics.GetAsync(clinicId, cancellationToken).ConfigureAwait(false))!;
        var by = Actor(body);
        var now = time.GetUtcNow();
        await recoveries.SignalAsync(clinicId, e164, new InboxItem($"takeover-{now.UtcTicks}", InboxKind.StaffTakeover, now, Actor: by), orchestrations,
            cancellationToken).ConfigureAwait(false);

        // An idempotency key from the client makes a double-click one text; otherwise each request is a new message.
        var key = request.Headers["Idempotency-Key"].FirstOrDefault() ?? $"{now.UtcTicks}";
        var repeatability = new Guid(SHA256.HashData(Encoding.UTF8.GetBytes($"{clinicId}|{e164}|{key}")).AsSpan(0, 16)).ToString();
        // From the number the patient dialled, so the conversation stays in one thread on their phone.
        var from = RecoveryCoordinator.ClinicNumberFor(clinic, await registry.GetAsync(clinicId, e164, cancellationToken).ConfigureAwait(false));
        var result = await channels.For(clinic).SendAsync(
            new OutgoingSms(from, e164, body.Text, repeatability, now, $"{ConversationIds.For(clinicId, e164)}|staff"), cancellationToken)
            .ConfigureAwait(false);
        if (!result.Accepted)
        {
            return HttpProblems.Problem(422, "Not sent", $"The SMS provider refused the message ({result.HttpStatusCode}).");
        }

        await conversations.AddAsync(new ThreadMessage(clinicId, e164, result.ProviderMessageId!, false, $"staff:{by}", body.Text, now, "accepted"),
            cancellationToken).ConfigureAwait(false);
        return Results.Json(new { sent = true, messageId = result.ProviderMessageId }, Json, statusCode: 201);
    }

    /// <summary>Null when the request carries one of this clinic's staff tokens.</summary>
    public async Task<IResult?> AuthorizeAsync(HttpRequest request, string clinicId, CancellationToken cancellationToken)
    {
        var clinic = await clinics.GetAsync(clinicId, cancellationToken).ConfigureAwait(false);
        var presented = request.Headers[TokenHeader].FirstOrDefault() ?? request.Query["token"].FirstOrDefault();
        if (clinic is null || presented is null || !SecretTokens.Matches(presented, clinic.StaffAccessTokens))
        {
            // Same answer for an unknown clinic and a wrong token: nothing to learn by probing.
            return HttpProblems.Problem(401, "Clinic token required", $"Pass this clinic's staff token in the {TokenHeader} header.");
        }

        return null;
    }

    /// <summary>
    /// The caller a conversation route names: an E.164 number, or (better) the id of one of this clinic's callback tasks,
    /// which keeps the patient's number out of URLs and so out of request logs and telemetry.
    /// </summary>
    private async Task<string?> CallerAsync(string clinicId, string value, CancellationToken cancellationToken)
    {
        if (PhoneNumberTools.IsValidE164(value))
        {
            return value;
        }

        if (value.Length is 0 or > 200)
        {
            return null;
        }

        return (await tasks.GetAsync(clinicId, value, cancellationToken).ConfigureAwait(false))?.CallerNumber;
    }

    private static IResult UnknownCaller()
        => HttpProblems.Problem(400, "Unknown caller", "Name the caller by one of this clinic's task ids (GET .../tasks) or an E.164 number (e.g. +447400123456).");

    public static string Actor(StaffActionBody? body)
        => string.IsNullOrWhiteSpace(body?.By) ? "staff" : body.By.Length > 60 ? body.By[..60] : body.By;

    public static async Task<StaffActionBody?> ReadBodyAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        if (request.ContentLength is 0 || request.ContentType?.StartsWith("application/json", StringComparison.OrdinalIgnoreCase) != true)
        {
            return null;
        }

        var bytes = await IngestHttpHandler.ReadBodyAsync(request, 16 * 1024, cancellationToken).ConfigureAwait(false);
        if (bytes is null || bytes.Length == 0)
        {
            return null;
        }

        try
        {
            return JsonSerializer.Deserialize<StaffActionBody>(bytes, Json);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
