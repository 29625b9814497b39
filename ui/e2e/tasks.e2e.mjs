// End-to-end: the Tasks page against a real `pincer daemon` (its scheduler runs the jobs)
// with a scripted model. A job is made through the page with the schedule builder (the
// browser's zone by default, the engine's words and next five runs, the engine's refusal
// of a bad zone); run now, it waits for an approval that is answered on the page, then
// shows live progress (step, tool calls, tokens, the cost so far, priced by the daemon)
// while the model is slow, is cancelled and lands in the history `cancelled`; another run
// succeeds and shows its output, tokens and cost; the history search finds it, and its row
// opens the run's conversation (which the chat sidebar does not list). Then the page in
// Chinese: paused, resumed, edited and deleted, its runs staying in the history.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFile, mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ARTIFACTS, daemonSuite, newLoginUrl, screenshot, waitFor } from './harness.mjs';

let llm, daemon;
// Priced, so a run's cost so far and at its end are real numbers: $1 per million input
// tokens, $2 per million output tokens.
const newPage = daemonSuite((started) => ({ llm, daemon } = started), {
  config: '\n[pricing."test-model"]\ninput = 1.0\noutput = 2.0\n',
});

const tid = (id) => `[data-testid="${id}"]`;
const ZONE = 'Europe/Lisbon';
const NAME = 'Kettle watch';
const ANSWER = 'The kettle costs 27 euros today.';

/** Screenshots also go to PINCER_SCREENSHOTS (a folder), to look at. */
async function shot(page, name) {
  await screenshot(page, name);
  const dir = process.env.PINCER_SCREENSHOTS;
  if (dir) {
    await mkdir(dir, { recursive: true });
    await copyFile(join(ARTIFACTS, `${name}.png`), join(dir, `${name}.png`));
  }
}

async function tasksPage(options = {}) {
  const page = await newPage({ timezoneId: ZONE, height: 1000, ...options });
  await page.goto(await newLoginUrl(daemon.home));
  await page.locator(tid('composer')).waitFor();
  await page.locator(tid('nav-tasks')).click();
  await page.locator(tid('tasks-page')).waitFor();
  return page;
}

const text = (locator) => locator.innerText();

