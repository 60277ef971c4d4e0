using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Azure.Data.Tables;
using Azure.Storage.Queues;
using MissedCallFunctions.LocalHost;

namespace MissedCallFunctions.Reliability.Infrastructure;

/// <summary>The sample clinics' facts the scenarios use (samples/clinics.sample.json) and the keys they give the hosts.</summary>
public static class Sample
{
    public const string FunctionKey = "reliability-function-key";
    public const string AdminKey = "reliability-admin-key-0001";
    public const string UkClinicId = "riverside-dental";
    public const string UkClinicNumber = "+442079460000";
    public const string UkGenericSecret = "dev-riverside-generic-secret-0001";
    public const string UkTwilioToken = "dev-riverside-twilio-auth-token";
    public const string UkRingCentralToken = "dev-riverside-ringcentral-token";
    public const string UkAcsToken = "dev-riverside-acs-token";
    public const string UkStaffToken = "dev-riverside-staff-token-0001";
    public const string UkStaffPhone = "+447400123401";
    public const string UkManagerPhone = "+447400123402";
    public const string UsClinicId = "glow-med-spa";
    public const string UsClinicNumber = "+13105550142";
    public const string UsStaffToken = "dev-glow-staff-token-00000001";
    public const string UkDashboardToken = "dev-riverside-dashboard-token-0001";
    public const string UsDashboardToken = "dev-glow-dashboard-token-000001";

    /// <summary>Where providers "see" the ingest URL: URL-signing providers (Twilio) sign this, whichever host answers.</summary>
    public const string PublicBaseUrl = "https://reliability.missedcalls.example";

    /// <summary>A UK mobile in a block of its own per scenario: +447400{block}{index:D5}, never a staff, blocked or internal number.</summary>
    public static string Caller(int block, int index) => string.Create(CultureInfo.InvariantCulture, $"+447400{block}{index:D5}");

    /// <summary>
    /// The sample clinics always open and inside sending hours, with <paramref name="ladderJson"/> as every clinic's
    /// escalation ladder (seconds-scale in the scenarios; a day away when only text-backs are wanted).
    /// </summary>
    public static string ClinicsFile(string ladderJson)
    {
        var root = AzuriteLauncher.FindRepositoryRoot() ?? throw new InvalidOperationException("Run from the repository: samples/clinics.sample.json is needed.");
        var node = JsonNode.Parse(File.ReadAllText(Path.Combine(root, "samples", "clinics.sample.json")),
            documentOptions: new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true })!;
        var days = new JsonObject();
        foreach (var day in new[] { "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday" })
        {
            days[day] = JsonNode.Parse("""[{"open":"00:00","close":"23:59"}]""");
        }

        foreach (var clinic in node["clinics"]!.AsArray())
        {
            clinic!["escalationLadder"] = JsonNode.Parse(ladderJson);
            clinic["sendingHours"] = JsonNode.Parse("""{"start":"00:00","end":"23:59"}""");
            clinic["holidays"] = new JsonArray();
            clinic["openingHours"] = days.DeepClone();
        }

        var path = Path.Combine(Path.GetTempPath(), $"reliability-clinics-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, node.ToJsonString());
        return path;
    }

    /// <summary>Only the text-back within a run: the first ladder step is a day away.</summary>
    public const string TextBackOnlyLadder = """
        [
          { "after": "1.00:00:00", "action": "nudgePatient", "template": "followUp" },
          { "after": "1.01:00:00", "action": "staffCallbackTask" }
        ]
        """;
}

/// <summary>Names that isolate one scenario's tables, queue and task hub.</summary>
public sealed record Isolation(string TablePrefix, string QueueName, string TaskHub)
{
    public static Isolation New(string scenario)
    {
        var id = Guid.NewGuid().ToString("N")[..8];
        var letters = new string(scenario.Where(char.IsAsciiLetter).ToArray()).ToLowerInvariant();
        return new Isolation("r" + letters[..Math.Min(6, letters.Length)] + id, $"rel-{letters[..Math.Min(10, letters.Length)]}-{id}", "rel" + letters[..Math.Min(6, letters.Length)] + id);
    }

    public string PoisonQueueName => QueueName + "-poison";
}

/// <summary>Direct reads of a scenario's storage (counts the pipeline's tables and queues without going through it).</summary>
public sealed class StorageProbe(string connectionString, Isolation names)
{
    private readonly TableServiceClient _tables = new(connectionString);
    private readonly QueueServiceClient _queues = new(connectionString, new QueueClientOptions { MessageEncoding = QueueMessageEncoding.None });

    public TableClient Table(string name) => _tables.GetTableClient(names.TablePrefix + name);

    public QueueClient Queue => _queues.GetQueueClient(names.QueueName);

    public QueueClient Poison => _queues.GetQueueClient(names.PoisonQueueName);

    public async Task<List<TableEntity>> RowsAsync(string table, string? filter = null)
    {
        var rows = new List<TableEntity>();
        try
        {
            await foreach (var row in Table(table).QueryAsync<TableEntity>(filter))
            {
                rows.Add(row);
            }
        }
        catch (Azure.RequestFailedException ex) when (ex.Status == 404)
        {
            // Not created yet.
        }

        return rows;
    }

    public async Task<int> CountAsync(string table) => (await RowsAsync(table)).Count;

    public static async Task<int> ApproximateCountAsync(QueueClient queue)
    {
        try
        {
            return (await queue.GetPropertiesAsync()).Value.ApproximateMessagesCount;
        }
        catch (Azure.RequestFailedException ex) when (ex.Status == 404)
        {
            return 0;
        }
    }

    /// <summary>Every message on a queue, peeked (at most 32 a call: received with a short invisibility, then left to reappear).</summary>
    public static async Task<List<string>> PeekAllAsync(QueueClient queue)
    {
        var bodies = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var round = 0; round < 100; round++)
        {
            var batch = (await queue.ReceiveMessagesAsync(32, TimeSpan.FromSeconds(2))).Value;
            if (batch.Length == 0)
            {
                break;
            }

            foreach (var message in batch.Where(m => seen.Add(m.MessageId)))
            {
                bodies.Add(message.Body.ToString());
            }
        }

        return bodies;
    }
}

public static class Wait
{
    /// <summary>Polls until the condition holds; false when <paramref name="timeout"/> passed first.</summary>
    public static async Task<bool> UntilAsync(Func<Task<bool>> condition, TimeSpan timeout, TimeSpan? every = null)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            if (await condition())
            {
                return true;
            }

            if (DateTime.UtcNow > deadline)
            {
                return false;
            }

            await Task.Delay(every ?? TimeSpan.FromMilliseconds(250));
        }
    }

    public static Task<bool> UntilAsync(Func<bool> condition, TimeSpan timeout, TimeSpan? every = null)
        => UntilAsync(() => Task.FromResult(condition()), timeout, every);
}
