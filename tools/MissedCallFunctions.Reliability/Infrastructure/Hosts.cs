using System.Diagnostics;
using System.Net;
using System.Runtime.InteropServices;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using MissedCallFunctions.LocalHost;
using MissedCallFunctions.LocalHost.SmsSandbox;

namespace MissedCallFunctions.Reliability.Infrastructure;

public static class Loopback
{
    /// <summary>An HTTP client for loopback load: many connections, no proxy.</summary>
    public static HttpClient Client(Uri baseAddress, TimeSpan? timeout = null) => new(new SocketsHttpHandler
    {
        MaxConnectionsPerServer = 256,
        UseProxy = false,
        PooledConnectionLifetime = TimeSpan.FromMinutes(5),
    })
    {
        BaseAddress = baseAddress,
        Timeout = timeout ?? TimeSpan.FromSeconds(30),
    };
}

/// <summary>Settings shared by in-process and child hosts of one scenario.</summary>
public sealed record HostSettings(string StorageConnectionString, Isolation Names, string ClinicsFile)
{
    /// <summary>Points the ACS channel at a standalone sandbox (outside the host) instead of the host's own.</summary>
    public string? AcsConnectionString { get; init; }

    public bool RunProcessor { get; init; } = true;

    public Dictionary<string, string?> Extra { get; init; } = new(StringComparer.OrdinalIgnoreCase);

    public Dictionary<string, string?> ToConfiguration()
    {
        var config = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase)
        {
            ["Storage:ConnectionString"] = StorageConnectionString,
            ["Storage:TablePrefix"] = Names.TablePrefix,
            ["CallEvents:QueueName"] = Names.QueueName,
            ["Durable:TaskHub"] = Names.TaskHub,
            ["LocalHost:FunctionKey"] = Sample.FunctionKey,
            ["LocalHost:RunDailySummary"] = "false",
            ["LocalHost:AdminKey"] = Sample.AdminKey,
            ["LocalHost:SeedClinicsFile"] = ClinicsFile,
            ["LocalHost:RunProcessor"] = RunProcessor ? "true" : "false",
            ["Ingest:PublicBaseUrl"] = Sample.PublicBaseUrl,
        };
        if (AcsConnectionString is not null)
        {
            config["Acs:ConnectionString"] = AcsConnectionString;
        }

        foreach (var (key, value) in Extra)
        {
            config[key] = value;
        }

        return config;
    }
}

/// <summary>The real local host (LocalHostApp) in this process on a free loopback port, its logs captured.</summary>
public sealed class InProcessHost : IAsyncDisposable
{
    private InProcessHost(string name, WebApplication app, Uri baseAddress, LogCapture logs)
    {
        Name = name;
        App = app;
        BaseAddress = baseAddress;
        Logs = logs;
        Http = Loopback.Client(baseAddress);
    }

    public string Name { get; }

    public WebApplication App { get; }

    public Uri BaseAddress { get; }

    public LogCapture Logs { get; }

    public HttpClient Http { get; }

    /// <summary>The host's own SMS sandbox (used when no standalone sandbox is configured).</summary>
    public SmsSandbox Sandbox => App.Services.GetRequiredService<SmsSandbox>();

