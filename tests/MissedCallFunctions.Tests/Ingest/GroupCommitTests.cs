using MissedCallFunctions.Common;

namespace MissedCallFunctions.Tests.Ingest;

public sealed class GroupCommitTests
{
    [Fact]
    public async Task SubmitAsync_ManyConcurrentItems_WrittenInFewerBatchesEachGettingItsOwnResult()
    {
        var written = new List<int>();
        var commit = new GroupCommit<int, string>(async (items, _) =>
        {
            await Task.Delay(20);
            lock (written)
            {
                written.AddRange(items);
            }

            return items.Select(i => "r" + i).ToList();
        }, maxItems: 100, maxConcurrentBatches: 1);

        var results = await Task.WhenAll(Enumerable.Range(0, 200).Select(i => commit.SubmitAsync(i)));

        Assert.Equal(Enumerable.Range(0, 200).Select(i => "r" + i), results);
        Assert.Equal(200, written.Distinct().Count());
        Assert.InRange(commit.Batches, 2, 20);
    }

    [Fact]
    public async Task SubmitAsync_BatchFails_EveryItemInItFaultsAndLaterItemsStillWrite()
    {
        var calls = 0;
        var commit = new GroupCommit<int, int>((items, _) =>
        {
            if (Interlocked.Increment(ref calls) == 1)
            {
                throw new InvalidOperationException("storage away");
            }

            return Task.FromResult<IReadOnlyList<int>>(items.ToList());
        }, maxItems: 10, maxConcurrentBatches: 1);

        var failed = commit.SubmitAsync(1);
        await Assert.ThrowsAsync<InvalidOperationException>(() => failed);
        Assert.Equal(2, await commit.SubmitAsync(2));
    }

    [Fact]
    public async Task SubmitAsync_WeightLimit_SplitsBatchesByWeight()
    {
        var sizes = new List<int>();
        var gate = new TaskCompletionSource();
        var commit = new GroupCommit<int, int>(async (items, _) =>
        {
            await gate.Task;
            lock (sizes)
            {
                sizes.Add(items.Sum());
            }

            return items.ToList();
        }, maxItems: 5, maxConcurrentBatches: 1, weight: i => i, maxWeight: 10);

        // The first item becomes a batch of its own; the rest queue behind the held write.
        var all = Enumerable.Range(0, 21).Select(_ => commit.SubmitAsync(3)).ToList();
        gate.SetResult();
        await Task.WhenAll(all);

        Assert.All(sizes, s => Assert.True(s <= 10, $"batch weighed {s}"));
        Assert.Equal(21 * 3, sizes.Sum());
    }

    [Fact]
    public async Task SubmitAsync_ItemLimitAndConcurrentBatches_Respected()
    {
        var sizes = new List<int>();
        var inFlight = 0;
        var maxInFlight = 0;
        var commit = new GroupCommit<int, int>(async (items, _) =>
        {
            var now = Interlocked.Increment(ref inFlight);
            lock (sizes)
            {
                sizes.Add(items.Count);
                maxInFlight = Math.Max(maxInFlight, now);
            }

            await Task.Delay(20);
            Interlocked.Decrement(ref inFlight);
            return items.ToList();
        }, maxItems: 7, maxConcurrentBatches: 3);

        var results = await Task.WhenAll(Enumerable.Range(0, 100).Select(commit.SubmitAsync));

        Assert.Equal(Enumerable.Range(0, 100), results);
        Assert.All(sizes, s => Assert.InRange(s, 1, 7));
        Assert.InRange(maxInFlight, 2, 3);
    }

    [Fact]
    public async Task SubmitAsync_WriteHangs_TimeoutFailsItsItemsAndTheNextBatchStillWrites()
    {
        var first = true;
        var commit = new GroupCommit<int, int>(async (items, ct) =>
        {
            if (first)
            {
                first = false;
                await Task.Delay(Timeout.Infinite, ct);
            }

            return items.ToList();
        }, maxItems: 10, maxConcurrentBatches: 1, writeTimeout: TimeSpan.FromMilliseconds(200));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => commit.SubmitAsync(1));
        Assert.Equal(2, await commit.SubmitAsync(2));
    }

    [Fact]
    public async Task SubmitAsync_WriteReturnsWrongNumberOfResults_ItemsFault()
    {
        var commit = new GroupCommit<int, int>((_, _) => Task.FromResult<IReadOnlyList<int>>([]), maxItems: 10, maxConcurrentBatches: 2);

        await Assert.ThrowsAsync<InvalidOperationException>(() => commit.SubmitAsync(1));
    }
}
