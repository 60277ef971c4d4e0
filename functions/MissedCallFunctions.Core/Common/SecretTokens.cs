using System.Security.Cryptography;
using System.Text;

namespace MissedCallFunctions.Common;

/// <summary>Comparing a presented secret (token, key, shared secret) with the configured ones without leaking anything by timing.</summary>
public static class SecretTokens
{
    /// <summary>
    /// Whether <paramref name="presented"/> equals one of <paramref name="valid"/> (several allow rotation). Every candidate is
    /// compared, through SHA-256 so lengths do not leak either, and the time taken does not depend on where they differ.
    /// Empty values never match.
    /// </summary>
    public static bool Matches(string? presented, IEnumerable<string?> valid)
    {
        ArgumentNullException.ThrowIfNull(valid);
        var presentedHash = SHA256.HashData(Encoding.UTF8.GetBytes(presented ?? string.Empty));
        var match = false;
        foreach (var candidate in valid)
        {
            if (string.IsNullOrEmpty(candidate))
            {
                continue;
            }

            match |= CryptographicOperations.FixedTimeEquals(presentedHash, SHA256.HashData(Encoding.UTF8.GetBytes(candidate)));
        }

        return match && !string.IsNullOrEmpty(presented);
    }

    public static bool Matches(string? presented, string? expected) => Matches(presented, [expected]);
}
