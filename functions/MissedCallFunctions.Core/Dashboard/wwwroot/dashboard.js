// The practice manager's dashboard. The token comes from the page URL and goes to the API in a header only.
(function () {
  "use strict";

  const clinicId = document.body.dataset.clinic;
  const token = new URLSearchParams(location.search).get("token") || "";
  const base = "/api/dashboard/" + encodeURIComponent(clinicId);
  const weekdays = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
  const charts = {};
  let days = 30;

  const $ = (id) => document.getElementById(id);
  const testid = (id) => document.querySelector('[data-testid="' + id + '"]');

  async function api(path, options) {
    const response = await fetch(base + path, Object.assign({ headers: { "X-Dashboard-Token": token, "Content-Type": "application/json" } }, options || {}));
    if (!response.ok) {
      let detail = response.statusText;
      try { detail = (await response.json()).detail || detail; } catch (e) { /* not JSON */ }
      throw new Error(detail);
    }
    return response.json();
  }

  function showError(error) {
    const box = $("error");
    box.textContent = "Could not load the dashboard: " + error.message;
    box.hidden = false;
  }

  const pct = (rate) => (rate === null || rate === undefined ? "–" : Math.round(rate * 1000) / 10 + "%");
  const money = (value, currency) => new Intl.NumberFormat(undefined, { style: "currency", currency: currency, maximumFractionDigits: 0 }).format(value);
  const duration = (seconds) => {
    if (seconds === null || seconds === undefined) return "–";
    if (seconds === 0) return "under 1 s";
    if (seconds < 1) return Math.round(seconds * 1000) + " ms";
    if (seconds < 90) return (Math.round(seconds * 10) / 10) + " s";
    if (seconds < 5400) return Math.round(seconds / 60) + " min";
    return (Math.round(seconds / 360) / 10) + " h";
  };
  const when = (iso) => new Date(iso).toLocaleString(undefined, { weekday: "short", day: "numeric", month: "short", hour: "2-digit", minute: "2-digit" });

  function text(el, value) { el.textContent = value; return el; }

  function make(tag, className, content) {
    const el = document.createElement(tag);
    if (className) el.className = className;
    if (content !== undefined) el.textContent = content;
    return el;
  }

  function renderReport(r) {
    const f = r.funnel;
    text($("range-label"), r.from + " to " + r.to + " (" + r.timeZone + ")");
    text(testid("kpi-missed"), f.missed);
    text(testid("kpi-booked"), f.booked);
    text($("kpi-booked-rate"), pct(f.rates.booked) + " of eligible calls");
    text(testid("kpi-recovered"), money(r.revenue.recovered, r.revenue.currency));
    text($("kpi-lost"), "about " + money(r.revenue.lostEstimate, r.revenue.currency) + " lost");
    $("kpi-lost").title = r.revenue.basis;
    const l = r.textBackLatencyMs;
    text(testid("kpi-latency"), l.count ? duration(l.p50 / 1000) : "–");
    text($("kpi-latency-note"), l.count ? "p95 " + duration(l.p95 / 1000) + " · max " + duration(l.max / 1000) : "no texts yet");
    const fr = r.firstReplySeconds;
    text(testid("kpi-first-reply"), fr.count ? duration(fr.p50) : "–");
    text($("kpi-first-reply-note"), fr.count ? "median of " + fr.count + " replies · p95 " + duration(fr.p95) : "no replies yet");
    text(testid("kpi-open-tasks"), r.tasks.open);
    text($("kpi-overdue"), r.tasks.overdue + " overdue · " + r.tasks.urgent + " urgent");

    for (const stage of ["missed", "suppressed", "eligible", "texted", "delivered", "replied", "booked"]) {
      text(testid("funnel-" + stage), f[stage]);
    }
    for (const stage of ["texted", "delivered", "replied", "booked"]) {
      text(testid("rate-" + stage), pct(f.rates[stage]));
    }

    const reasons = $("suppressed-reasons");
    reasons.replaceChildren();
    const entries = Object.entries(r.suppressedByReason);
    if (!entries.length) reasons.append(make("li", null, "None in this period."));
    for (const [reason, count] of entries.sort((a, b) => b[1] - a[1])) {
      reasons.append(make("li", null, reason.replace(/-/g, " ") + ": " + count));
    }

    text($("ladder-counts"), r.followUps + " follow-up texts and " + r.escalations + " escalations to staff in this period.");
    text($("generated"), "updated " + new Date(r.generatedAt).toLocaleTimeString());

    renderFunnelChart(f);
    renderHeatmap(r.missedByWeekdayAndHour);
    renderDaysChart(r.days);
  }

  function renderFunnelChart(f) {
    const labels = ["Missed", "Eligible", "Texted", "Delivered", "Replied", "Booked"];
    const values = [f.missed, f.eligible, f.texted, f.delivered, f.replied, f.booked];
    if (charts.funnel) charts.funnel.destroy();
    charts.funnel = new Chart($("funnel-chart"), {
      type: "bar",
      data: { labels: labels, datasets: [{ data: values, backgroundColor: ["#9fb3c8", "#6c8ebf", "#0b6bcb", "#2f86d6", "#3fa27a", "#1a7f4b"], borderRadius: 6 }] },
      options: { indexAxis: "y", maintainAspectRatio: false, animation: false, plugins: { legend: { display: false } }, scales: { x: { beginAtZero: true, ticks: { precision: 0 } } } },
    });
  }

  function renderDaysChart(points) {
    if (charts.days) charts.days.destroy();
    charts.days = new Chart($("days-chart"), {
      type: "line",
      data: {
        labels: points.map((p) => p.day.slice(5)),
        datasets: [
          { label: "Missed", data: points.map((p) => p.missed), borderColor: "#9fb3c8", backgroundColor: "#9fb3c8", tension: 0.25, pointRadius: 0 },
          { label: "Replied", data: points.map((p) => p.replied), borderColor: "#3fa27a", backgroundColor: "#3fa27a", tension: 0.25, pointRadius: 0 },
          { label: "Booked", data: points.map((p) => p.booked), borderColor: "#1a7f4b", backgroundColor: "#1a7f4b", tension: 0.25, pointRadius: 0 },
        ],
      },
      options: { maintainAspectRatio: false, animation: false, interaction: { mode: "index", intersect: false }, scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } },
    });
  }

  function renderHeatmap(grid) {
    const table = $("heatmap");
    table.replaceChildren();
    const max = Math.max(1, ...grid.flat());
    const head = make("tr");
    head.append(make("th"));
    for (let h = 0; h < 24; h++) head.append(make("th", null, h % 3 === 0 ? String(h).padStart(2, "0") : ""));
    table.append(head);
    grid.forEach((row, d) => {
      const tr = make("tr");
      tr.append(make("th", null, weekdays[d]));
      row.forEach((count, h) => {
        const td = make("td", null, count ? String(count) : "");
        td.title = weekdays[d] + " " + String(h).padStart(2, "0") + ":00 – " + count + " missed";
        if (count) {
          const share = count / max;
          td.style.backgroundColor = "rgba(11, 107, 203, " + (0.15 + 0.85 * share).toFixed(2) + ")";
          td.style.color = share > 0.5 ? "#fff" : "#1d2733";
        }
        tr.append(td);
      });
      table.append(tr);
    });
  }

  function renderTasks(tasks) {
    const list = $("tasks");
    list.replaceChildren();
    $("tasks-empty").hidden = tasks.length > 0;
    for (const t of tasks) {
      const li = make("li");
      li.dataset.task = t.taskId;
      const who = make("div", "who");
      const number = t.callerNumber || "withheld number";
      if (t.callerNumber) {
        const call = make("a", null, (t.callerName ? t.callerName + " · " : "") + number);
        call.href = "tel:" + t.callerNumber;
        who.append(call);
      } else {
        who.append(make("span", null, number));
      }
      who.append(make("div", "hint", t.reason + " · " + when(t.createdAt) + (t.callCount > 1 ? " · called " + t.callCount + " times" : "")));
      const tags = make("div");
      if (t.urgent) tags.append(make("span", "tag urgent", "urgent"));
      if (t.overdue) tags.append(make("span", "tag overdue", "overdue"));
      const button = make("button", "handled", "Handled");
      button.type = "button";
      button.dataset.testid = "handle-" + t.taskId;
      button.addEventListener("click", async () => {
        button.disabled = true;
        try {
          await api("/tasks/" + encodeURIComponent(t.taskId) + "/handled", { method: "POST", body: JSON.stringify({ by: "dashboard" }) });
          li.remove();
          await refresh();
        } catch (e) { button.disabled = false; showError(e); }
      });
      tags.append(button);
      li.append(who, tags);
      list.append(li);
    }
  }

  function renderCalls(calls) {
    const list = $("calls");
    list.replaceChildren();
    if (!calls.length) list.append(make("li", "hint", "No missed calls in the last two weeks."));
    for (const c of calls) {
      const li = make("li");
      const left = make("div");
      left.append(make("strong", null, c.caller), make("div", "hint", when(c.occurredAt)));
      const right = make("div");
      if (!c.eligible) right.append(make("span", "tag", "not texted: " + c.reason.replace(/-/g, " ")));
      else {
        right.append(make("span", "tag", c.replied ? "replied" : c.delivered ? "delivered" : c.texted ? "texted" : "pending"));
        if (c.outcome) right.append(text(make("span", c.outcome === "Booked" ? "tag booked" : "tag"), c.outcome.replace(/([a-z])([A-Z])/g, "$1 $2").toLowerCase()));
      }
      li.append(left, right);
      li.addEventListener("click", () => openThread(c).catch(showError));
      list.append(li);
    }
  }

  async function openThread(c) {
    const thread = await api("/calls/" + encodeURIComponent(c.callId));
    text($("thread-title"), c.caller + " · " + when(c.occurredAt));
    const messages = $("thread-messages");
    messages.replaceChildren();
    for (const m of thread.messages) {
      messages.append(make("li", m.inbound ? "in" : "out", when(m.at) + " · " + (m.inbound ? "patient" : m.author) + ": " + m.text));
    }
    if (!thread.messages.length) messages.append(make("li", "hint", "No messages."));
    const timeline = $("thread-timeline");
    timeline.replaceChildren();
    const steps = thread.recovery ? thread.recovery.timeline : [];
    for (const s of steps) timeline.append(make("li", null, when(s.at) + " · " + s.detail));
    if (!steps.length) timeline.append(make("li", "hint", "No recovery for this call."));
    $("thread").hidden = false;
    $("thread").scrollIntoView({ behavior: "smooth", block: "nearest" });
  }

  async function refresh() {
    const [report, tasks, calls] = await Promise.all([api("/report?days=" + days), api("/tasks"), api("/calls?limit=30")]);
    renderReport(report);
    renderTasks(tasks);
    renderCalls(calls);
    document.body.dataset.loaded = "true";
  }

  for (const button of document.querySelectorAll("#ranges button")) {
    button.addEventListener("click", () => {
      days = Number(button.dataset.days);
      for (const b of document.querySelectorAll("#ranges button")) b.classList.toggle("active", b === button);
      refresh().catch(showError);
    });
  }

  refresh().catch(showError);
  setInterval(() => refresh().catch(showError), 60000);
})();
