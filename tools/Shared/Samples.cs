namespace MissedCallFunctions.Tools;

/// <summary>Latency samples in milliseconds; a lost sample counts as +infinity so percentiles never flatter a run with losses.</summary>
public sealed class Samples
{
    private readonly List<double> _values = [];
    private readonly Lock _gate = new();

    public void Add(double milliseconds)
    {
        lock (_gate)
        {
            _values.Add(milliseconds);
        }
    }

    public void AddLost() => Add(double.PositiveInfinity);

    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _values.Count;
            }
        }
    }

    /// <summary>Nearest-rank percentile (p in 0..100); NaN when empty.</summary>
    public double Percentile(double p)
    {
        double[] sorted;
        lock (_gate)
        {
            sorted = [.. _values];
        }

        if (sorted.Length == 0)
        {
            return double.NaN;
        }

        Array.Sort(sorted);
        var rank = (int)Math.Ceiling(p / 100.0 * sorted.Length);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Length - 1)];
    }

    public double Max => Percentile(100);

    public double Mean
    {
        get
        {
            lock (_gate)
            {
                var finite = _values.Where(double.IsFinite).ToList();
                return finite.Count == 0 ? double.NaN : finite.Average();
            }
        }
    }
}
