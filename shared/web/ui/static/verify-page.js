// "Check my ballot" in the browser: runs verify.js on every [data-client-verify] section and
// writes each check's verdict in the page's language. The keys come from a JSON script tag the
// server rendered into the page (pinned when the page was sent), the words from another.
// Without JavaScript the section stays hidden and the server's own check is what the page shows.
import { httpOf, rememberedNote, verifyEntry } from "./verify.js";

const RETRY_MS = 1500;
const RETRIES = 20;

function json(id) {
  const element = id && document.getElementById(id);
  return element ? JSON.parse(element.textContent) : null;
}

function say(strings, key, params) {
  const template = strings[key] || key;
  return template.replace(/\{(\w+)\}/g, (all, name) => (name in params ? params[name] : all));
}

function browserStorage() {
  // A page framed by another site may be refused its storage; then it remembers nothing.
  try {
    const storage = window.localStorage;
    storage.getItem("vmeste.probe");
    return storage;
  } catch (_) {
    return null;
  }
}

// RFC 8032 §7.1, test 1: a valid Ed25519 public key to probe WebCrypto with.
const PROBE_KEY = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";

async function ed25519Supported() {
  try {
    const key = Uint8Array.from(PROBE_KEY.match(/../g), (h) => parseInt(h, 16));
    await crypto.subtle.importKey("raw", key, { name: "Ed25519" }, false, ["verify"]);
    return true;
  } catch (_) {
    return false;
  }
}

function setup(section) {
  const pinned = json(section.dataset.pinned);
  const strings = json(section.dataset.strings) || {};
  const overall = section.querySelector("[data-overall]");
  const receiptBox = section.querySelector("[data-receipt]");
  const fileInput = section.querySelector("[data-receipt-file]");
  const evidence = section.querySelector("[data-evidence]");
  let code = section.dataset.code || "";
  let retries = 0;
  let timer = null;

  function show(status, params, state) {
    overall.textContent = say(strings, `overall.${status}`, params || {});
    overall.dataset.status = status;
    overall.className = "alert " + ({ pass: "ok", fail: "error" }[state] || "");
    section.dataset.status = status;
  }

  function render(result) {
    const failed = [];
    const list = section.querySelector(".checks");
    if (list) list.hidden = ["idle", "not_found", "invalid_code", "error"].includes(result.status);
    section.querySelectorAll("[data-check]").forEach((item) => {
      const check = result.checks[item.dataset.check];
      const state = check ? check.state : "skip";
      item.dataset.state = state;
      item.querySelector("[data-state-label]").textContent = say(strings, `state.${state}`, {});
      item.querySelector("[data-verdict]").textContent = check ? say(strings, check.message, check.params) : "";
      const detail = item.querySelector("[data-detail]");
      detail.textContent = check && check.state === "fail" ? check.detail : "";
      detail.hidden = !detail.textContent;
      if (state === "fail") failed.push(item.querySelector(".check-name").textContent);
    });
    const state = { verified: "pass", failed: "fail", not_found: "fail", invalid_code: "fail" }[result.status] || "";
    show(result.status, { code: result.code, failed: failed.join(", ") }, state);
    offerSeen();
    evidence.hidden = !result.evidence.length;
    evidence.querySelector("[data-evidence-earlier]").textContent = result.evidence[0] || "";
    evidence.querySelector("[data-evidence-now]").textContent = result.evidence[1] || "";
  }

  // The checkpoint this browser remembers, as a file for `vmeste audit verify --seen`.
  const seenBox = section.querySelector("[data-seen]");
  let seenUrl = null;
  function offerSeen() {
    if (!seenBox || !pinned) return;
    const seen = rememberedNote(browserStorage(), pinned.origin);
    seenBox.hidden = !seen;
    if (!seen) return;
    if (seenUrl) URL.revokeObjectURL(seenUrl);
    seenUrl = URL.createObjectURL(new Blob([seen.note], { type: "text/plain" }));
    const link = seenBox.querySelector("a");
    link.href = seenUrl;
    link.download = `checkpoint-${pinned.origin.replace(/[^A-Za-z0-9.-]+/g, "_")}-${seen.size}.txt`;
  }

  async function run() {
    clearTimeout(timer);
    const receipt = receiptBox ? receiptBox.value : "";
    if (!code && !receipt.trim()) {
      render({ status: "idle", code: "", checks: {}, evidence: [] });
      return;
    }
    show("working");
    let result;
    try {
      result = await verifyEntry({ pinned, code, receipt, http: httpOf(), storage: browserStorage() });
    } catch (e) {
      // A bug or a browser quirk, not a verdict about the log: say the check did not run.
      result = { status: "error", code, evidence: [], checks: {} };
      console.error(e);
    }
    render(result);
    if (result.status === "pending" && retries < RETRIES) {
      retries += 1;
      timer = setTimeout(run, RETRY_MS);
    }
  }

  if (fileInput && receiptBox) {
    fileInput.addEventListener("change", async () => {
      const file = fileInput.files && fileInput.files[0];
      if (!file) return;
      receiptBox.value = await file.text();
      code = ""; // the receipt names the ballot
      retries = 0;
      run();
    });
  }
  section.querySelectorAll("[data-verify-run]").forEach((button) =>
    button.addEventListener("click", () => {
      code = ""; // the receipt names the ballot
      retries = 0;
      run();
    }),
  );
  return run;
}

async function start() {
  const sections = document.querySelectorAll("[data-client-verify]");
  if (!sections.length) return;
  const supported = await ed25519Supported();
  sections.forEach((section) => {
    section.hidden = false;
    if (!supported) {
      const strings = json(section.dataset.strings) || {};
      const overall = section.querySelector("[data-overall]");
      overall.textContent = say(strings, "overall.unsupported", {});
      overall.dataset.status = "unsupported";
      section.querySelectorAll("[data-check], [data-receipt-input]").forEach((e) => (e.hidden = true));
      return;
    }
    setup(section)();
  });
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
else start();
