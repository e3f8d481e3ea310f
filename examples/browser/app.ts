// The browser example: connects to `codex app-server --listen ws://… --ws-allow-origin <this
// page's origin>` with the browser's own WebSocket, lists threads, streams a turn's answer, and
// shows the agent's approval requests as buttons.
//
// The server's address comes from `?server=ws://HOST:PORT` (default ws://127.0.0.1:4500).

import { CodexClient, webSocketConnector, type protocol } from "@codex-app-server/client";

type Thread = protocol.v2.Thread;
type Decision = protocol.v2.CommandExecutionApprovalDecision;

const serverUrl = new URLSearchParams(location.search).get("server") ?? "ws://127.0.0.1:4500";

function element<T extends HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (found === null) throw new Error(`the page has no #${id}`);
  return found as T;
}

const status = element<HTMLSpanElement>("status");
const threadList = element<HTMLUListElement>("threads");
const newThread = element<HTMLButtonElement>("new-thread");
const conversation = element<HTMLDivElement>("conversation");
const approvals = element<HTMLDivElement>("approvals");
const composer = element<HTMLFormElement>("composer");
const prompt = element<HTMLInputElement>("prompt");
const send = element<HTMLButtonElement>("send");

let client: CodexClient;
let current: string | null = null;
/** The open thread: listed even before its first turn is stored (only stored threads are listed). */
let currentThread: Thread | null = null;
/** The agent message being streamed, by item id. */
const streaming = new Map<string, HTMLDivElement>();

function setStatus(text: string, state: "connecting" | "connected" | "working" | "error"): void {
  status.textContent = text;
  status.dataset["state"] = state;
}

function addMessage(kind: "user" | "agent" | "command", text: string): HTMLDivElement {
  const div = document.createElement("div");
  div.className = `message ${kind}`;
  div.textContent = text;
  conversation.append(div);
  return div;
}

function showThreads(threads: Thread[]): void {
  threadList.replaceChildren(
    ...threads.map((thread) => {
      const item = document.createElement("li");
      item.textContent = thread.preview || thread.id;
      item.title = thread.id;
      item.dataset["threadId"] = thread.id;
      item.setAttribute("aria-current", String(thread.id === current));
      item.addEventListener("click", () => void openThread(thread.id));
      return item;
    }),
  );
}

async function refreshThreads(): Promise<void> {
  const { data } = await client.request("thread/list", { limit: 20 });
  if (currentThread !== null && !data.some((thread) => thread.id === currentThread?.id)) {
    data.unshift(currentThread);
  }
  showThreads(data);
}

function enableComposer(enabled: boolean): void {
  prompt.disabled = !enabled;
  send.disabled = !enabled;
}

async function startThread(): Promise<void> {
  const { thread } = await client.request("thread/start", { approvalPolicy: "untrusted", experimentalRawEvents: false });
  current = thread.id;
  currentThread = thread;
  conversation.replaceChildren();
  enableComposer(true);
  prompt.focus();
  await refreshThreads();
}

async function openThread(threadId: string): Promise<void> {
  const { thread } = await client.request("thread/resume", { threadId });
  current = thread.id;
  currentThread = thread;
  conversation.replaceChildren();
  for (const turn of thread.turns) {
    for (const item of turn.items) {
      if (item.type === "userMessage") {
        addMessage("user", item.content.map((part) => (part.type === "text" ? part.text : "")).join(""));
      } else if (item.type === "agentMessage") {
        addMessage("agent", item.text);
      }
    }
  }
  enableComposer(true);
  await refreshThreads();
}

async function sendPrompt(text: string): Promise<void> {
  if (current === null) return;
  addMessage("user", text);
  enableComposer(false);
  setStatus("working…", "working");
  await client.request("turn/start", { threadId: current, input: [{ type: "text", text, text_elements: [] }] });
}

/** Shows an approval request with Approve and Decline buttons; resolves with the click. */
function askApproval(what: string, reason: string | null | undefined): Promise<Decision> {
  return new Promise((resolve) => {
    const box = document.createElement("div");
    box.className = "approval";
    const code = document.createElement("code");
    code.textContent = reason ? `${what} — ${reason}` : what;
    const decide = (decision: Decision) => {
      box.remove();
      resolve(decision);
    };
    const approve = document.createElement("button");
    approve.textContent = "Approve";
    approve.addEventListener("click", () => decide("accept"));
    const decline = document.createElement("button");
    decline.textContent = "Decline";
    decline.addEventListener("click", () => decide("decline"));
    box.append(code, approve, decline);
    approvals.append(box);
  });
}

function wire(): void {
  client.handle("item/commandExecution/requestApproval", async (params) => ({
    decision: await askApproval(`Run: ${params.command ?? "a command"}`, params.reason),
  }));
  client.handle("item/fileChange/requestApproval", async (params) => {
    const decision = await askApproval("Apply the agent's file changes", params.reason);
    return { decision: decision === "accept" ? "accept" : "decline" };
  });
  client.on("item/started", ({ threadId, item }) => {
    if (threadId !== current) return;
    if (item.type === "agentMessage") {
      streaming.set(item.id, addMessage("agent", ""));
    } else if (item.type === "commandExecution") {
      streaming.set(item.id, addMessage("command", `$ ${item.command}\n`));
    }
  });
  client.on("item/agentMessage/delta", ({ threadId, itemId, delta }) => {
    if (threadId !== current) return;
    const div = streaming.get(itemId) ?? addMessage("agent", "");
    streaming.set(itemId, div);
    div.textContent += delta;
  });
  client.on("item/commandExecution/outputDelta", ({ itemId, delta }) => {
    const div = streaming.get(itemId);
    if (div !== undefined) div.textContent += delta;
  });
  client.on("item/completed", ({ threadId, item }) => {
    if (threadId !== current) return;
    const div = streaming.get(item.id);
    if (item.type === "agentMessage" && div !== undefined) {
      div.textContent = item.text;
    } else if (item.type === "commandExecution" && div !== undefined) {
      div.textContent = `$ ${item.command}\n${item.aggregatedOutput ?? ""}[exit ${item.exitCode ?? "?"}]`;
    }
    streaming.delete(item.id);
  });
  client.on("turn/completed", ({ threadId, turn }) => {
    if (threadId !== current) return;
    setStatus(turn.status === "completed" ? "connected" : `turn ${turn.status}`, "connected");
    enableComposer(true);
    void refreshThreads();
  });
  client.onConnection("closed", ({ reason }) => setStatus(`disconnected: ${reason}`, "error"));
}

async function main(): Promise<void> {
  try {
    const connected = await CodexClient.connect(webSocketConnector(serverUrl), {
      clientInfo: { name: "browser-example", title: "Browser example", version: "0.1.0" },
      capabilities: null,
    });
    client = connected.client;
  } catch (error) {
    setStatus(`could not connect to ${serverUrl}: ${error instanceof Error ? error.message : String(error)}`, "error");
    return;
  }
  wire();
  setStatus(`connected to ${serverUrl}`, "connected");
  newThread.disabled = false;
  newThread.addEventListener("click", () => void startThread());
  composer.addEventListener("submit", (event) => {
    event.preventDefault();
    const text = prompt.value.trim();
    if (text === "") return;
    prompt.value = "";
    void sendPrompt(text);
  });
  await refreshThreads();
}

void main();
