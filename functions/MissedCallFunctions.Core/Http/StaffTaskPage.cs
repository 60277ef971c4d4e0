using System.Globalization;
using System.Text;
using MissedCallFunctions.Clinics;
using MissedCallFunctions.Staff;
using static System.Net.WebUtility;

namespace MissedCallFunctions.Http;

/// <summary>
/// The page a staff alert's link opens: one callback task, the caller's number to tap, what they wrote, and a Handled
/// button. Plain HTML and a form post, so it works on any phone browser with no script.
/// </summary>
public static class StaffTaskPage
{
    /// <param name="query">The link's query string (expiry and signature), carried into the form's action.</param>
    public static string Render(ClinicConfig clinic, StaffTask task, string query, DateTimeOffset now)
    {
        string Local(DateTimeOffset at) => ClinicCalendar.ToLocal(clinic, at).ToString("ddd d MMM HH:mm", CultureInfo.InvariantCulture);
        var html = new StringBuilder();
        html.Append(CultureInfo.InvariantCulture, $"""
            <!doctype html>
            <html lang="en">
            <head>
              <meta charset="utf-8">
              <meta name="viewport" content="width=device-width, initial-scale=1">
              <title>Callback task - {HtmlEncode(clinic.Name)}</title>
              <link rel="icon" href="data:,">
              <link rel="stylesheet" href="../../assets/dashboard.css">
            </head>
            <body>
              <header><h1>{HtmlEncode(clinic.Name)}</h1><p class="sub">Callback task</p></header>
              <main>
                <section class="card" id="task" data-open="{(task.Open ? "true" : "false")}">
                  <h2>{HtmlEncode(task.CallerName ?? "Missed caller")}{(task.Urgent ? " <span class=\"tag urgent\">urgent</span>" : string.Empty)}{(task.Open && task.DueAt < now ? " <span class=\"tag overdue\">overdue</span>" : string.Empty)}</h2>
            """);
        html.Append(task.CallerNumber is { } number
            ? $"""      <p class="who"><a id="call" href="tel:{HtmlEncode(number)}">{HtmlEncode(number)}</a></p>"""
            : """      <p class="who">Number withheld</p>""");
        html.Append(CultureInfo.InvariantCulture, $"""

                  <p>{HtmlEncode(task.Reason)}</p>
                  <p class="hint">Called {task.CallCount} time{(task.CallCount == 1 ? string.Empty : "s")}. Task opened {Local(task.CreatedAt)}, due {Local(task.DueAt)} ({HtmlEncode(clinic.TimeZone)}).</p>
            """);
        if (task.Replies.Count > 0)
        {
            html.Append("      <h3>What they wrote</h3>\n      <ol class=\"thread\">\n");
            foreach (var reply in task.Replies.TakeLast(5))
            {
                html.Append(CultureInfo.InvariantCulture, $"        <li class=\"in\">{HtmlEncode(reply)}</li>\n");
            }

            html.Append("      </ol>\n");
        }

        html.Append(task.Open
            ? $"""
                  <form method="post" action="{HtmlEncode(Uri.EscapeDataString(task.TaskId))}/handled{HtmlEncode(query)}">
                    <label>Your name <input name="by" maxlength="60" autocomplete="name"></label>
                    <button class="handled" type="submit">Handled</button>
                  </form>
            """
            : $"""
                  <p id="handled">Handled{(task.HandledBy is { } by ? " by " + HtmlEncode(by) : string.Empty)}{(task.HandledAt is { } at ? ", " + Local(at) : string.Empty)}.</p>
            """);
        html.Append("""

                </section>
              </main>
            </body>
            </html>
            """);
        return html.ToString();
    }
}
