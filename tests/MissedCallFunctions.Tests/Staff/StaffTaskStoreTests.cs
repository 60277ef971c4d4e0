using MissedCallFunctions.Staff;
using MissedCallFunctions.Tests.Infrastructure;

namespace MissedCallFunctions.Tests.Staff;

/// <summary>The staff task board on Azurite under concurrent writers (several replies at once, staff marking it handled).</summary>
public sealed class StaffTaskStoreTests
{
    private static StaffTaskRequest Request(string taskId, string reply, bool reopen = true) => new(TestData.UkClinicId, taskId, TestData.UkMobile, null,
        "new message: please reply", false, 0, DateTimeOffset.UtcNow, DateTimeOffset.UtcNow.AddHours(1), [reply], null, reopen);

    [Fact]
    public async Task OpenOrUpdate_ConcurrentReplies_KeepsEveryReply()
    {
        await using var stack = await TestStack.CreateAsync();
        var tasks = stack.Get<IStaffTaskStore>();
        var taskId = "t-" + Guid.NewGuid().ToString("N")[..12];
        await tasks.OpenOrUpdateAsync(Request(taskId, "first"), CancellationToken.None);

        var replies = Enumerable.Range(0, 8).Select(i => $"reply {i}").ToList();
        await Task.WhenAll(replies.Select(r => tasks.OpenOrUpdateAsync(Request(taskId, r), CancellationToken.None)));

        var task = await tasks.GetAsync(TestData.UkClinicId, taskId, CancellationToken.None);
        Assert.Equal(["first", .. replies], task!.Replies.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task MarkHandled_ConcurrentWithAReply_KeepsTheReply()
    {
        await using var stack = await TestStack.CreateAsync();
        var tasks = stack.Get<IStaffTaskStore>();
        var taskId = "t-" + Guid.NewGuid().ToString("N")[..12];
        await tasks.OpenOrUpdateAsync(Request(taskId, "first"), CancellationToken.None);

        var handled = tasks.MarkHandledAsync(TestData.UkClinicId, taskId, "reception", DateTimeOffset.UtcNow, CancellationToken.None);
        var replied = tasks.OpenOrUpdateAsync(Request(taskId, "second", reopen: false), CancellationToken.None);
        await Task.WhenAll((Task)handled, replied);

        var task = await tasks.GetAsync(TestData.UkClinicId, taskId, CancellationToken.None);
        Assert.Contains("second", task!.Replies);
        Assert.False(task.Open);
    }
}
