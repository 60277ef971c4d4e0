using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace MissedCallFunctions.Bench;

/// <summary>
/// Opt-in (--trace-storage): every outgoing HTTP call of this process (the pipeline's and the Durable engine's Azure SDK
/// clients, the SMS client) seen through System.Net.Http's diagnostics, grouped by Azurite service, resource and method,
/// with its client-side latency. Tells how many storage round trips one recovery costs and which ones are slow.
/// </summary>
public sealed partial class StorageTrace : IObserver<DiagnosticListener>, IObserver<KeyValuePair<string, object?>>, IDisposable
{
    private readonly Dictionary<int, string> _ports;
    private readonly string[] _runIds;
    private readonly ConcurrentDictionary<string, Samples> _calls = new(StringComparer.Ordinal);
    private readonly List<IDisposable> _subscriptions = [];
    private volatile bool _on;

    public StorageTrace(BenchStack stack, params string[] runIds)
    {
        _ports = new Dictionary<int, string>
        {
            [stack.Azurite.BlobPort] = "blob",
            [stack.Azurite.QueuePort] = "queue",
            [stack.Azurite.TablePort] = "table",
            [stack.BaseAddress.Port] = "host",
        };
        _runIds = runIds;
        _subscriptions.Add(DiagnosticListener.AllListeners.Subscribe(this));
    }

    public void Start()
    {
        _calls.Clear();
        _on = true;
    }

    public void Stop() => _on = false;

    /// <summary>The calls seen between Start and Stop, most frequent first; per-recovery counts when <paramref name="recoveries"/> &gt; 0.</summary>
    public Table ToTable(string title, int recoveries)
    {
        var t = new Table(title, "service", "call", "count", recoveries > 0 ? "per recovery" : "-", "p50", "p99", "total time");
        foreach (var (key, samples) in _calls.OrderByDescending(c => c.Value.Count))
        {
            var parts = key.Split('|');
            var total = samples.Mean * samples.Count;
            t.Row(parts[0], parts[1], Fmt.Int(samples.Count),
                recoveries > 0 ? (samples.Count / (double)recoveries).ToString("0.0", CultureInfo.InvariantCulture) : "-",
                Fmt.Ms(samples.Percentile(50)), Fmt.Ms(samples.Percentile(99)), (total / 1000).ToString("0.0", CultureInfo.InvariantCulture) + " s");
        }

        var storage = _calls.Where(c => c.Key.StartsWith("blob|", StringComparison.Ordinal) || c.Key.StartsWith("queue|", StringComparison.Ordinal)
                                        || c.Key.StartsWith("table|", StringComparison.Ordinal)).Sum(c => c.Value.Count);
        t.Note(recoveries > 0
            ? string.Create(CultureInfo.InvariantCulture, $"Azurite calls: {storage:N0} in all, {storage / (double)recoveries:0.0} per recovery ({recoveries} recoveries); client-side latency (includes queueing in this process and in Azurite's single event loop)")
            : string.Create(CultureInfo.InvariantCulture, $"Azurite calls: {storage:N0}"));
        t.Note("Names are normalized: run ids removed, keys in parentheses dropped. Polls of empty queues are included.");
        return t;
    }

    public void OnNext(DiagnosticListener value)
    {
        if (value.Name == "HttpHandlerDiagnosticListener")
        {
            lock (_subscriptions)
            {
                _subscriptions.Add(value.Subscribe(this, (name, _, _) => name.StartsWith("System.Net.Http.HttpRequestOut", StringComparison.Ordinal)));
            }
        }
    }

    public void OnNext(KeyValuePair<string, object?> value)
    {
        if (!_on || value.Key != "System.Net.Http.HttpRequestOut.Stop" || Activity.Current is not { } activity)
        {
            return;
        }

        if (value.Value?.GetType().GetProperty("Request")?.GetValue(value.Value) is not HttpRequestMessage { RequestUri: { } uri } request)
        {
            return;
        }

        var service = _ports.TryGetValue(uri.Port, out var s) ? s : "other:" + uri.Port.ToString(CultureInfo.InvariantCulture);
        var key = service + "|" + Describe(service, request.Method.Method, uri);
        _calls.GetOrAdd(key, _ => new Samples()).Add(activity.Duration.TotalMilliseconds);
    }

    private string Describe(string service, string method, Uri uri)
    {
        var path = Uri.UnescapeDataString(uri.AbsolutePath);
        foreach (var id in _runIds)
        {
            path = path.Replace(id, "*", StringComparison.OrdinalIgnoreCase);
        }

        path = path.Replace("/devstoreaccount1", string.Empty, StringComparison.Ordinal);
        path = Parentheses().Replace(path, "()");
        path = MessageId().Replace(path, "/messages/{id}");
        if (service == "blob")
        {
            // Lease blobs: keep the container, not the blob name.
            var slash = path.IndexOf('/', 1);
            path = slash > 0 ? path[..slash] + "/..." : path;
        }
        else if (service == "host")
        {
            path = path.StartsWith("/api/calls/", StringComparison.Ordinal) ? "/api/calls/{provider}" : path;
        }

        var query = uri.Query;
        var comp = CompParam().Match(query);
        var suffix = comp.Success ? "?comp=" + comp.Groups[1].Value : query.Contains("popreceipt", StringComparison.OrdinalIgnoreCase) ? "?popreceipt" : string.Empty;
        var filter = query.Contains("%24filter", StringComparison.OrdinalIgnoreCase) || query.Contains("$filter", StringComparison.Ordinal) ? " (query)" : string.Empty;
        return $"{method} {path}{suffix}{filter}";
    }

    [GeneratedRegex(@"\([^)]*\)")]
    private static partial Regex Parentheses();

    [GeneratedRegex(@"/messages/[^/?]+")]
    private static partial Regex MessageId();

    [GeneratedRegex(@"comp=([a-z]+)", RegexOptions.IgnoreCase)]
    private static partial Regex CompParam();

    public void OnCompleted()
    {
    }

    public void OnError(Exception error)
    {
    }

    public void Dispose()
    {
        lock (_subscriptions)
        {
            _subscriptions.ForEach(s => s.Dispose());
            _subscriptions.Clear();
        }
    }
}
