using System.Security.Cryptography;
using System.Text;

namespace MissedCallFunctions.Simulation;

/// <summary>What a simulated patient says.</summary>
public enum PatientIntent
{
    Book,
    CallMe,
    Question,
    Stop,
}

/// <summary>
/// How simulated patients answer, from the reply-by-response-time figures practices report (product.md): a reply to
/// the first text within 2 minutes 55-60%, 2-10 minutes 40-45%, 10-30 minutes 25-30%, later 10-15%; a follow-up adds
/// 15-20% around half an hour. Each patient's dice are seeded by the run's seed and their number, so two runs of the
/// same log (what-if) meet the same patients, and only the configuration makes a difference.
/// </summary>
public sealed class PatientModel(int seed)
{
    /// <summary>The share of patients who reply to a text that reaches them this long after their call.</summary>
    public static double ReplyChance(TimeSpan sinceCall) => sinceCall.TotalMinutes switch
    {
        < 2 => 0.575,
        < 10 => 0.425,
        <= 30 => 0.275,
        _ => 0.125,
    };

    /// <summary>A later text (a follow-up) only wins over some of those who ignored the first.</summary>
    public const double FollowUpFactor = 0.6;

    /// <summary>Whether this patient replies to their <paramref name="textNumber"/>-th text (1 = the text-back).</summary>
    public bool Replies(string phone, int textNumber, TimeSpan sinceCall)
        => Dice(phone, $"reply-{textNumber}") < ReplyChance(sinceCall) * (textNumber == 1 ? 1.0 : FollowUpFactor);

    public PatientIntent Intent(string phone)
    {
        var roll = Dice(phone, "intent");
        return roll < 0.55 ? PatientIntent.Book : roll < 0.80 ? PatientIntent.CallMe : roll < 0.92 ? PatientIntent.Question : PatientIntent.Stop;
    }

    /// <summary>How long a patient takes to type, in the simulated clock: 20 s to 4 min.</summary>
    public TimeSpan TypingTime(string phone, int textNumber) => TimeSpan.FromSeconds(20 + 220 * Dice(phone, $"typing-{textNumber}"));

    public static string Words(PatientIntent intent) => intent switch
    {
        PatientIntent.Book => "Yes please, I'd like to book",
        PatientIntent.CallMe => "Can you call me back please",
        PatientIntent.Question => "Do you take new patients?",
        _ => "STOP",
    };

    private double Dice(string phone, string what)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes($"{seed}|{phone}|{what}"));
        return BitConverter.ToUInt32(hash, 0) / (double)uint.MaxValue;
    }
}
