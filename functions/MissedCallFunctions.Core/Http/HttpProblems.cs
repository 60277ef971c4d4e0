using Microsoft.AspNetCore.Http;

namespace MissedCallFunctions.Http;

/// <summary>RFC 9457 problem details for every refusal, so providers and operators see why.</summary>
public static class HttpProblems
{
    public static IResult Problem(int status, string title, string detail, IDictionary<string, object?>? extensions = null)
        => Results.Problem(detail: detail, statusCode: status, title: title, type: $"https://httpstatuses.io/{status}", extensions: extensions);
}
