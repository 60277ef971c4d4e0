using System.Globalization;
using Azure.Data.Tables;
using MissedCallFunctions.Clinics;
using MissedCallFunctions.Recovery;
using MissedCallFunctions.Storage;

namespace MissedCallFunctions.Tests.Reporting;

/// <summary>
/// The funnel worked out the slow way, straight from the records the pipeline writes anyway (the call audit and each
/// recovery's timeline), independently of the reporting facts and day summaries, to check the reporting API against.
/// </summary>
public sealed record RawFunnel(
    int Missed, int Eligible, int Texted, int Delivered, int Replied, int Booked,
    IReadOnlyDictionary<string, int> SuppressedByReason, IReadOnlyList<int> TextBackLatencyMs, IReadOnlyList<int> FirstReplySeconds,
    int FollowUps, int Escalations, int[][] Heatmap)
{
    public static async Task<RawFunnel> ComputeAsync(StorageClients storage, IRecoveryTimeline timeline, ClinicConfig clinic, string fromDay, string toDay)
    {
        var zone = TimeZoneInfo.FindSystemTimeZoneById(clinic.TimeZone);
        int missed = 0, eligible = 0, texted = 0, delivered = 0, replied = 0, booked = 0, followUps = 0, escalations = 0;
        var suppressed = new SortedDictionary<string, int>(StringComparer.Ordinal);
        var latencies = new List<int>();
        var replies = new List<int>();
        var heatmap = Enumerable.Range(0, 7).Select(_ => new int[24]).ToArray();

        await foreach (var row in storage.Table(TableNames.CallAudit).QueryAsync<TableEntity>(e => e.PartitionKey == clinic.Id))
        {
            var decision = row.GetString("Decision");
            if (decision == "NotMissed")
            {
                continue;
            }

            var local = TimeZoneInfo.ConvertTime(row.GetDateTimeOffset("OccurredAt")!.Value, zone);
            var day = local.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
            if (string.CompareOrdinal(day, fromDay) < 0 || string.CompareOrdinal(day, toDay) > 0)
            {
                continue;
            }

            missed++;
            heatmap[((int)local.DayOfWeek + 6) % 7][local.Hour]++;
            var reason = row.GetString("Reason");
            if (decision != "Recover" || reason != "missed")
            {
                suppressed[reason] = suppressed.GetValueOrDefault(reason) + 1;
                continue;
            }

            eligible++;
            var instanceId = RecoveryNames.InstanceIdFor(clinic.Id, row.GetString("CallerNumber"), row.GetString("MessageId"));
            var steps = await timeline.ListAsync(instanceId, CancellationToken.None);
            var textBack = steps.FirstOrDefault(s => s.Key == "01-textback" && s.Kind is "text-back" or "text-back-after-hours");
            if (textBack is not null)
            {
                texted++;
                latencies.Add((int)(textBack.At - row.GetDateTimeOffset("ReceivedAt")!.Value).TotalMilliseconds);
            }

            delivered += steps.Any(s => s.Key == "01-textback-delivery" && s.Kind == "delivered") ? 1 : 0;
            var firstReply = steps.Where(s => s.Kind == "reply").OrderBy(s => s.At).FirstOrDefault();
            if (firstReply is not null)
            {
                replied++;
                if (textBack is not null)
                {
                    replies.Add((int)(firstReply.At - textBack.At).TotalSeconds);
                }
            }

            booked += steps.Any(s => s.Kind == "outcome" && s.Detail.StartsWith("Booked:", StringComparison.Ordinal)) ? 1 : 0;
            followUps += steps.Count(s => s.Kind == "follow-up");
            escalations += steps.Count(s => s.Kind is "callback-task" || (s.Key.StartsWith("step-", StringComparison.Ordinal) && s.Kind.EndsWith("Alert", StringComparison.Ordinal))
                                           || s.Key is "urgent-calls" or "urgent-reply-alert");
        }

        return new RawFunnel(missed, eligible, texted, delivered, replied, booked, suppressed, latencies.Order().ToList(), replies.Order().ToList(),
            followUps, escalations, heatmap);
    }
}
