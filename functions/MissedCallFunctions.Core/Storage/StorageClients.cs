using Azure.Core;
using Azure.Data.Tables;
using Azure.Storage.Queues;
using Microsoft.Extensions.Options;

namespace MissedCallFunctions.Storage;

/// <summary>One <see cref="TableServiceClient"/> (and queue client) per process; tables are created once.</summary>
public sealed class StorageClients
{
    private readonly StorageOptions _options;
    private readonly Lazy<TableServiceClient> _tables;
    private readonly Lazy<QueueServiceClient?> _queues;
    private readonly SemaphoreSlim _createLock = new(1, 1);
    private volatile bool _tablesCreated;

    public StorageClients(IOptions<StorageOptions> options, TokenCredential credential)
    {
        _options = options.Value;
        _tables = new(() => string.IsNullOrWhiteSpace(_options.ConnectionString)
            ? new TableServiceClient(_options.TableServiceUri, credential)
            : new TableServiceClient(_options.ConnectionString));
        _queues = new(() =>
        {
            if (!string.IsNullOrWhiteSpace(_options.ConnectionString))
            {
                return new QueueServiceClient(_options.ConnectionString, new QueueClientOptions { MessageEncoding = QueueMessageEncoding.None });
            }

            return _options.QueueServiceUri is null
                ? null
                : new QueueServiceClient(_options.QueueServiceUri, credential, new QueueClientOptions { MessageEncoding = QueueMessageEncoding.None });
        });
    }

    public TableServiceClient Tables => _tables.Value;

    public QueueServiceClient Queues => _queues.Value
        ?? throw new InvalidOperationException("Storage queues are not configured: set Storage:ConnectionString or Storage:QueueServiceUri.");

    public TableClient Table(string name) => Tables.GetTableClient(_options.TablePrefix + name);

    /// <summary>Creates every table the pipeline uses (idempotent; called at start-up).</summary>
    public async Task EnsureTablesAsync(CancellationToken cancellationToken = default)
    {
        if (_tablesCreated)
        {
            return;
        }

        await _createLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_tablesCreated)
            {
                return;
            }

            foreach (var name in TableNames.All)
            {
                await Table(name).CreateIfNotExistsAsync(cancellationToken).ConfigureAwait(false);
            }

            _tablesCreated = true;
        }
        finally
        {
            _createLock.Release();
        }
    }
}
