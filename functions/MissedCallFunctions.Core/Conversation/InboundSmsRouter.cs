using Azure;
using Azure.Data.Tables;
using MissedCallFunctions.Clinics;
using MissedCallFunctions.Common;
using MissedCallFunctions.Conversation.Inbound;
using MissedCallFunctions.Ingest;
using MissedCallFunctions.Ingest.Providers;
using MissedCallFunctions.Messaging;
using MissedCallFunctions.Recovery;
using MissedCallFunctions.Staff;
using MissedCallFunctions.Storage;
using MissedCallFunctions.Triage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace MissedCallFunctions.Conversation;

/// <summary>
/// Inbound SMS and delivery reports: authenticate, dedupe, thread, and route a reply to the caller's live recovery;
/// with no live recovery, opt-out keywords update the ledger (with at most one confirmation), HELP gets the help text,
/// anything else opens a conversation for staff.
/// </summary>
public sealed partial class InboundSmsRouter(
    IEnumerable<IInboundSmsProvider> providers,
    IClinicDirectory clinics,
    StorageClients storage,
    IConversationStore conversations,
    RecoveryCoordinator recoveries,
    IRecoveryRegistry registry,
    IOptOutLedger optOuts,
    ISmsChannelResolver channels,
    ISmsOutbox outbox,
    IRecoveryTimeline timeline,
    IStaffTaskStore tasks,
    AlertStaffActivity staffAlerts,
    IOptions<IngestOptions> ingestOptions,
    TimeProvider time,
    ILogger<InboundSmsRouter> logger)
{
    private readonly Dictionary<string, IInboundSmsProvider> _providers = providers.ToDictionary(p => p.Key, StringComparer.OrdinalIgnoreCase);

    public async Task<IngestResult> HandleAsync(string providerKey, WebhookRequest request, IRecoveryOrchestrations orchestrations,
        CancellationToken cancellationToken)
    {
        if (!_providers.TryGetValue(providerKey, out var provider))
        {
            return new IngestResult.Rejected(404, "Unknown provider", $"Inbound SMS is accepted from: {string.Join(", ", _providers.Keys.Order())}.");
        }

        if (request.Body.Length > ingestOptions.Value.MaxBodyBytes)
        {
            return new IngestResult.Rejected(413, "Payload too large", $"SMS webhooks are limited to {ingestOptions.Value.MaxBodyBytes / 1024} KiB.");
        }

        if (provider.TryHandshake(request) is { } reply)
        {
            return new IngestResult.Handshake(reply);
        }

        if (request.Method != "POST")
        {
            return new IngestResult.Rejected(405, "Method not allowed", "SMS events are posted.");
        }

        if (request.MediaType is null || !provider.MediaTypes.Contains(request.MediaType))
        {
            return new IngestResult.Rejected(415, "Unsupported content type", $"{provider.Key} webhooks are {string.Join(" or ", provider.MediaTypes)}.");
        }

        IReadOnlyList<InboundSmsEvent> events;
        try
        {
            events = provider.Parse(request);
        }
        catch (WebhookFormatException ex)
        {
            return new IngestResult.Rejected(400, "Malformed SMS event", ex.Message);
        }
        catch (InvalidOperationException)
        {
            // JsonElement throws this for text it cannot decode (a lone surrogate escape) that a provider read unguarded.
            return new IngestResult.Rejected(400, "Malformed SMS event", CallEventIngestor.UnreadableText);
        }

        var now = time.GetUtcNow();
        var resolved = new List<(InboundSmsEvent Event, ClinicConfig Clinic)>();
        var verified = new HashSet<string>(StringComparer.Ordinal);
        foreach (var item in events)
        {
            var number = PhoneNumberTools.Normalize(provider.ClinicNumberOf(item), ingestOptions.Value.DefaultRegion);
            var clinic = number.E164 is null ? null : await clinics.FindByNumberAsync(number.E164, cancellationToken).ConfigureAwait(false);
            if (clinic is null)
            {
                return new IngestResult.Rejected(404, "Unknown clinic number", "The number does not belong to any clinic configured here.");
            }

            if (verified.Add(clinic.Id) && provider.Verify(request, clinic.Webhooks, now) is { IsValid: false } check)
            {
                return new IngestResult.Rejected(401, "Webhook not authenticated", $"{provider.Key}: {check.Status} ({check.Detail})");
            }

            resolved.Add((item, clinic));
        }

        var handled = new List<string>();
        var duplicates = new List<string>();
        foreach (var (item, clinic) in resolved)
        {
            var key = $"{provider.Key}:{item.DedupeKey}";
            if (await IsDoneAsync(key, cancellationToken).ConfigureAwait(false))
            {
                duplicates.Add(key);
                continue;
            }

            switch (item)
            {
                case ReceivedSms sms:
                    await RouteReplyAsync(clinic, sms, orchestrations, cancellationToken).ConfigureAwait(false);
                    break;
                case DeliveryReport report:
                    await ApplyDeliveryReportAsync(clinic, report, cancellationToken).ConfigureAwait(false);
                    break;
            }

            // Marked done last: every step above is idempotent, so a crash before this line is redone safely.
            await MarkDoneAsync(key, cancellationToken).ConfigureAwait(false);
            handled.Add(key);
        }

        return new IngestResult.Accepted(handled, duplicates, 0) { Reply = provider.Acknowledgement };
    }

    private async Task RouteReplyAsync(ClinicConfig clinic, ReceivedSms sms, IRecoveryOrchestrations orchestrations, CancellationToken cancellationToken)
    {
        var from = PhoneNumberTools.Normalize(sms.FromRaw, clinic.Country.ToUpperInvariant()).E164;
        if (from is null)
        {
            LogUnroutable(logger, sms.MessageId);
            return;
        }

        var clinicNumber = PhoneNumberTools.Normalize(sms.ToRaw, clinic.Country.ToUpperInvariant()).E164 ?? clinic.Numbers[0];
        await conversations.AddAsync(new ThreadMessage(clinic.Id, from, sms.MessageId, true, "patient", sms.Text, sms.ReceivedAt), cancellationToken)
            .ConfigureAwait(false);

        // An opt-out goes into the ledger before anything else, live recovery or not: every send checks the ledger just
        // before it goes out, so a follow-up already on its way, or a recovery that is ending, cannot text after STOP.
        var classification = ProviderKeyword(sms) ?? ReplyClassifier.Classify(sms.Text);
        var optsOut = classification.Intent == ReplyIntent.OptOut || classification.AlsoOptOutRule is not null;
        var wasOptedOut = optsOut && await optOuts.IsOptedOutAsync(clinic.Id, from, cancellationToken).ConfigureAwait(false);
        if (optsOut)
        {
            await optOuts.OptOutAsync(clinic.Id, from, "sms", sms.ReceivedAt, cancellationToken).ConfigureAwait(false);
            LogOptOut(logger, clinic.Id, PhoneNumberTools.Mask(from));
        }

        if (await recoveries.SignalAsync(clinic.Id, from, new InboxItem(sms.MessageId, InboxKind.Reply, sms.ReceivedAt, sms.Text), orchestrations,
                cancellationToken).ConfigureAwait(false))
        {
            LogRouted(logger, sms.MessageId, clinic.Id);
            return;
        }

        // No live recovery: the rules that must hold whatever is running (or not).
        var conversationId = ConversationIds.For(clinic.Id, from);
        var now = time.GetUtcNow();
        switch (classification.Intent)
        {
            case ReplyIntent.OptOut:
                break;
            case ReplyIntent.OptIn:
                await optOuts.OptInAsync(clinic.Id, from, "sms", sms.ReceivedAt, cancellationToken).ConfigureAwait(false);
                break;
            case ReplyIntent.Help:
                await ReplyAsync(clinic, clinicNumber, from, conversationId, $"help-{sms.MessageId}",
                    MessageTemplates.RenderNamed(clinic, MessageTemplates.HelpReply), sms.ReceivedAt, cancellationToken).ConfigureAwait(false);
                break;
            default:
                var urgent = classification.Intent == ReplyIntent.Urgent;
                // A message right after a recovery ended (e.g. a second text in the same second) joins that recovery's task.
                var last = await registry.GetAsync(clinic.Id, from, cancellationToken).ConfigureAwait(false);
                var taskId = last is { Live: false, EndedAt: { } endedAt } && now - endedAt < TimeSpan.FromDays(1)
                             && await tasks.GetAsync(clinic.Id, last.InstanceId, cancellationToken).ConfigureAwait(false) is not null
                    ? last.InstanceId
                    : conversationId;
                var task = await tasks.OpenOrUpdateAsync(new StaffTaskRequest(clinic.Id, taskId, from, null,
                    urgent ? "urgent message: contact the patient now" : "new message: please reply", urgent, 0, now, clinic.TaskDueAt(now, urgent), [sms.Text], null,
                    Reopen: true),
                    cancellationToken).ConfigureAwait(false);
                if (urgent)
                {
                    await staffAlerts.RunAsync(new StaffAlertRequest(conversationId, clinic.Id, $"urgent-{sms.MessageId}", [StaffRole.Staff, StaffRole.OnCall],
                        MessageTemplates.StaffAlert, clinicNumber, from, sms.ReceivedAt, $"task {task.TaskId}", sms.MessageId, sms.ReceivedAt, task.TaskId),
                        cancellationToken).ConfigureAwait(false);
                    if (!optsOut && !await optOuts.IsOptedOutAsync(clinic.Id, from, cancellationToken).ConfigureAwait(false))
                    {
                        await ReplyAsync(clinic, clinicNumber, from, conversationId, $"urgent-{sms.MessageId}",
                            MessageTemplates.RenderNamed(clinic, MessageTemplates.UrgentReply), sms.ReceivedAt, cancellationToken).ConfigureAwait(false);
                    }
                }

                break;
        }

        if (optsOut && !wasOptedOut)
        {
            // The one confirmation an opt-out gets (also inside an urgent message), sent last: staff hear about an urgent
            // message even when the confirmation cannot go out, and the opt-out itself is already in the ledger.
            try
            {
                await ReplyAsync(clinic, clinicNumber, from, conversationId, $"optout-{sms.MessageId}",
                    MessageTemplates.RenderNamed(clinic, MessageTemplates.OptOutConfirmation), sms.ReceivedAt, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is SmsTransientException or SmsChannelException or InvalidOperationException)
            {
                LogConfirmationFailed(logger, clinic.Id, sms.MessageId, ex.GetType().Name);
            }
        }
    }

    /// <summary>
    /// The provider's own opt-out keyword match (Twilio Advanced Opt-Out: <c>OptOutType</c> STOP) wins over our wording
    /// rules: the provider already blocks the sender on it, including the clinic's custom keywords.
    /// </summary>
    private static ReplyClassification? ProviderKeyword(ReceivedSms sms) => sms.OptOutType switch
    {
        "STOP" => new ReplyClassification(ReplyIntent.OptOut, $"provider keyword ({sms.Provider} OptOutType STOP)"),
        // Not START: Twilio counts "YES" as an opt-in keyword, and a "yes" to a booking offer must not undo an opt-out
        // only our ledger knows ("stop texting me", a carrier block). Our own rules decide opt-ins.
        _ => null,
    };

    /// <summary>
    /// An automatic reply outside a recovery, sent once per inbound message (keyed in the outbox). The repeatability id and
    /// first-sent time both derive from the inbound message, so a redelivered webhook repeats the same request exactly.
    /// </summary>
    private async Task ReplyAsync(ClinicConfig clinic, string from, string to, string conversationId, string stepKey, string body,
        DateTimeOffset inboundAt, CancellationToken cancellationToken)
    {
        if ((await outbox.GetAsync(conversationId, stepKey, cancellationToken).ConfigureAwait(false))?.ProviderMessageId is not null)
        {
            return;
        }

        var repeatability = AlertStaffActivity.DerivedGuid($"{conversationId}|{stepKey}", 0);
        var now = time.GetUtcNow();
        // A quick redelivery repeats the request exactly; an hours-late one (Event Grid retries for a day) is a fresh request.
        var firstSent = inboundAt <= now && now - inboundAt < TimeSpan.FromMinutes(10) ? inboundAt : now;
        var result = await channels.For(clinic).SendAsync(new OutgoingSms(from, to, body, repeatability, firstSent, SendPatientSmsActivity.Tag(conversationId, stepKey)),
            cancellationToken).ConfigureAwait(false);
        await outbox.SaveAsync(new OutboxRecord(conversationId, stepKey, clinic.Id, to, repeatability, result.ProviderMessageId,
            result.Accepted ? "accepted" : "refused"), cancellationToken).ConfigureAwait(false);
        if (result.Accepted)
        {
            await conversations.AddAsync(new ThreadMessage(clinic.Id, to, result.ProviderMessageId!, false, "automation", body, now, "accepted"),
                cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task ApplyDeliveryReportAsync(ClinicConfig clinic, DeliveryReport report, CancellationToken cancellationToken)
    {
        var to = PhoneNumberTools.Normalize(report.ToRaw, clinic.Country.ToUpperInvariant()).E164;
        if (report.OptOutSignal && to is not null)
        {
            await optOuts.OptOutAsync(clinic.Id, to, "carrier-block", report.At, cancellationToken).ConfigureAwait(false);
        }

        var sent = await outbox.FindByProviderMessageIdAsync(report.MessageId, cancellationToken).ConfigureAwait(false);
        if (sent is null || report.Status == DeliveryStatus.Sent)
        {
            return;
        }

        var status = report.Status == DeliveryStatus.Delivered ? "delivered" : "delivery-failed";
        await timeline.RecordAsync(clinic.Id, sent.InstanceId, new TimelineEntry($"{sent.StepKey}-delivery", status, report.At,
            report.Status == DeliveryStatus.Delivered ? $"{sent.StepKey} delivered" : $"{sent.StepKey} not delivered: {report.Detail}"), cancellationToken)
            .ConfigureAwait(false);
        await conversations.SetDeliveryStatusAsync(clinic.Id, sent.To, report.MessageId, status, cancellationToken).ConfigureAwait(false);
    }


    private async Task<bool> IsDoneAsync(string key, CancellationToken cancellationToken)
    {
        var row = await storage.Table(TableNames.InboundLedger).GetEntityIfExistsAsync<TableEntity>("done", TableKeys.Escape(key), ["Done"], cancellationToken)
            .ConfigureAwait(false);
        return row.HasValue;
    }

    private async Task MarkDoneAsync(string key, CancellationToken cancellationToken)
    {
        try
        {
            await storage.Table(TableNames.InboundLedger).AddEntityAsync(new TableEntity("done", TableKeys.Escape(key)) { ["Done"] = true }, cancellationToken)
                .ConfigureAwait(false);
        }
        catch (RequestFailedException ex) when (ex.Status == 409)
        {
            // A concurrent duplicate finished first.
        }
    }

    [LoggerMessage(EventId = 6000, Level = LogLevel.Information, Message = "Inbound SMS {MessageId} routed to the live recovery of clinic {ClinicId}")]
    private static partial void LogRouted(ILogger logger, string messageId, string clinicId);

    [LoggerMessage(EventId = 6001, Level = LogLevel.Information, Message = "Opt-out recorded for clinic {ClinicId}, caller {Caller}")]
    private static partial void LogOptOut(ILogger logger, string clinicId, string caller);

    [LoggerMessage(EventId = 6002, Level = LogLevel.Warning, Message = "Inbound SMS {MessageId} has no usable sender number; kept out of threads")]
    private static partial void LogUnroutable(ILogger logger, string messageId);

    [LoggerMessage(EventId = 6003, Level = LogLevel.Warning,
        Message = "Opt-out confirmation for inbound SMS {MessageId} of clinic {ClinicId} not sent ({Error}); the opt-out is recorded")]
    private static partial void LogConfirmationFailed(ILogger logger, string clinicId, string messageId, string error);
}

public static class ConversationIds
{
    /// <summary>Stable id of a clinic's conversation with a caller, without the number in clear.</summary>
    public static string For(string clinicId, string callerE164) => $"conv-{clinicId}-{StaffTaskIds.For(callerE164)}";
}
