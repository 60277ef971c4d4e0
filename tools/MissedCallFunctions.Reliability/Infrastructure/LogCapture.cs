using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace MissedCallFunctions.Reliability.Infrastructure;

/// <summary>One log line as the host wrote it: what an operator or a log pipeline would keep.</summary>
public sealed record CapturedLog(string Host, string Category, LogLevel Level, int EventId, string Message, string? Exception)
{
    public string Text => Exception is null ? Message : Message + Environment.NewLine + Exception;
}

/// <summary>A logger provider that keeps every line the host's logging filters let through (added with builder.Logging.AddProvider).</summary>
public sealed class LogCapture(string host) : ILoggerProvider
{
    private readonly ConcurrentQueue<CapturedLog> _lines = new();

    public IReadOnlyCollection<CapturedLog> Lines => _lines;

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    private sealed class Logger(LogCapture owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            // The formatted message plus every structured value (a sink such as Application Insights keeps those too).
            var message = formatter(state, exception);
            if (state is IReadOnlyList<KeyValuePair<string, object?>> values)
            {
                var extra = string.Join(" ", values.Where(v => v.Key != "{OriginalFormat}").Select(v => $"{v.Key}={v.Value}"));
                if (extra.Length > 0)
                {
                    message += " | " + extra;
                }
            }

            owner._lines.Enqueue(new CapturedLog(owner.HostName, category, logLevel, eventId.Id, message, exception?.ToString()));
        }
    }

    private string HostName => host;
}
