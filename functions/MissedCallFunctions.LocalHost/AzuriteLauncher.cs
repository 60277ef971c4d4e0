using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace MissedCallFunctions.LocalHost;

/// <summary>
/// Starts the repository's pinned Azurite (npm) on loopback when no storage is configured, so one command runs the
/// whole stack on a fresh machine. Installs it with <c>npm ci</c> first when needed.
/// </summary>
public sealed class AzuriteLauncher : IAsyncDisposable
{
    private const string AccountKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";
    private readonly Process _process;

    private AzuriteLauncher(Process process, int blobPort, int queuePort, int tablePort)
    {
        _process = process;
        BlobPort = blobPort;
        QueuePort = queuePort;
        TablePort = tablePort;
    }

    public int BlobPort { get; }

    public int QueuePort { get; }

    public int TablePort { get; }

    public string ConnectionString => ConnectionStringFor(BlobPort, QueuePort, TablePort);

    public int ProcessId => _process.Id;

    public static string ConnectionStringFor(int blobPort, int queuePort, int tablePort) =>
        "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;" +
        $"AccountKey={AccountKey};" +
        $"BlobEndpoint=http://127.0.0.1:{blobPort}/devstoreaccount1;" +
        $"QueueEndpoint=http://127.0.0.1:{queuePort}/devstoreaccount1;" +
        $"TableEndpoint=http://127.0.0.1:{tablePort}/devstoreaccount1;";

    /// <param name="dataDirectory">Where Azurite keeps its data (survives restarts); null keeps it in memory.</param>
    /// <param name="preferredPorts">Blob, queue and table ports to use when free; otherwise free ports are picked.</param>
    public static async Task<AzuriteLauncher> StartAsync(string? dataDirectory, (int Blob, int Queue, int Table)? preferredPorts,
        Action<string>? log = null, CancellationToken cancellationToken = default)
    {
        var root = FindRepositoryRoot() ?? throw new InvalidOperationException(
            "Cannot find the repository's package.json (which pins Azurite). Run from the repository, or set Storage:ConnectionString.");
        var script = Path.Combine(root, "node_modules", "azurite", "dist", "src", "azurite.js");
        if (!File.Exists(script) || NodeModulesOutdated(root))
        {
            log?.Invoke("Installing the pinned npm tools (npm ci)...");
            await RunAsync("npm", "ci --no-audit --no-fund --loglevel=error", root, cancellationToken).ConfigureAwait(false);
        }

        (int Blob, int Queue, int Table) ports = preferredPorts is { } p && IsFree(p.Blob) && IsFree(p.Queue) && IsFree(p.Table)
            ? p
            : (FreePort(), FreePort(), FreePort());

        var args = new List<string>
        {
            script,
            "--blobHost", "127.0.0.1", "--blobPort", ports.Blob.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--queueHost", "127.0.0.1", "--queuePort", ports.Queue.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--tableHost", "127.0.0.1", "--tablePort", ports.Table.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--skipApiVersionCheck", "--loose", "--disableTelemetry",
        };
        if (dataDirectory is null)
        {
            args.Add("--inMemoryPersistence");
        }
        else
        {
            Directory.CreateDirectory(dataDirectory);
            args.AddRange(["--location", dataDirectory]);
        }

        var start = new ProcessStartInfo("node")
        {
            WorkingDirectory = root,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        args.ForEach(start.ArgumentList.Add);
        var process = Process.Start(start) ?? throw new InvalidOperationException("Could not start node for Azurite.");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        var launcher = new AzuriteLauncher(process, ports.Blob, ports.Queue, ports.Table);
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!(IsListening(ports.Blob) && IsListening(ports.Queue) && IsListening(ports.Table)))
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"Azurite exited at start-up with code {process.ExitCode}.");
            }

            if (DateTime.UtcNow > deadline)
            {
                await launcher.DisposeAsync().ConfigureAwait(false);
                throw new TimeoutException("Azurite did not start listening within 30 s.");
            }

            await Task.Delay(100, cancellationToken).ConfigureAwait(false);
        }

        log?.Invoke($"Azurite is running on 127.0.0.1 (blob {ports.Blob}, queue {ports.Queue}, table {ports.Table}).");
        return launcher;
    }

    /// <summary>The folder holding the package.json that pins Azurite, searched upwards from here and from the app.</summary>
    public static string? FindRepositoryRoot()
    {
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                var package = Path.Combine(dir.FullName, "package.json");
                if (File.Exists(package) && File.ReadAllText(package).Contains("\"azurite\"", StringComparison.Ordinal))
                {
                    return dir.FullName;
                }
            }
        }

        return null;
    }

    /// <summary>npm records what it installed in node_modules/.package-lock.json; older than the lockfile = stale.</summary>
    private static bool NodeModulesOutdated(string root)
    {
        var installed = Path.Combine(root, "node_modules", ".package-lock.json");
        return !File.Exists(installed) || File.GetLastWriteTimeUtc(installed) < File.GetLastWriteTimeUtc(Path.Combine(root, "package-lock.json"));
    }

    public static bool IsListening(int port)
    {
        try
        {
            using var client = new TcpClient();
            client.Connect(IPAddress.Loopback, port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static bool IsFree(int port) => !IsListening(port);

    private static async Task RunAsync(string file, string arguments, string directory, CancellationToken cancellationToken)
    {
        using var process = Process.Start(new ProcessStartInfo(file, arguments) { WorkingDirectory = directory, UseShellExecute = false })
                            ?? throw new InvalidOperationException($"Could not start {file}.");
        await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"'{file} {arguments}' failed with exit code {process.ExitCode}.");
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync().ConfigureAwait(false);
        }

        _process.Dispose();
    }
}
