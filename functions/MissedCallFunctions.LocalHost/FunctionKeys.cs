using MissedCallFunctions.Common;
using MissedCallFunctions.Http;
using Microsoft.Extensions.Options;

namespace MissedCallFunctions.LocalHost;

/// <summary>
/// Enforces function keys the way the Functions host does (<c>x-functions-key</c> header or <c>code</c> query), so
/// local runs and tests exercise the same access rules as Azure.
/// </summary>
public sealed class FunctionKeyMiddleware(RequestDelegate next, IOptions<LocalHostOptions> options)
{
    public Task InvokeAsync(HttpContext context)
    {
        var path = context.Request.Path;
        // The dashboard is anonymous at the host, as in the Functions app: its handler checks the clinic's dashboard token.
        if (!path.StartsWithSegments("/api", StringComparison.OrdinalIgnoreCase) || path.StartsWithSegments("/api/dashboard", StringComparison.OrdinalIgnoreCase))
        {
            return next(context);
        }

        var presented = context.Request.Headers["x-functions-key"].FirstOrDefault() ?? context.Request.Query["code"].FirstOrDefault();
        var admin = path.StartsWithSegments("/api/admin", StringComparison.OrdinalIgnoreCase);
        var ok = presented is not null && (SecretTokens.Matches(presented, options.Value.AdminKey) || (!admin && SecretTokens.Matches(presented, options.Value.FunctionKey)));
        if (ok)
        {
            return next(context);
        }

        var problem = HttpProblems.Problem(401, "Key required",
            admin ? "Admin routes need the admin (master) key." : "Pass the function key in the x-functions-key header or the code query parameter.");
        return problem.ExecuteAsync(context);
    }
}
