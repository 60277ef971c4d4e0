using System.Globalization;
using System.Text;

namespace MissedCallFunctions.Reporting;

/// <summary>
/// The manager's morning text: aggregate figures of one clinic-local day and a link to the dashboard, nothing about
/// any caller. Plain ASCII so it stays in the GSM-7 alphabet (two segments at most).
/// </summary>
public static class DailySummaryText
{
    /// <summary>The composed text stays under this many characters with any realistic dashboard link.</summary>
    public const int MaxLength = 300;

    /// <summary>Longer clinic names are cut, so the figures and the link always fit.</summary>
    public const int MaxNameLength = 40;

    /// <param name="dashboardLink">The dashboard URL with the clinic's token; null leaves the link out.</param>
    /// <remarks>
    /// The clinic name gives way (cut, at worst left out) so the figures and the link fit in <see cref="MaxLength"/>;
    /// only a link of more than about 200 characters can push the text over it.
    /// </remarks>
    public static string Compose(string clinicName, DateOnly day, ClinicReport report, string? dashboardLink)
    {
        ArgumentNullException.ThrowIfNull(clinicName);
        ArgumentNullException.ThrowIfNull(report);
        var funnel = report.Funnel;
        var text = new StringBuilder(MaxLength);
        text.Append(CultureInfo.InvariantCulture,
            $"{day:ddd d MMM}: {Count(funnel.Missed, "missed call")}, {funnel.Texted} texted, {funnel.Replied} replied, {funnel.Booked} booked");
        text.Append(CultureInfo.InvariantCulture, $" ({report.Revenue.Currency} {Money(report.Revenue.Recovered)}). ");
        if (report.Tasks.Open == 0)
        {
            text.Append("No open tasks.");
        }
        else
        {
            text.Append(CultureInfo.InvariantCulture, $"{Count(report.Tasks.Open, "open task")}");
            if (report.Tasks.Overdue > 0)
            {
                text.Append(CultureInfo.InvariantCulture, $" ({report.Tasks.Overdue} overdue)");
            }

            text.Append('.');
        }

        if (!string.IsNullOrEmpty(dashboardLink))
        {
            text.Append(" Dashboard: ").Append(dashboardLink);
        }

        var name = clinicName.Trim();
        var room = Math.Clamp(MaxLength - text.Length - 2, 0, MaxNameLength);
        if (name.Length > room)
        {
            name = name[..room].TrimEnd();
        }

        return name.Length == 0 ? text.ToString() : text.Insert(0, name + ", ").ToString();
    }

    private static string Count(int count, string noun) => string.Create(CultureInfo.InvariantCulture, $"{count} {noun}{(count == 1 ? string.Empty : "s")}");

    /// <summary>Whole amounts without decimals (180), others with two (180.50), thousands separated (1,050).</summary>
    private static string Money(decimal amount)
        => amount.ToString(decimal.Truncate(amount) == amount ? "#,0" : "#,0.00", CultureInfo.InvariantCulture);
}
