using Azure;
using Azure.Data.Tables;
using MissedCallFunctions.Storage;

namespace MissedCallFunctions.Conversation;

/// <summary>One SMS in a clinic's thread with a caller, either way.</summary>
/// <param name="Author">patient, automation or staff:&lt;name&gt;.</param>
/// <param name="Text">Never logged; shown to staff only.</param>
public sealed record ThreadMessage(string ClinicId, string CallerNumber, string MessageId, bool Inbound, string Author, string Text,
    DateTimeOffset At, string? DeliveryStatus = null);

/// <summary>The SMS threads staff read: per clinic and caller, oldest first.</summary>
public interface IConversationStore
{
    /// <summary>Idempotent on the message id.</summary>
    Task AddAsync(ThreadMessage message, CancellationToken cancellationToken);

    Task<IReadOnlyList<ThreadMessage>> ThreadAsync(string clinicId, string callerE164, CancellationToken cancellationToken);

    Task SetDeliveryStatusAsync(string clinicId, string callerE164, string messageId, string status, CancellationToken cancellationToken);
}

public sealed class TableConversationStore(StorageClients storage) : IConversationStore
{
    private TableClient Table => storage.Table(TableNames.Conversations);

    private static string Partition(string clinicId, string caller) => TableKeys.Escape($"{clinicId}|{caller}");

    public async Task AddAsync(ThreadMessage message, CancellationToken cancellationToken)
    {
        try
        {
            await Table.AddEntityAsync(new TableEntity(Partition(message.ClinicId, message.CallerNumber), TableKeys.Escape(message.MessageId))
            {
                ["ClinicId"] = message.ClinicId,
                ["CallerNumber"] = message.CallerNumber,
                ["MessageId"] = message.MessageId,
                ["Inbound"] = message.Inbound,
                ["Author"] = message.Author,
                ["Text"] = message.Text,
                ["At"] = message.At,
                ["DeliveryStatus"] = message.DeliveryStatus,
            }, cancellationToken).ConfigureAwait(false);
        }
        catch (RequestFailedException ex) when (ex.Status == 409)
        {
            // Already in the thread.
        }
    }

    public async Task<IReadOnlyList<ThreadMessage>> ThreadAsync(string clinicId, string callerE164, CancellationToken cancellationToken)
    {
        var partition = Partition(clinicId, callerE164);
        var messages = new List<ThreadMessage>();
        await foreach (var e in Table.QueryAsync<TableEntity>(x => x.PartitionKey == partition, cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            messages.Add(new ThreadMessage(clinicId, callerE164, e.GetString("MessageId"), e.GetBoolean("Inbound") == true,
                e.GetString("Author"), e.GetString("Text"), e.GetDateTimeOffset("At") ?? default, e.GetString("DeliveryStatus")));
        }

        return messages.OrderBy(m => m.At).ToList();
    }

    public async Task SetDeliveryStatusAsync(string clinicId, string callerE164, string messageId, string status, CancellationToken cancellationToken)
    {
        try
        {
            await Table.UpdateEntityAsync(new TableEntity(Partition(clinicId, callerE164), TableKeys.Escape(messageId)) { ["DeliveryStatus"] = status },
                ETag.All, TableUpdateMode.Merge, cancellationToken).ConfigureAwait(false);
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            // A report for a message we did not thread (e.g. a staff alert): nothing to update.
        }
    }
}
