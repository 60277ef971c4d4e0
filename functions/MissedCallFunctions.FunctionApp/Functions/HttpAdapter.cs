using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;

namespace MissedCallFunctions.FunctionApp.Functions;

/// <summary>Runs a Core handler's <see cref="IResult"/> on the Functions host's ASP.NET Core response.</summary>
internal static class HttpAdapter
{
    public static async Task<IActionResult> RunAsync(HttpRequest request, Task<IResult> handler)
    {
        await (await handler).ExecuteAsync(request.HttpContext);
        return new EmptyResult();
    }
}
