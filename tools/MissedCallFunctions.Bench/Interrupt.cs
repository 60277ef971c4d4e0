using System.Diagnostics;
using System.Runtime.InteropServices;

namespace MissedCallFunctions.Bench;

/// <summary>
/// Ctrl+C (or SIGTERM) once: stop waiting, report what was measured so far, stop the stack. Twice: kill this run's
/// Azurite (a child process that would otherwise outlive us) and exit at once.
/// </summary>
public static class Interrupt
{
    private static readonly CancellationTokenSource Source = new();
    private static readonly List<PosixSignalRegistration> Registrations = [];
    private static int _azuritePid;
    private static int _secondPid;

    public static CancellationToken Token => Source.Token;

    public static bool Requested => Source.IsCancellationRequested;

    public static void Install()
    {
        foreach (var signal in new[] { PosixSignal.SIGINT, PosixSignal.SIGTERM })
        {
            Registrations.Add(PosixSignalRegistration.Create(signal, OnSignal));
        }
    }

    /// <summary>The Azurite child of this run, killed on a second interrupt.</summary>
    public static void Track(int azuritePid) => Volatile.Write(ref _azuritePid, azuritePid);

    /// <summary>A second Azurite (the Durable task hub's), killed with the first.</summary>
    public static void TrackSecond(int azuritePid) => Volatile.Write(ref _secondPid, azuritePid);

    private static void OnSignal(PosixSignalContext context)
    {
        context.Cancel = true;
        if (!Source.IsCancellationRequested)
        {
            Console.Error.WriteLine("Interrupted: reporting what was measured so far (interrupt again to quit at once).");
            Source.Cancel();
            return;
        }

        foreach (var pid in new[] { Volatile.Read(ref _azuritePid), Volatile.Read(ref _secondPid) }.Where(p => p > 0))
        {
            try
            {
                using var azurite = Process.GetProcessById(pid);
                azurite.Kill(entireProcessTree: true);
            }
            catch (ArgumentException)
            {
                // Already gone.
            }
            catch (InvalidOperationException)
            {
                // Already gone.
            }
        }

        Environment.Exit(130);
    }
}
