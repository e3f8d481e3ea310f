// The browser example in headless Chromium (playwright-core, driving the system's chromium)
// against the real `codex app-server` and the mock model: the page, served from an allowed
// origin, connects, runs a turn, shows the answer as it streams, and an Approve click lets the
// command run. A page from any other origin is refused.
//
// CHROMIUM_BIN picks the browser (default /usr/bin/chromium). UPDATE_SCREENSHOT=1 rewrites
// browser/screenshot.png, the picture in the example's README.

import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { createServer, get, type Server } from "node:http";
import { type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { extname, join, normalize } from "node:path";
import { after, before, test } from "node:test";

import { MockModel, TestHome, listenWebSocket } from "@codex-app-server/client/testing";
import { chromium, type Browser } from "playwright-core";

const PAGE_ROOT = join(__dirname, "..", "..", "browser");
const COMMAND = "echo browser-approved > approved.txt && cat approved.txt";
const ANSWER = "Done: the command ran and approved.txt holds its output.";

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
};

/** Serves the example's folder on a free loopback port; resolves with its origin. */
function servePage(): Promise<{ origin: string; server: Server }> {
  const server = createServer((request, response) => {
    const path = new URL(request.url ?? "/", "http://localhost").pathname;
    const file = normalize(join(PAGE_ROOT, path === "/" ? "index.html" : path));
    if (!file.startsWith(PAGE_ROOT) || !existsSync(file)) {
      response.writeHead(404).end("not found\n");
      return;
    }
    response.writeHead(200, { "content-type": TYPES[extname(file)] ?? "application/octet-stream" });
    response.end(readFileSync(file));
  });
  return new Promise((resolve) => {
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as AddressInfo;
      resolve({ origin: `http://127.0.0.1:${port}`, server });
    });
  });
}

/** The status of a GET with an `Origin` header. */
function statusWithOrigin(url: string, origin: string): Promise<number> {
  return new Promise((resolve, reject) => {
    get(url, { headers: { Origin: origin } }, (response) => {
      response.resume();
      resolve(response.statusCode ?? 0);
    }).on("error", reject);
  });
}

let model: MockModel;
let home: TestHome;
let page: { origin: string; server: Server };
let codex: { url: string; stop: () => void };
let browser: Browser;

before(async () => {
  model = await MockModel.start([
    {
      items: [
        {
          functionCall: {
            callId: "call_browser_1",
            name: "exec_command",
            arguments: { cmd: COMMAND, yield_time_ms: 10_000 },
          },
        },
      ],
    },
    { items: [{ message: ANSWER }], delayMs: 40 },
  ]);
  home = new TestHome(model.baseUrl);
  page = await servePage();
  codex = await listenWebSocket(home, ["--ws-allow-origin", page.origin]);
  browser = await chromium.launch({
    executablePath: process.env["CHROMIUM_BIN"] ?? "/usr/bin/chromium",
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
});

after(async () => {
  await browser?.close();
  codex?.stop();
  page?.server.close();
  await model?.stop();
  home?.remove();
});

test("the page connects, streams a turn, and an approval click lets the command run", async () => {
  const tab = await browser.newPage({ viewport: { width: 1100, height: 640 } });
  const logs: string[] = [];
  tab.on("console", (message) => logs.push(message.text()));
  tab.on("pageerror", (error) => logs.push(String(error)));
  try {
    await tab.goto(`${page.origin}/?server=${encodeURIComponent(codex.url)}`);
    await tab.locator("#status", { hasText: `connected to ${codex.url}` }).waitFor({ timeout: 20_000 });

    // Every text the agent's message shows on its way, to see it stream.
    await tab.evaluate(() => {
      const seen: string[] = [];
      (window as unknown as { agentTexts: string[] }).agentTexts = seen;
      new MutationObserver(() => {
        for (const node of document.querySelectorAll(".message.agent")) seen.push(node.textContent ?? "");
      }).observe(document.getElementById("conversation") as Node, { subtree: true, childList: true, characterData: true });
    });

    await tab.click("#new-thread");
    await tab.locator("#threads li").first().waitFor();
    await tab.fill("#prompt", "Write approved.txt, please.");
    await tab.click("#send");

    const approval = tab.locator(".approval");
    await approval.waitFor({ timeout: 20_000 });
    assert.match((await approval.textContent()) ?? "", /browser-approved/);
    assert.equal(existsSync(join(home.work, "approved.txt")), false, "nothing runs before the click");
    const screenshot =
      process.env["UPDATE_SCREENSHOT"] === "1" ? join(PAGE_ROOT, "screenshot.png") : join(tmpdir(), "codex-browser-example.png");
    await tab.screenshot({ path: screenshot });
    await tab.getByRole("button", { name: "Approve" }).click();

    await tab.locator(".message.agent", { hasText: ANSWER }).waitFor({ timeout: 20_000 });
    await tab.locator("#status", { hasText: "connected" }).waitFor();
    assert.equal(readFileSync(join(home.work, "approved.txt"), "utf8"), "browser-approved\n");
    assert.match((await tab.locator(".message.command").textContent()) ?? "", /browser-approved[\s\S]*\[exit 0\]/);
    const texts = await tab.evaluate(() => (window as unknown as { agentTexts: string[] }).agentTexts);
    const partial = texts.filter((text) => text.length > 0 && text.length < ANSWER.length && ANSWER.startsWith(text));
    assert.ok(partial.length >= 2, `the answer was shown in pieces as it streamed; saw ${JSON.stringify(texts)}`);
    assert.equal(await tab.locator(".approval").count(), 0, "the approval is gone once answered");
  } catch (error) {
    throw new Error(`${String(error)}\n--- page console ---\n${logs.join("\n")}`);
  } finally {
    await tab.close();
  }
});

test("a page from an origin not on the allow-list cannot connect (403)", async () => {
  const other = await servePage();
  const tab = await browser.newPage();
  try {
    assert.equal(await statusWithOrigin(codex.url.replace("ws://", "http://") + "/healthz", other.origin), 403);
    assert.equal(await statusWithOrigin(codex.url.replace("ws://", "http://") + "/healthz", page.origin), 200);
    await tab.goto(`${other.origin}/?server=${encodeURIComponent(codex.url)}`);
    const status = tab.locator("#status[data-state=error]");
    await status.waitFor({ timeout: 20_000 });
    assert.match((await status.textContent()) ?? "", /could not connect to ws:\/\//);
  } finally {
    await tab.close();
    other.server.close();
  }
});
