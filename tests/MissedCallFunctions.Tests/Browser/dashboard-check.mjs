// Drives the dashboard in Debian's Chromium (never a downloaded browser) and prints what it saw as JSON.
// Usage: node dashboard-check.mjs <dashboard url> <screenshot dir>
import { chromium } from "playwright-core";
import { mkdirSync } from "node:fs";
import { join } from "node:path";

const [url, outDir] = process.argv.slice(2);
if (!url || !outDir) {
  console.error("usage: node dashboard-check.mjs <dashboard url> <screenshot dir>");
  process.exit(2);
}
mkdirSync(outDir, { recursive: true });

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH || "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync"],
});
const result = { funnel: {}, rates: {}, errors: [] };
try {
  const desktop = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await desktop.newPage();
  page.on("pageerror", (e) => result.errors.push(String(e)));
  page.on("console", (m) => { if (m.type() === "error") result.errors.push(m.text()); });
  await page.goto(url);
  await page.waitForSelector('body[data-loaded="true"]', { timeout: 30000 });
  for (const stage of ["missed", "suppressed", "eligible", "texted", "delivered", "replied", "booked"]) {
    result.funnel[stage] = Number(await page.textContent(`[data-testid="funnel-${stage}"]`));
  }
  for (const stage of ["texted", "delivered", "replied", "booked"]) {
    result.rates[stage] = await page.textContent(`[data-testid="rate-${stage}"]`);
  }
  result.kpiOpenTasks = Number(await page.textContent('[data-testid="kpi-open-tasks"]'));
  result.funnelChartDrawn = await page.evaluate(() => {
    const canvas = document.getElementById("funnel-chart");
    return !!canvas && canvas.width > 0 && typeof Chart !== "undefined" && !!Chart.getChart(canvas);
  });
  result.heatmapCells = await page.locator("#heatmap td").count();
  await page.screenshot({ path: join(outDir, "dashboard-desktop.png"), fullPage: true });

  // A missed call's thread and timeline.
  const firstCall = page.locator("#calls li").first();
  if (await firstCall.count()) {
    await firstCall.click();
    await page.waitForSelector("#thread:not([hidden])", { timeout: 10000 });
    result.threadTimelineItems = await page.locator("#thread-timeline li").count();
    await page.locator("#thread").screenshot({ path: join(outDir, "dashboard-thread.png") });
  }

  // One click on "Handled" removes the task.
  const tasksBefore = await page.locator("#tasks li").count();
  result.tasksBefore = tasksBefore;
  if (tasksBefore > 0) {
    const first = page.locator("#tasks li").first();
    result.handledTaskId = await first.getAttribute("data-task");
    await first.locator("button.handled").click();
    await page.waitForFunction((id) => !document.querySelector(`#tasks li[data-task="${id}"]`), result.handledTaskId, { timeout: 15000 });
    await page.waitForFunction((n) => document.querySelectorAll("#tasks li").length === n - 1, tasksBefore, { timeout: 15000 });
    result.tasksAfter = await page.locator("#tasks li").count();
    await page.screenshot({ path: join(outDir, "dashboard-after-handled.png"), fullPage: true });
  }
  await desktop.close();

  // A phone: one column, nothing wider than the screen.
  const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true });
  const mobile = await phone.newPage();
  await mobile.goto(url);
  await mobile.waitForSelector('body[data-loaded="true"]', { timeout: 30000 });
  result.mobileOverflow = await mobile.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  result.mobileMissed = Number(await mobile.textContent('[data-testid="funnel-missed"]'));
  await mobile.screenshot({ path: join(outDir, "dashboard-phone.png"), fullPage: true });
  await phone.close();
} finally {
  await browser.close();
}
console.log(JSON.stringify(result));