test('a job is made with the schedule builder, waits for an approval, is watched, cancelled, run again and found', async () => {
  const page = await tasksPage();
  assert.equal(await page.title(), 'Tasks · Pincer');
  assert.equal(await page.locator(tid('nav-tasks')).getAttribute('aria-current'), 'page');
  await page.locator(tid('jobs-empty')).filter({ hasText: 'No tasks yet' }).waitFor();
  await page.locator(tid('runs-none')).waitFor();

  // The editor: the builder writes the spec in the browser's zone; the engine reads it back.
  await page.locator(tid('job-new')).click();
  const editor = page.locator(tid('job-editor'));
  await editor.locator(tid('job-name')).fill(NAME);
  await editor.locator(tid('job-prompt')).fill('Check the kettle price and note it in kettle/notes.txt');
  await editor.locator(tid('schedule-mode')).selectOption('weekdays');
  assert.equal(await editor.locator(tid('schedule-zone')).inputValue(), ZONE, 'the zone defaults to the browser\'s');
  await editor.locator(tid('schedule-time')).fill('08:30');
  await waitFor(async () => (await text(editor.locator(tid('schedule-spec')))) === `cron "30 8 * * 1-5" ${ZONE}`, 'the spec');
  await editor
    .locator(tid('schedule-description'))
    .filter({ hasText: `every weekday (Monday to Friday) at 08:30 ${ZONE}` })
    .waitFor();
  const upcoming = editor.locator(`${tid('schedule-upcoming')} li`);
  assert.equal(await upcoming.count(), 5, 'the next five runs');
  for (const run of await upcoming.allInnerTexts()) {
    assert.match(run, /(Mon|Tue|Wed|Thu|Fri), .*08:30/, run);
  }
  // A zone the engine does not know: its words, verbatim, under the field.
  await editor.locator(tid('schedule-zone')).fill('Mars/Olympus');
  const refused = editor.locator(tid('schedule-error'));
  await refused.waitFor();
  assert.match(await text(refused), /Mars\/Olympus/);
  assert.equal(await editor.locator(tid('schedule-zone')).getAttribute('aria-invalid'), 'true');
  await editor.locator(tid('schedule-zone')).fill(ZONE);
  await editor.locator(tid('schedule-description')).waitFor();
  await editor.locator(tid('job-delivery')).selectOption('none');
  // Every field has a label (read by screen readers), and no id is given twice.
  const unlabelled = await page.locator(tid('tasks-page')).evaluate((root) =>
    [...root.querySelectorAll('input, select, textarea')]
      .filter((el) => !el.labels?.length && !el.getAttribute('aria-label'))
      .map((el) => el.outerHTML),
  );
  assert.deepEqual(unlabelled, []);
  const ids = await page.evaluate(() => [...document.querySelectorAll('[id]')].map((el) => el.id));
  assert.equal(new Set(ids).size, ids.length, 'ids are unique');
  await shot(page, 'tasks-editor-light');
  await editor.locator(tid('job-save')).click();
  await page.locator(tid('tasks-toast')).filter({ hasText: `Created “${NAME}”` }).waitFor();
  const job = page.locator(tid('job-item')).filter({ hasText: NAME });
  await job.waitFor();
  assert.match(await text(job.locator(tid('job-description'))), /^every weekday \(Monday to Friday\) at 08:30 Europe\/Lisbon/);
  assert.equal(await job.locator(`${tid('job-upcoming')} li`).count(), 5);

  // Run now: the model wants to write a file, which waits for an approval on this page.
  await llm.push(
    {
      tool_calls: [{ id: 'call_k1', name: 'write_file', arguments: { path: 'kettle/notes.txt', content: '27 euros\n' } }],
      usage: { input: 1200, output: 80 },
    },
    // Then it takes its time: long enough to watch, and to cancel.
    { text: 'Still checking the shops…', delay_ms: 60_000 },
  );
  await job.locator(tid('job-run')).click();
  const waiting = page.locator(`${tid('runs-waiting')} ${tid('active-run')}`);
  await waiting.waitFor();
  assert.match(await text(waiting.locator(tid('run-approval-summary'))), /kettle\/notes\.txt/);
  assert.equal(await waiting.locator(tid('run-status')).getAttribute('data-status'), 'waiting_approval');
  await shot(page, 'tasks-waiting-light');
  await waiting.locator(tid('run-approve-once')).click();

  // Running: the second step, one tool call, the first request's tokens and its cost.
  const running = page.locator(`${tid('runs-running')} ${tid('active-run')}`);
  await running.locator(`${tid('run-progress')}[data-step="2"]`).waitFor();
  assert.equal(await page.locator(tid('runs-waiting')).count(), 0, 'nothing waits any more');
  const progress = await text(running.locator(tid('run-progress')));
  assert.match(progress, /step 2/);
  assert.match(progress, /\b1 tool call(?!s)/);
  assert.match(progress, /1,200 in \/ 80 out tokens/);
  await waitFor(async () => /\$0\.0014 so far/.test(await text(running.locator(tid('run-progress')))), 'the cost so far');
  const runId = await running.getAttribute('data-run-id');
  assert.match(runId, /^run-/);
  await shot(page, 'tasks-running-light');
  assert.equal(await running.locator(tid('run-cancel')).isEnabled(), true, 'the answered run can be cancelled at once');
  await running.locator(tid('run-cancel')).click({ timeout: 1000 });
  const cancelled = page.locator(`${tid('history-row')}[data-run-id="${runId}"][data-status="cancelled"]`);
  await cancelled.waitFor();
  assert.match(await text(cancelled.locator(tid('history-result'))), /stopped by the user/);
  await page.locator(tid('runs-none')).waitFor();
  // The approval let the tool run.
  assert.equal(await readFile(join(daemon.workspace, 'kettle/notes.txt'), 'utf8'), '27 euros\n');

  // Another run succeeds; its output, tokens and cost are in the history.
  await llm.push({ text: ANSWER, usage: { input: 300, output: 20 } });
  await job.locator(tid('job-run')).click();
  const done = page.locator(`${tid('history-row')}[data-status="succeeded"]`);
  await done.waitFor();
  assert.equal(await text(done.locator(tid('history-result'))), ANSWER);
  assert.equal(await text(done.locator(tid('history-tokens'))), '300 / 20');
  assert.equal(await text(done.locator(tid('history-cost'))), '$0.0003');
  assert.equal(await page.locator(tid('history-row')).count(), 2);
  await job.locator(tid('run-status')).filter({ hasText: 'Succeeded' }).waitFor();

  // The search finds it by a word of its output; the filter by its status.
  await page.locator(tid('history-search')).fill('27 EUROS');
  await waitFor(async () => (await page.locator(tid('history-row')).count()) === 1, 'one run to match');
  assert.equal(await page.locator(tid('history-row')).getAttribute('data-status'), 'succeeded');
  await page.locator(tid('history-search')).fill('');
  await page.locator(tid('history-status')).selectOption('cancelled');
  await waitFor(
    async () =>
      (await page.locator(tid('history-row')).count()) === 1 &&
      (await page.locator(tid('history-row')).getAttribute('data-status')) === 'cancelled',
    'the cancelled run alone',
  );
  await page.locator(tid('history-status')).selectOption('');
  await waitFor(async () => (await page.locator(tid('history-row')).count()) === 2, 'both runs again');
  await shot(page, 'tasks-light');

  // A row opens the run's conversation; the sidebar lists runs only while one is open.
  const session = await done.getAttribute('data-run-id');
  await done.locator(tid('history-open')).click();
  await waitFor(() => page.url().endsWith(`#/chat/${session}`), 'the run\'s chat');
  await page.locator(tid('message-assistant')).filter({ hasText: ANSWER }).waitFor();
  await page.locator(`${tid('session-item')}[data-session-id="${session}"]`).waitFor();
  assert.equal(await page.locator(`${tid('session-item')}[data-session-id="${runId}"]`).count(), 0);
  await page.locator(tid('sidebar-runs')).waitFor();
  await page.locator(tid('new-chat')).click();
  await waitFor(async () => (await page.locator(`${tid('session-item')}[data-session-id^="run-"]`).count()) === 0, 'runs to leave the sidebar');
  await page.context().close();
});

