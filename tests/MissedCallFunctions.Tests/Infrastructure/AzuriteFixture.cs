using MissedCallFunctions.LocalHost;

namespace MissedCallFunctions.Tests.Infrastructure;

/// <summary>
/// One Azurite per test run, in memory, on free loopback ports (installed with npm ci when missing), shared by every
/// test class and stopped when the test process exits. Set AZURITE_CONNECTION_STRING to use one already running.
/// Tests isolate themselves with unique table prefixes and queue names.
/// </summary>
public static class AzuriteServer
{
    private static readonly Lazy<Task<string>> Started = new(StartAsync);

    public static Task<string> ConnectionStringAsync() => Started.Value;

    /// <summary>The launched instance (null when an external Azurite is used).</summary>
    public static AzuriteLauncher? Launcher { get; private set; }

    /// <summary>A table prefix / queue name no other test uses.</summary>
    public static string UniqueName(string prefix) => prefix + Guid.NewGuid().ToString("N")[..10];

    private static async Task<string> StartAsync()
    {
        var existing = Environment.GetEnvironmentVariable("AZURITE_CONNECTION_STRING");
        if (!string.IsNullOrWhiteSpace(existing))
        {
            return existing;
        }

        Launcher = await AzuriteLauncher.StartAsync(dataDirectory: null, preferredPorts: null);
        AppDomain.CurrentDomain.ProcessExit += (_, _) => Launcher.DisposeAsync().AsTask().GetAwaiter().GetResult();
        return Launcher.ConnectionString;
    }
}
