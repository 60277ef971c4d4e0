using System.Text.Json;

namespace MissedCallFunctions.LocalHost.SmsSandbox;

/// <summary>
/// A page for people trying the local stack: every sandbox phone's thread, and a box to reply as that phone. The
/// reply travels like a real one: an ACS SMSReceived event posted to the inbound webhook.
/// </summary>
public static class SandboxPage
{
    public sealed record ReplyBody(string From, string To, string Text);

    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapGet("/sandbox", () => Results.Content(Html, "text/html; charset=utf-8")).ExcludeFromDescription();
        app.MapPost("/sandbox/reply", (ReplyBody body, SmsSandbox sandbox) =>
        {
            if (string.IsNullOrWhiteSpace(body.From) || string.IsNullOrWhiteSpace(body.To) || string.IsNullOrWhiteSpace(body.Text) || body.Text.Length > 1600)
            {
                return Results.Problem(statusCode: 400, title: "Invalid reply", detail: "from, to and text (1-1600 characters) are required.");
            }

            var message = sandbox.Reply(body.From.Trim(), body.To.Trim(), body.Text);
            return Results.Json(message, new JsonSerializerOptions(JsonSerializerDefaults.Web), statusCode: 201);
        }).ExcludeFromDescription();
    }

    private const string Html = """
<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>SMS sandbox - MissedCallFunctions</title>
<style>
 body{font-family:system-ui,sans-serif;margin:0;background:#f4f5f7;color:#1d2433}
 header{background:#1d4ed8;color:#fff;padding:12px 16px} h1{font-size:18px;margin:0}
 main{display:flex;gap:16px;padding:16px;flex-wrap:wrap} #phones{min-width:220px} .phone{display:block;width:100%;text-align:left;margin:4px 0;padding:8px;border:1px solid #cbd2e1;background:#fff;border-radius:6px;cursor:pointer}
 .phone.active{border-color:#1d4ed8;background:#e8efff} #thread{flex:1;min-width:300px;background:#fff;border-radius:8px;padding:12px;border:1px solid #cbd2e1}
 .msg{max-width:80%;padding:8px 10px;margin:6px 0;border-radius:12px;white-space:pre-wrap} .out{background:#e8efff} .in{background:#d9f7e6;margin-left:auto}
 .meta{font-size:11px;color:#5b6478} form{display:flex;gap:8px;margin-top:12px} input{flex:1;padding:8px;border:1px solid #cbd2e1;border-radius:6px} button.send{padding:8px 14px;background:#1d4ed8;color:#fff;border:0;border-radius:6px}
</style></head><body>
<header><h1>SMS sandbox: texts the pipeline sent, and replies as the patient</h1></header>
<main><section id="phones"><em>No texts yet. Post a missed call to /api/calls/{provider}.</em></section>
<section id="thread"><em>Pick a phone.</em></section></main>
<script>
let current = null, clinicNumber = null;
async function load() {
  const all = await (await fetch('/messages')).json();
  const phones = [...new Set(all.map(m => m.direction === 'Outbound' ? m.to : m.from))];
  const list = document.getElementById('phones');
  if (phones.length) {
    list.innerHTML = '';
    for (const p of phones) {
      const b = document.createElement('button'); b.className = 'phone' + (p === current ? ' active' : ''); b.textContent = p;
      b.onclick = () => { current = p; load(); }; list.appendChild(b);
    }
  }
  if (!current) return;
  const thread = all.filter(m => (m.direction === 'Outbound' ? m.to : m.from) === current);
  const last = thread.filter(m => m.direction === 'Outbound').pop(); clinicNumber = last ? last.from : clinicNumber;
  const box = document.getElementById('thread'); box.innerHTML = '';
  for (const m of thread) {
    const d = document.createElement('div'); d.className = 'msg ' + (m.direction === 'Outbound' ? 'out' : 'in');
    d.textContent = m.body; const meta = document.createElement('div'); meta.className = 'meta';
    meta.textContent = (m.direction === 'Outbound' ? 'from ' + m.from : 'you') + ' - ' + new Date(m.timestamp).toLocaleTimeString(); d.appendChild(meta); box.appendChild(d);
  }
  const f = document.createElement('form');
  f.innerHTML = '<input name="text" placeholder="Reply as ' + current + '" autocomplete="off"><button class="send">Send</button>';
  f.onsubmit = async e => { e.preventDefault(); const text = f.text.value; if (!text) return;
    await fetch('/sandbox/reply', {method:'POST', headers:{'content-type':'application/json'}, body: JSON.stringify({from: current, to: clinicNumber, text})}); load(); };
  box.appendChild(f);
}
load(); setInterval(() => { if (document.activeElement?.name !== 'text') load(); }, 2000);
</script></body></html>
""";
}