test('in Chinese: the page speaks it, and a job is paused, resumed, edited and deleted', async () => {
  const page = await tasksPage({ locale: 'zh-CN', height: 1100 });
  assert.equal(await text(page.locator(tid('nav-tasks'))), '任务');
  assert.equal(await text(page.locator('h1')), '任务');
  assert.equal(await page.title(), '任务 · Pincer');
  assert.equal(await page.locator(tid('tasks-page')).evaluate((el) => el.closest('[lang]')?.getAttribute('lang')), 'zh');
  const job = page.locator(tid('job-item')).filter({ hasText: NAME });
  await job.waitFor();
  await page.locator(`${tid('history-row')}[data-status="succeeded"] ${tid('run-status')}`).filter({ hasText: '成功' }).waitFor();
  await page.locator(`${tid('history-row')}[data-status="cancelled"] ${tid('run-status')}`).filter({ hasText: '已取消' }).waitFor();
  assert.match((await text(job.locator(tid('job-next-run')))).trim(), /^下次运行：/);

  // Edit: the builder comes back at the stored choice, in Chinese.
  await job.locator(tid('job-edit')).click();
  const editor = page.locator(tid('job-editor'));
  assert.equal(await editor.locator(tid('schedule-mode')).inputValue(), 'weekdays');
  assert.equal(await editor.locator(tid('schedule-time')).inputValue(), '08:30');
  await editor.locator(tid('schedule-description')).waitFor();
  assert.equal(await editor.locator(`${tid('schedule-upcoming')} li`).count(), 5);
  await editor.locator(tid('schedule-mode')).selectOption('hours');
  await editor.locator(tid('schedule-every')).fill('3');
  await editor.locator(tid('schedule-description')).filter({ hasText: 'every 3 hours' }).waitFor();
  await editor.locator(tid('job-name')).fill('水壶价格');
  await shot(page, 'tasks-editor-zh');
  await editor.locator(tid('job-save')).click();
  const renamed = page.locator(tid('job-item')).filter({ hasText: '水壶价格' });
  await renamed.waitFor();
  assert.match(await text(renamed.locator(tid('job-description'))), /^every 3 hours/);
  await shot(page, 'tasks-zh');

  await renamed.locator(tid('job-pause')).click();
  await renamed.locator(tid('job-paused')).filter({ hasText: '已暂停' }).waitFor();
  assert.equal(await text(renamed.locator(tid('job-next-run'))), '已暂停：恢复之前不会运行');
  await renamed.locator(tid('job-resume')).click();
  await renamed.locator(tid('job-pause')).waitFor();
  assert.equal(await renamed.locator(tid('job-paused')).count(), 0);

  // A phone's width: nothing pushes the page sideways (the history table scrolls in its box).
  await page.setViewportSize({ width: 360, height: 740 });
  await waitFor(
    () => page.locator('.page').evaluate((el) => el.scrollWidth <= el.clientWidth),
    'the page to fit 360 px',
  );
  // The sidebar slides away as a drawer at this width: the picture after it has.
  await page.waitForTimeout(400);
  await shot(page, 'tasks-zh-360');
  await page.setViewportSize({ width: 1280, height: 1100 });

  await renamed.locator(tid('job-delete')).click();
  await renamed.locator(tid('job-delete-confirm')).click();
  await page.locator(tid('jobs-empty')).waitFor();
  // Its runs stay, under the name it had when they ran… and now has.
  assert.equal(await page.locator(tid('history-row')).count(), 2);
  await page.locator(tid('history-search')).fill('水壶');
  await waitFor(async () => (await page.locator(tid('history-row')).count()) === 2, 'runs found by the job\'s new name');
  await page.context().close();
});