    public static async Task<InProcessHost> StartAsync(string name, HostSettings settings)
    {
        var logs = new LogCapture(name);
        var config = settings.ToConfiguration();
        // The product's appsettings.json (copied next to this tool) sets the log levels, as in a real run of the local host.
        var app = await LocalHostApp.CreateAsync(["--contentRoot", AppContext.BaseDirectory], builder =>
        {
            builder.Configuration.AddInMemoryCollection(config);
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            builder.Logging.ClearProviders();
            builder.Logging.AddProvider(logs);
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new InProcessHost(name, app, new Uri(address), logs);
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        try
        {
            await App.StopAsync(stop.Token);
        }
        catch (OperationCanceledException)
        {
            Console.Error.WriteLine($"[{Name}] did not stop within 20 s.");
        }

        await App.DisposeAsync();
    }
}

/// <summary>The local host as a child process (dotnet MissedCallFunctions.LocalHost.dll), configured by environment, killable with SIGKILL.</summary>
public sealed class ChildHost : IDisposable
{
    private readonly Dictionary<string, string> _environment;
    private readonly string _logFile;
    private readonly List<TextWriter> _writers = [];
    private Process? _process;

    public ChildHost(HostSettings settings, int port, string logFile)
    {
        Port = port;
        _logFile = logFile;
        _environment = settings.ToConfiguration().Where(kv => kv.Value is not null)
            .ToDictionary(kv => kv.Key.Replace(":", "__", StringComparison.Ordinal), kv => kv.Value!);
        _environment["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}";
    }

    public int Port { get; }

    public Uri BaseAddress => new($"http://127.0.0.1:{Port}");

    public int Starts { get; private set; }

    public int? ProcessId => _process?.Id;

    /// <summary>Starts the host and waits for /health (the Durable engine and the tables are ready by then).</summary>
    public async Task<TimeSpan> StartAsync(TimeSpan timeout)
    {
        var started = Stopwatch.GetTimestamp();
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = AppContext.BaseDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "MissedCallFunctions.LocalHost.dll"));
        foreach (var (key, value) in _environment)
        {
            start.Environment[key] = value;
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("Could not start the local host.");
        Starts++;
        var generation = Starts;
        var writer = TextWriter.Synchronized(new StreamWriter(_logFile, append: true) { AutoFlush = true });
        _writers.Add(writer);
        writer.WriteLine($"---- start {generation} (pid {process.Id}) at {DateTimeOffset.UtcNow:O}");
        void Write(string? line)
        {
            try
            {
                if (line is not null)
                {
                    writer.WriteLine(line);
                }
            }
            catch (ObjectDisposedException)
            {
                // Output that arrives after the host was disposed.
            }
        }

        process.OutputDataReceived += (_, e) => Write(e.Data);
        process.ErrorDataReceived += (_, e) => Write(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process?.Dispose(); // the previous start, killed by now
        _process = process;

        using var probe = Loopback.Client(BaseAddress, TimeSpan.FromSeconds(2));
        var ok = await Wait.UntilAsync(async () =>
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"The local host exited at start-up with code {process.ExitCode} (log: {_logFile}).");
            }

            try
            {
                using var response = await probe.GetAsync("/health");
                return response.IsSuccessStatusCode;
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
                return false;
            }
        }, timeout, TimeSpan.FromMilliseconds(100));
        if (!ok)
        {
            throw new TimeoutException($"The local host did not answer /health within {timeout} (log: {_logFile}).");
        }

        return Stopwatch.GetElapsedTime(started);
    }

    /// <summary>SIGKILL: no graceful shutdown, in-flight work is lost mid-step.</summary>
    public async Task KillAsync()
    {
        if (_process is { HasExited: false } process)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
    }

    public void Dispose()
    {
        if (_process is { HasExited: false } process)
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
        }

        _process?.Dispose();
        foreach (var writer in _writers)
        {
            writer.Dispose();
        }
    }
}

/// <summary>The SMS sandbox on a Kestrel listener of its own (outside any host that a scenario kills).</summary>
public sealed class SandboxHost : IAsyncDisposable
{
    private readonly WebApplication _app;

    private SandboxHost(WebApplication app, SmsSandbox sandbox, Uri baseAddress)
    {
        _app = app;
        Sandbox = sandbox;
        BaseAddress = baseAddress;
    }

    public SmsSandbox Sandbox { get; }

    public Uri BaseAddress { get; }

    public string ConnectionString => Sandbox.Options.ConnectionStringFor(BaseAddress);

    public static async Task<SandboxHost> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { EnvironmentName = "Reliability" });
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));
        builder.Services.AddSmsSandbox();
        var app = builder.Build();
        SmsSandboxEndpoints.Map(app);
        await app.StartAsync();
        var address = new Uri(app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First());
        var sandbox = app.Services.GetRequiredService<SmsSandbox>();
        sandbox.Options.Port = address.Port;
        return new SandboxHost(app, sandbox, address);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

/// <summary>Signals for processes this tool started itself (by id).</summary>
public static class Signals
{
    private const int SigTerm = 15;

    /// <summary>Asks a process to stop (SIGTERM), as a service manager would.</summary>
    public static bool Terminate(int pid) => Kill(pid, SigTerm) == 0;

    public static bool IsAlive(int pid) => Kill(pid, 0) == 0;

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int Kill(int pid, int signal);
}
