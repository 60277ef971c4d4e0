namespace MissedCallFunctions.Tests.Infrastructure;

public static class AsyncList
{
    /// <summary>Collects an async sequence (named apart from ToListAsync, which two referenced assemblies both define).</summary>
    public static async Task<List<T>> CollectAsync<T>(this IAsyncEnumerable<T> source)
    {
        var list = new List<T>();
        await foreach (var item in source)
        {
            list.Add(item);
        }

        return list;
    }
}
