using System.Buffers.Text;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using MissedCallFunctions.Clinics;
using MissedCallFunctions.Common;
using MissedCallFunctions.Recovery;
using Microsoft.Extensions.Options;

namespace MissedCallFunctions.Staff;

public enum TaskLinkCheck
{
    Valid,
    Expired,
    Invalid,
}

/// <summary>
/// Links to one callback task for staff alert texts: the task's page on the dashboard host, signed and expiring, so a
/// receptionist can open it from the text and mark it handled without the clinic's dashboard token ever being put in an
/// SMS. The signature is an HMAC keyed by the clinic's dashboard token (rotating the token revokes its links) over the
/// clinic, the task and the expiry; a link opens that one task and nothing else.
/// </summary>
public sealed class TaskLinks(IOptions<RecoveryOptions> options, TimeProvider time)
{
    /// <summary>The link, or null when none can be made (no <c>Recovery:TaskLinkBase</c>, or the clinic has no dashboard token).</summary>
    public string? For(ClinicConfig clinic, string taskId) => For(clinic, taskId, time.GetUtcNow() + options.Value.TaskLinkLifetime);

    public string? For(ClinicConfig clinic, string taskId, DateTimeOffset expires)
    {
        var baseUrl = options.Value.TaskLinkBase;
        if (string.IsNullOrWhiteSpace(baseUrl) || clinic.DashboardTokens.Count == 0)
        {
            return null;
        }

        var exp = expires.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        return $"{baseUrl.TrimEnd('/')}/api/dashboard/{Uri.EscapeDataString(clinic.Id)}/task/{Uri.EscapeDataString(taskId)}"
               + $"?exp={exp}&sig={Sign(clinic.DashboardTokens[0], clinic.Id, taskId, exp)}";
    }

    /// <summary>What to say in an alert: the link when there is one, otherwise the task's id for the staff board.</summary>
    public string Describe(ClinicConfig clinic, string taskId) => For(clinic, taskId) ?? $"task {taskId}";

    public TaskLinkCheck Verify(ClinicConfig clinic, string taskId, string? exp, string? sig)
    {
        if (string.IsNullOrEmpty(exp) || string.IsNullOrEmpty(sig) || exp.Length > 12 || sig.Length > 64
            || !long.TryParse(exp, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds))
        {
            return TaskLinkCheck.Invalid;
        }

        // Any of the clinic's current tokens: links signed before a rotation keep working until that token is removed.
        var expected = clinic.DashboardTokens.Select(token => Sign(token, clinic.Id, taskId, exp));
        if (!SecretTokens.Matches(sig, expected.ToList()))
        {
            return TaskLinkCheck.Invalid;
        }

        return DateTimeOffset.FromUnixTimeSeconds(Math.Min(seconds, 253402300799)) < time.GetUtcNow() ? TaskLinkCheck.Expired : TaskLinkCheck.Valid;
    }

    private static string Sign(string token, string clinicId, string taskId, string exp)
    {
        var key = SHA256.HashData(Encoding.UTF8.GetBytes("missedcall-task-link|" + token));
        var mac = HMACSHA256.HashData(key, Encoding.UTF8.GetBytes($"{clinicId}\n{taskId}\n{exp}"));
        return Base64Url.EncodeToString(mac.AsSpan(0, 16));
    }
}
