namespace MissedCallFunctions.Common;

/// <summary>
/// Coalesces concurrent single-item writes into batch writes ("group commit"). While a batch is being written, newly
/// submitted items wait and go together in the next one, so under load one storage round trip carries many items and
/// at low load an item waits for nothing but its own write. A caller's task completes only when the batch that carried
/// its item has been written, and faults when that batch failed: nothing is acknowledged before it is stored.
/// </summary>
/// <remarks>
/// No background thread: a submitter that finds fewer than <c>maxConcurrentBatches</c> writers running becomes one and
/// keeps writing batches until nothing is pending.
/// </remarks>
public sealed class GroupCommit<TItem, TResult>
{
    private readonly Func<IReadOnlyList<TItem>, CancellationToken, Task<IReadOnlyList<TResult>>> _write;
    private readonly Func<TItem, int> _weight;
    private readonly int _maxItems;
    private readonly int _maxWeight;
    private readonly int _maxWriters;
    private readonly TimeSpan? _writeTimeout;
    private readonly Queue<Pending> _pending = new();
    private readonly Lock _gate = new();
    private int _writers;
    private long _batches;

    /// <param name="write">Writes one batch and returns one result per item, in order; throws when the batch failed.</param>
    /// <param name="maxItems">Most items in one batch (Table transactions take 100, Service Bus and queue messages less).</param>
    /// <param name="maxConcurrentBatches">Batches in flight at once: more lowers latency, fewer makes larger batches.</param>
    /// <param name="weight">An item's size against <paramref name="maxWeight"/> (e.g. its serialized bytes).</param>
    /// <param name="writeTimeout">Cancels a batch write that takes longer, failing its items, so one hung call cannot stall every later batch.</param>
    public GroupCommit(
        Func<IReadOnlyList<TItem>, CancellationToken, Task<IReadOnlyList<TResult>>> write,
        int maxItems,
        int maxConcurrentBatches,
        Func<TItem, int>? weight = null,
        int maxWeight = int.MaxValue,
        TimeSpan? writeTimeout = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxItems, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxConcurrentBatches, 1);
        _write = write;
        _maxItems = maxItems;
        _maxWriters = maxConcurrentBatches;
        _weight = weight ?? (_ => 0);
        _maxWeight = maxWeight;
        _writeTimeout = writeTimeout;
    }

    /// <summary>Batches written so far (for diagnostics and tests).</summary>
    public long Batches => Interlocked.Read(ref _batches);

    public Task<TResult> SubmitAsync(TItem item)
    {
        var pending = new Pending(item, _weight(item));
        bool becomeWriter;
        lock (_gate)
        {
            _pending.Enqueue(pending);
            becomeWriter = _writers < _maxWriters;
            if (becomeWriter)
            {
                _writers++;
            }
        }

        if (becomeWriter)
        {
            _ = Task.Run(WriteWhilePendingAsync);
        }

        return pending.Completion.Task;
    }

    private async Task WriteWhilePendingAsync()
    {
        while (true)
        {
            List<Pending> batch;
            lock (_gate)
            {
                if (_pending.Count == 0)
                {
                    _writers--;
                    return;
                }

                batch = new List<Pending>(Math.Min(_pending.Count, _maxItems));
                var weight = 0;
                while (_pending.Count > 0 && batch.Count < _maxItems)
                {
                    var next = _pending.Peek();
                    if (batch.Count > 0 && weight + next.Weight > _maxWeight)
                    {
                        break;
                    }

                    weight += next.Weight;
                    batch.Add(_pending.Dequeue());
                }
            }

            using var timeout = _writeTimeout is { } limit ? new CancellationTokenSource(limit) : null;
            try
            {
                // The write is not tied to any one caller's cancellation: other callers' items ride in the same batch.
                var results = await _write(batch.Select(p => p.Item).ToList(), timeout?.Token ?? CancellationToken.None).ConfigureAwait(false);
                if (results.Count != batch.Count)
                {
                    throw new InvalidOperationException($"A batch of {batch.Count} items returned {results.Count} results.");
                }

                Interlocked.Increment(ref _batches);
                for (var i = 0; i < batch.Count; i++)
                {
                    batch[i].Completion.TrySetResult(results[i]);
                }
            }
            catch (Exception ex)
            {
                foreach (var p in batch)
                {
                    p.Completion.TrySetException(ex);
                }
            }
        }
    }

    private sealed class Pending(TItem item, int weight)
    {
        public TItem Item { get; } = item;

        public int Weight { get; } = weight;

        public TaskCompletionSource<TResult> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
