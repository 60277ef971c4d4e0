using System.Net;
using MissedCallFunctions.Http;

namespace MissedCallFunctions.LocalHost.SmsSandbox;

/// <summary>
/// The sandbox's routes (its ACS and Twilio APIs, the message list, the page and its reply form) carry full numbers and
/// message bodies and can inject texts "from" any number: they answer this machine only, even when the local host is
/// made to listen on other interfaces.
/// </summary>
public sealed class SandboxLoopbackMiddleware(RequestDelegate next)
{
    public Task InvokeAsync(HttpContext context)
    {
        var path = context.Request.Path;
        if (path.StartsWithSegments("/api", StringComparison.OrdinalIgnoreCase) || path.StartsWithSegments("/health", StringComparison.OrdinalIgnoreCase)
            || IsLoopback(context.Connection.RemoteIpAddress))
        {
            return next(context);
        }

        return HttpProblems.Problem(403, "Sandbox is local only", "The SMS sandbox answers requests from this machine only.").ExecuteAsync(context);
    }

    // A null address is an in-process test server, which is this machine too.
    private static bool IsLoopback(IPAddress? address) => address is null || IPAddress.IsLoopback(address);
}
