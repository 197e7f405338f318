// Vmeste: the citizen's browser checks its own ballot (or comment) without trusting the server.
//
// An ES module without dependencies: WebCrypto for SHA-256 and Ed25519, BigInt for tree sizes.
// It reads the formats documented in shared/log/README.md:
//
// * C2SP signed notes (https://c2sp.org/signed-note): text, a blank line, then lines
//   "— <key name> <base64(4-byte key id ‖ signature)>"; a log key's id is
//   SHA-256(name ‖ "\n" ‖ 0x01 ‖ public key)[:4], its verifier key "name+hexid+base64(0x01 ‖ key)";
// * C2SP checkpoints (https://c2sp.org/tlog-checkpoint): "origin\nsize\nbase64 root\n";
// * C2SP cosignatures (https://c2sp.org/tlog-cosignature), Ed25519 cosignature/v1: key id
//   SHA-256(name ‖ "\n" ‖ 0x04 ‖ key)[:4], signature bytes key id ‖ 8-byte big-endian time T ‖
//   Ed25519 signature of "cosignature/v1\ntime T\n" + checkpoint body;
// * Vmeste receipts: a signed note "vmeste/receipt/v1\norigin\nentry hash hex\naccepted at\n";
// * RFC 9162 inclusion and consistency proofs: verifyInclusion and verifyConsistency are an
//   exact port of shared/log/merkle.py (itself a port of transparency-dev/merkle verify.go).
//
// verifyEntry() runs every check of "check my ballot" and returns one verdict per check; it
// touches neither the page nor the network directly (it is given fetch and storage), so the
// same code runs on the page, in the widget and in tests.

const encoder = new TextEncoder();
const SIG_PREFIX = "\u2014 ";
const HASH_SIZE = 32;
const MAX_SIZE = 1n << 64n;
const MAX_SIGNATURES = 100;
const ALG_ED25519 = 0x01;
const ALG_COSIGNATURE_V1 = 0x04;
const RECEIPT_HEADER = "vmeste/receipt/v1";
const CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
export const STORAGE_PREFIX = "vmeste.checkpoint.";

/** A check failed; `code` says why in a word the page translates, `detail` in English. */
export class VerifyError extends Error {
  constructor(code, detail) {
    super(detail || code);
    this.name = "VerifyError";
    this.code = code;
    this.detail = detail || code;
  }
}

// --- bytes -------------------------------------------------------------------------------

export function concat(...parts) {
  let length = 0;
  for (const part of parts) length += part.length;
  const out = new Uint8Array(length);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

export function equalBytes(a, b) {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i] ^ b[i];
  return diff === 0;
}

/** Standard base64, strictly (as Python's validate=True and Go's StdEncoding). */
export function b64decode(text) {
  if (typeof text !== "string" || text.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(text)) {
    throw new VerifyError("malformed", "bad base64");
  }
  const binary = atob(text);
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}

export function b64encode(bytes) {
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary);
}

export function toHex(bytes) {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

export function fromHex(text) {
  if (typeof text !== "string" || !/^(?:[0-9a-f]{2})*$/.test(text)) {
    throw new VerifyError("malformed", "bad hex");
  }
  const out = new Uint8Array(text.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(text.slice(2 * i, 2 * i + 2), 16);
  return out;
}

export async function sha256(bytes) {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
}

function uint32(bytes) {
  return ((bytes[0] << 24) | (bytes[1] << 16) | (bytes[2] << 8) | bytes[3]) >>> 0;
}

function hex8(n) {
  return n.toString(16).padStart(8, "0");
}

// --- Merkle proofs: port of shared/log/merkle.py ----------------------------------------

export async function leafHash(entry) {
  return sha256(concat(Uint8Array.of(0), entry));
}

export async function nodeHash(left, right) {
  return sha256(concat(Uint8Array.of(1), left, right));
}

function bitLength(x) {
  return x === 0n ? 0 : x.toString(2).length;
}

function bitCount(x) {
  let n = 0;
  for (const c of x.toString(2)) if (c === "1") n++;
  return n;
}

function big(value, what) {
  try {
    if (typeof value === "bigint") return value;
    if (typeof value === "number" && Number.isSafeInteger(value)) return BigInt(value);
    if (typeof value === "string" && /^\d+$/.test(value)) return BigInt(value);
  } catch (_) {
    // fall through
  }
  throw new VerifyError("malformed", `${what} is not a whole number`);
}

function checkSizes(...values) {
  for (const v of values) {
    if (v < 0n || v >= MAX_SIZE) throw new VerifyError("proof", `size or index ${v} outside 0..2^64-1`);
  }
}

function decompInclProof(index, size) {
  const inner = bitLength(index ^ (size - 1n));
  const border = bitCount(index >> BigInt(inner));
  return [inner, border];
}

async function chainInner(seed, proof, index) {
  for (let i = 0; i < proof.length; i++) {
    seed = ((index >> BigInt(i)) & 1n) === 0n ? await nodeHash(seed, proof[i]) : await nodeHash(proof[i], seed);
  }
  return seed;
}

async function chainInnerRight(seed, proof, index) {
  for (let i = 0; i < proof.length; i++) {
    if (((index >> BigInt(i)) & 1n) === 1n) seed = await nodeHash(proof[i], seed);
  }
  return seed;
}

async function chainBorderRight(seed, proof) {
  for (const h of proof) seed = await nodeHash(h, seed);
  return seed;
}

function proofSizeError(got, want) {
  return new VerifyError("proof-size", `wrong proof size ${got}, want ${want}`);
}

function rootMismatch(calculated, expected) {
  return new VerifyError(
    "root-mismatch",
    `root mismatch: calculated ${toHex(calculated)}, expected ${toHex(expected)}`,
  );
}

/** Root implied by an inclusion proof of leaf hash `leaf` at `index` in a tree of `size`. */
export async function rootFromInclusionProof(index, size, leaf, proof) {
  index = big(index, "index");
  size = big(size, "size");
  checkSizes(index, size);
  if (index >= size) throw new VerifyError("proof", `index is beyond size: ${index} >= ${size}`);
  if (leaf.length !== HASH_SIZE) {
    throw new VerifyError("proof", `leaf hash has unexpected size ${leaf.length}, want ${HASH_SIZE}`);
  }
  const [inner, border] = decompInclProof(index, size);
  if (proof.length !== inner + border) throw proofSizeError(proof.length, inner + border);
  const res = await chainInner(leaf, proof.slice(0, inner), index);
  return chainBorderRight(res, proof.slice(inner));
}

/** Throws VerifyError unless leaf hash `leaf` is at `index` in the tree (`size`, `root`). */
export async function verifyInclusion(index, size, leaf, proof, root) {
  const calculated = await rootFromInclusionProof(index, size, leaf, proof);
  if (!equalBytes(calculated, root)) throw rootMismatch(calculated, root);
}

/** Root of the tree of `size2` implied by a consistency proof from (`size1`, `root1`). */
export async function rootFromConsistencyProof(size1, size2, proof, root1) {
  size1 = big(size1, "size1");
  size2 = big(size2, "size2");
  checkSizes(size1, size2);
  if (size2 < size1) throw new VerifyError("proof", `size2 (${size2}) < size1 (${size1})`);
  if (size1 === 0n) throw new VerifyError("proof", "consistency proof from empty tree is meaningless");
  if (size1 === size2) {
    if (proof.length) throw new VerifyError("proof", "size1=size2, but proof is not empty");
    return root1;
  }
  if (!proof.length) throw new VerifyError("proof", "empty proof");

  let [inner, border] = decompInclProof(size1 - 1n, size2);
  const shift = bitLength(size1 & -size1) - 1;
  inner -= shift;

  let seed;
  let start;
  if (size1 === 1n << BigInt(shift)) {
    seed = root1;
    start = 0;
  } else {
    seed = proof[0];
    start = 1;
  }
  if (proof.length !== start + inner + border) throw proofSizeError(proof.length, start + inner + border);
  const rest = proof.slice(start);

  const mask = (size1 - 1n) >> BigInt(shift);
  let hash1 = await chainInnerRight(seed, rest.slice(0, inner), mask);
  hash1 = await chainBorderRight(hash1, rest.slice(inner));
  if (!equalBytes(hash1, root1)) throw rootMismatch(hash1, root1);

  const hash2 = await chainInner(seed, rest.slice(0, inner), mask);
  return chainBorderRight(hash2, rest.slice(inner));
}

/** Throws VerifyError unless the tree (`size2`, `root2`) extends the tree (`size1`, `root1`). */
export async function verifyConsistency(size1, size2, proof, root1, root2) {
  const calculated = await rootFromConsistencyProof(size1, size2, proof, root1);
  if (!equalBytes(calculated, root2)) throw rootMismatch(calculated, root2);
}

// --- keys and signed notes ----------------------------------------------------------------

function validKeyName(name) {
  return name.length > 0 && !name.includes("+") && !/\s/u.test(name);
}

async function keyId(name, alg, publicKey) {
  const digest = await sha256(concat(encoder.encode(name + "\n"), Uint8Array.of(alg), publicKey));
  return uint32(digest);
}

/**
 * A verifier key "name+hexid+base64(alg ‖ key)": 0x01 for a log's signed-note key, 0x04 for a
 * witness's cosignature/v1 key. The key id must match the key.
 */
export async function parseVerifierKey(vkey, alg = ALG_ED25519) {
  const first = vkey.indexOf("+");
  const second = first < 0 ? -1 : vkey.indexOf("+", first + 1);
  if (second < 0) throw new VerifyError("key", `verifier key ${vkey} is not name+hexid+base64`);
  const name = vkey.slice(0, first);
  const hexId = vkey.slice(first + 1, second);
  if (!validKeyName(name) || !/^[0-9a-fA-F]{8}$/.test(hexId)) {
    throw new VerifyError("key", `verifier key ${vkey} is not name+hexid+base64`);
  }
  let raw;
  try {
    raw = b64decode(vkey.slice(second + 1));
  } catch (_) {
    throw new VerifyError("key", `verifier key ${vkey} is not base64`);
  }
  if (raw.length !== 33 || raw[0] !== alg) {
    throw new VerifyError("key", `verifier key ${vkey} is not an Ed25519 key of algorithm ${alg}`);
  }
  const publicKey = raw.slice(1);
  const id = await keyId(name, alg, publicKey);
  if (id !== parseInt(hexId, 16)) throw new VerifyError("key", `verifier key ${vkey}: key id does not match`);
  const cryptoKey = await crypto.subtle.importKey("raw", publicKey, { name: "Ed25519" }, false, ["verify"]);
  return { name, keyId: id, id: `${name}+${hex8(id)}`, publicKey, cryptoKey, text: vkey };
}

async function ed25519Verify(key, signature, message) {
  try {
    return await crypto.subtle.verify({ name: "Ed25519" }, key.cryptoKey, signature, message);
  } catch (_) {
    return false;
  }
}

/** A note's text (with its final newline) and its signature lines, unverified. */
export function parseNote(msg) {
  if (typeof msg !== "string") throw new VerifyError("malformed", "note is not text");
  for (let i = 0; i < msg.length; i++) {
    const c = msg.charCodeAt(i);
    if (c < 0x20 && c !== 0x0a) throw new VerifyError("malformed", `note has control character at offset ${i}`);
  }
  const split = msg.lastIndexOf("\n\n");
  if (split < 0) throw new VerifyError("malformed", "note has no blank line before its signatures");
  const text = msg.slice(0, split + 1);
  const block = msg.slice(split + 2);
  if (!block) throw new VerifyError("malformed", "note has no signature lines");
  if (!block.endsWith("\n")) throw new VerifyError("malformed", "note's last signature line does not end with a newline");
  const lines = block.slice(0, -1).split("\n");
  if (lines.length > MAX_SIGNATURES) throw new VerifyError("malformed", `note has ${lines.length} signatures`);
  const sigs = lines.map((line, n) => {
    if (!line.startsWith(SIG_PREFIX)) throw new VerifyError("malformed", `signature line ${n + 1} does not start with '— '`);
    const rest = line.slice(SIG_PREFIX.length);
    const space = rest.indexOf(" ");
    const name = space < 0 ? rest : rest.slice(0, space);
    const b64 = space < 0 ? "" : rest.slice(space + 1);
    if (!b64 || !validKeyName(name)) throw new VerifyError("malformed", `signature line ${n + 1} is not '— <key name> <base64>'`);
    const blob = b64decode(b64);
    if (blob.length < 5) throw new VerifyError("malformed", `signature line ${n + 1} is too short`);
    return { name, keyId: uint32(blob), blob, line };
  });
  return { text, sigs };
}

/**
 * Verify a signed note with `keys` (from parseVerifierKey, algorithm 0x01): signatures by
 * unknown keys are skipped, a known key's signature must verify, and one must be there.
 */
export async function openNote(msg, keys) {
  const { text, sigs } = parseNote(msg);
  const message = encoder.encode(text);
  const signedBy = [];
  const seen = new Set();
  for (const sig of sigs) {
    const key = keys.find((k) => k.name === sig.name && k.keyId === sig.keyId);
    if (!key) continue;
    if (seen.has(key.id)) continue;
    seen.add(key.id);
    if (!(await ed25519Verify(key, sig.blob.slice(4), message))) {
      throw new VerifyError("signature", `invalid signature for key ${key.id}`);
    }
    signedBy.push(key.id);
  }
  if (!signedBy.length) {
    const names = sigs.map((s) => `${s.name}+${hex8(s.keyId)}`).join(", ") || "none";
    throw new VerifyError("unknown-key", `note has no signature by a pinned key (signed by: ${names})`);
  }
  return { text, signedBy };
}

/** A checkpoint body, strictly: origin, size and root (canonical base64 of 32 bytes). */
export function parseCheckpoint(body) {
  if (!body.endsWith("\n")) throw new VerifyError("malformed", "checkpoint body must end with a newline");
  const lines = body.slice(0, -1).split("\n");
  if (lines.length < 3) throw new VerifyError("malformed", `checkpoint has ${lines.length} lines, want at least 3`);
  const [origin, sizeText, rootText] = lines;
  if (!origin) throw new VerifyError("malformed", "checkpoint origin line is empty");
  if (!/^(0|[1-9][0-9]*)$/.test(sizeText)) throw new VerifyError("malformed", `checkpoint size ${sizeText} is not a decimal number`);
  const size = BigInt(sizeText);
  if (size >= MAX_SIZE) throw new VerifyError("malformed", "checkpoint size exceeds 2^64-1");
  const root = b64decode(rootText);
  if (root.length !== HASH_SIZE || b64encode(root) !== rootText) {
    throw new VerifyError("malformed", "checkpoint root hash is not canonical base64 of 32 bytes");
  }
  if (lines.slice(3).some((line) => !line)) throw new VerifyError("malformed", "checkpoint extension line is empty");
  return { origin, size, root, rootText, body };
}

/**
 * The witnesses (from parseVerifierKey(…, 0x04)) whose cosignature on `note` verifies, one per
 * key; lines of other keys are skipped, a known witness's line that does not verify throws.
 */
export async function verifyCosignatures(note, witnesses) {
  const { text, sigs } = parseNote(note);
  const found = new Map();
  for (const sig of sigs) {
    const key = witnesses.find((w) => w.name === sig.name && w.keyId === sig.keyId);
    if (!key) continue;
    if (sig.blob.length !== 4 + 8 + 64) {
      throw new VerifyError("cosignature", `cosignature of ${key.id} has ${sig.blob.length} bytes, want 76`);
    }
    const time = new DataView(sig.blob.buffer, sig.blob.byteOffset + 4, 8).getBigUint64(0, false);
    const message = encoder.encode(`cosignature/v1\ntime ${time}\n${text}`);
    if (!(await ed25519Verify(key, sig.blob.slice(12), message))) {
      throw new VerifyError("cosignature", `cosignature of ${key.id} does not verify`);
    }
    if (!found.has(key.id)) found.set(key.id, { witness: key.id, timestamp: time });
  }
  return Array.from(found.values());
}

// --- receipts and tracking codes ----------------------------------------------------------

/** A receipt body, strictly: header, origin, entry hash hex, accepted-at. */
export function parseReceipt(body) {
  const lines = body.split("\n");
  if (lines.length !== 5 || lines[4] !== "") throw new VerifyError("malformed", "receipt body must be exactly 4 lines");
  const [header, origin, entryHex, acceptedAt] = lines;
  if (header !== RECEIPT_HEADER) throw new VerifyError("malformed", `receipt header is ${header}`);
  if (!origin) throw new VerifyError("malformed", "receipt origin line is empty");
  if (!/^[0-9a-f]{64}$/.test(entryHex)) throw new VerifyError("malformed", "receipt entry hash is not 64 hex digits");
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/.test(acceptedAt)) throw new VerifyError("malformed", "receipt time is malformed");
  return { origin, entryHash: fromHex(entryHex), entryHex, acceptedAt };
}

/** "XXXX-XXXX-XX": the first 50 bits of an entry hash in Crockford base32. */
export function trackingCode(entryHash) {
  let value = 0n;
  for (let i = 0; i < 7; i++) value = (value << 8n) | BigInt(entryHash[i]);
  value >>= 6n;
  let chars = "";
  for (let i = 9; i >= 0; i--) chars += CROCKFORD[Number((value >> BigInt(5 * i)) & 31n)];
  return `${chars.slice(0, 4)}-${chars.slice(4, 8)}-${chars.slice(8)}`;
}

/** The canonical form of a code a person typed, or null if it cannot be one. */
export function normalizeTrackingCode(code) {
  const cleaned = String(code || "").replace(/[-\s]/g, "").toUpperCase().replace(/[IL]/g, "1").replace(/O/g, "0");
  if (cleaned.length !== 10 || [...cleaned].some((c) => !CROCKFORD.includes(c))) return null;
  return `${cleaned.slice(0, 4)}-${cleaned.slice(4, 8)}-${cleaned.slice(8)}`;
}

// --- pinned keys --------------------------------------------------------------------------

/** Parse what the page pinned: {keys, witnesses, quorum, origin, log}. */
export async function loadPinned(pinned) {
  if (!pinned || !Array.isArray(pinned.keys) || !pinned.keys.length || typeof pinned.origin !== "string") {
    throw new VerifyError("key", "the page pins no keys");
  }
  const keys = await Promise.all(pinned.keys.map((k) => parseVerifierKey(k, ALG_ED25519)));
  const witnesses = await Promise.all((pinned.witnesses || []).map((k) => parseVerifierKey(k, ALG_COSIGNATURE_V1)));
  const quorum = Number(pinned.quorum || 0);
  if (!Number.isSafeInteger(quorum) || quorum < 0 || quorum > witnesses.length) {
    throw new VerifyError("key", "the pinned quorum is not between 0 and the number of witnesses");
  }
  return { keys, witnesses, quorum, origin: pinned.origin, log: String(pinned.log || "") };
}

// --- the whole check ----------------------------------------------------------------------

function verdict(state, message, params = {}, error = null) {
  return { state, message, params, reason: error ? error.code || "error" : "", detail: error ? error.detail || String(error) : "" };
}

function asError(e) {
  return e instanceof VerifyError ? e : new VerifyError("error", String((e && e.message) || e));
}

/** The checkpoint note this browser remembers for `origin`, or null. */
export function rememberedNote(storage, origin) {
  const seen = storage ? readSeen(storage, origin) : null;
  return seen && seen.note ? { size: String(seen.size), note: seen.note } : null;
}

function readSeen(storage, origin) {
  try {
    const raw = storage && storage.getItem(STORAGE_PREFIX + origin);
    if (!raw) return null;
    const seen = JSON.parse(raw);
    const size = big(seen.size, "remembered size");
    const root = b64decode(seen.root);
    if (root.length !== HASH_SIZE) return null;
    return { size, root, note: String(seen.note || ""), at: String(seen.at || "") };
  } catch (_) {
    return null;
  }
}

function remember(storage, origin, checkpoint, note, now) {
  try {
    storage.setItem(
      STORAGE_PREFIX + origin,
      JSON.stringify({ size: String(checkpoint.size), root: checkpoint.rootText, note, at: now.toISOString() }),
    );
  } catch (_) {
    // Private mode or full storage: the check itself still stands.
  }
}

/**
 * Checks a checkpoint note: its log signature, the witnesses' quorum, and that it is the same
 * log this browser saw before (consistency with the remembered checkpoint of the origin).
 * Adds verdicts "signature", "witnesses" and "consistency" to `checks`; returns the parsed
 * checkpoint (or null when its body is malformed).
 */
async function checkCheckpoint(note, pinned, http, storage, now, checks, evidence) {
  let checkpoint;
  try {
    checkpoint = parseCheckpoint(parseNote(note).text);
  } catch (e) {
    const error = asError(e);
    for (const name of ["signature", "witnesses", "consistency"]) checks[name] = verdict("fail", `${name}.malformed`, {}, error);
    return null;
  }
  const size = String(checkpoint.size);
  let signed = false;
  try {
    if (checkpoint.origin !== pinned.origin) {
      throw new VerifyError("origin", `checkpoint is for log ${checkpoint.origin}, expected ${pinned.origin}`);
    }
    const opened = await openNote(note, pinned.keys);
    signed = true;
    checks.signature = verdict("pass", "signature.pass", { size, key: opened.signedBy.join(", ") });
  } catch (e) {
    checks.signature = verdict("fail", "signature.fail", { size }, asError(e));
  }

  try {
    const cosigned = await verifyCosignatures(note, pinned.witnesses);
    const params = { have: String(cosigned.length), need: String(pinned.quorum), total: String(pinned.witnesses.length) };
    if (!pinned.witnesses.length) checks.witnesses = verdict("skip", "witnesses.none", params);
    else if (cosigned.length >= pinned.quorum) checks.witnesses = verdict("pass", "witnesses.pass", params);
    else checks.witnesses = verdict("fail", "witnesses.fail", params, new VerifyError("quorum", `${cosigned.length} of ${pinned.quorum} cosignatures`));
  } catch (e) {
    checks.witnesses = verdict("fail", "witnesses.invalid", { need: String(pinned.quorum), total: String(pinned.witnesses.length) }, asError(e));
  }

  if (!storage) {
    // Storage blocked (a widget framed by another site, say): nothing to compare with.
    checks.consistency = verdict("skip", "consistency.nostorage", { size });
    return checkpoint;
  }
  const seen = readSeen(storage, pinned.origin);
  const params = { size, old: seen ? String(seen.size) : "", at: seen ? seen.at : "" };
  try {
    if (!seen || seen.size === 0n) {
      checks.consistency = verdict("pass", "consistency.first", params);
      if (signed) remember(storage, pinned.origin, checkpoint, note, now);
    } else if (seen.size === checkpoint.size) {
      if (!equalBytes(seen.root, checkpoint.root)) {
        evidence.push(seen.note, note);
        throw new VerifyError("fork", `another root for size ${size} than this browser saw before`);
      }
      checks.consistency = verdict("pass", "consistency.same", params);
    } else {
      const [first, second] = seen.size < checkpoint.size ? [seen, checkpoint] : [checkpoint, seen];
      let proof;
      try {
        const answer = await http.json(`${pinned.log}/consistency?first=${first.size}&second=${second.size}`);
        proof = answer.proof.map(b64decode);
      } catch (e) {
        evidence.push(seen.note, note);
        throw new VerifyError("fork", `the log gave no consistency proof from ${first.size} to ${second.size}: ${asError(e).detail}`);
      }
      try {
        await verifyConsistency(first.size, second.size, proof, first.root, second.root);
      } catch (e) {
        evidence.push(seen.note, note);
        throw new VerifyError("fork", `consistency proof from ${first.size} to ${second.size} fails: ${asError(e).detail}`);
      }
      if (seen.size < checkpoint.size) {
        checks.consistency = verdict("pass", "consistency.extends", params);
        if (signed) remember(storage, pinned.origin, checkpoint, note, now);
      } else {
        checks.consistency = verdict("pass", "consistency.older", params);
      }
    }
  } catch (e) {
    checks.consistency = verdict("fail", "consistency.fork", params, asError(e));
  }
  return checkpoint;
}

class HttpError extends VerifyError {
  constructor(status, url) {
    super("http", `${url} answered ${status}`);
    this.status = status;
  }
}

/** fetch() wrapped: json(url) and text(url), throwing HttpError on a non-2xx answer. */
export function httpOf(fetchImpl = (...args) => fetch(...args)) {
  async function get(url, accept) {
    let response;
    try {
      response = await fetchImpl(url, { headers: { Accept: accept }, cache: "no-store", credentials: "omit" });
    } catch (e) {
      throw new VerifyError("network", `${url}: ${asError(e).detail}`);
    }
    if (!response.ok) throw new HttpError(response.status, url);
    return response;
  }
  return {
    async json(url) {
      return (await get(url, "application/json")).json();
    },
    async text(url) {
      return (await get(url, "text/plain")).text();
    },
  };
}

/**
 * Every check of one entry, by its tracking code and/or its signed receipt.
 *
 * Returns {status, code, checks, evidence}: status is "verified", "failed", "pooled",
 * "pending", "not_found", "invalid_code" or "idle" (nothing to check); checks maps "receipt",
 * "inclusion", "signature", "witnesses" and "consistency" to {state: pass|fail|skip|wait,
 * message, params, reason, detail}; evidence lists checkpoint notes that contradict each other.
 */
export async function verifyEntry({ pinned, code = "", receipt = "", http, storage = null, now = new Date() }) {
  const checks = {};
  const evidence = [];
  const result = (status, extra = {}) => ({ status, code: canonical || code, checks, evidence, ...extra });
  let canonical = "";
  let pins;
  try {
    pins = await loadPinned(pinned);
  } catch (e) {
    checks.signature = verdict("fail", "keys.fail", {}, asError(e));
    return result("failed");
  }

  // 1. The receipt: signed by the log's pinned key, for this log, for this code.
  let entryHash = null;
  const typed = code ? normalizeTrackingCode(code) : "";
  if (code && !typed) return result("invalid_code");
  canonical = typed || "";
  if (receipt && receipt.trim()) {
    try {
      // As pasted: line ends of any system, and the final newline a text field may drop.
      const note = receipt.replace(/\r\n?/g, "\n").replace(/\s+$/, "") + "\n";
      const opened = await openNote(note, pins.keys);
      const parsed = parseReceipt(opened.text);
      if (parsed.origin !== pins.origin) {
        throw new VerifyError("origin", `receipt is for log ${parsed.origin}, expected ${pins.origin}`);
      }
      const receiptCode = trackingCode(parsed.entryHash);
      if (typed && typed !== receiptCode) {
        throw new VerifyError("other-entry", `the receipt is for code ${receiptCode}, not ${typed}`);
      }
      canonical = receiptCode;
      entryHash = parsed.entryHash;
      const at = `${parsed.acceptedAt.slice(0, 10)} ${parsed.acceptedAt.slice(11, 16)} UTC`;
      checks.receipt = verdict("pass", "receipt.pass", { code: receiptCode, at, key: opened.signedBy.join(", ") });
    } catch (e) {
      checks.receipt = verdict("fail", "receipt.fail", {}, asError(e));
    }
  } else {
    checks.receipt = verdict("skip", "receipt.none");
  }
  if (!canonical) return result(checks.receipt.state === "fail" ? "failed" : "idle");

  // 2. Where the entry is: in the log with an inclusion proof, or still waiting in the pool.
  let tracking;
  try {
    tracking = await http.json(`${pins.log}/tracking/${encodeURIComponent(canonical)}`);
  } catch (e) {
    if (e instanceof HttpError && e.status === 404 && !entryHash) return result("not_found");
    if (e instanceof HttpError && e.status === 404) {
      checks.inclusion = verdict("fail", "inclusion.missing", { code: canonical }, asError(e));
      return result("failed");
    }
    checks.inclusion = verdict("fail", "inclusion.unavailable", {}, asError(e));
    return result("failed");
  }

  if (!tracking || typeof tracking !== "object") {
    checks.inclusion = verdict("fail", "inclusion.unavailable", {}, new VerifyError("malformed", "the tracking answer is not an object"));
    return result("failed");
  }
  if (tracking.status === "pooled" || tracking.status === "accepted") {
    const pooled = tracking.status === "pooled";
    const pool = tracking.pool || {};
    checks.inclusion = verdict("wait", pooled ? "inclusion.pooled" : "inclusion.pending", {
      code: canonical,
      waiting: String(pool.waiting ?? ""),
      batch: String(pool.batch ?? ""),
    });
    // The log's latest checkpoint is still worth checking: it is what this browser will
    // hold the log to when the ballot enters it.
    let note = null;
    try {
      note = await http.text(`${pins.log}/checkpoint`);
    } catch (_) {
      note = null;
    }
    if (note) await checkCheckpoint(note, pins, http, storage, now, checks, evidence);
    else for (const name of ["signature", "witnesses", "consistency"]) checks[name] = verdict("wait", "checkpoint.none");
    const failed = Object.values(checks).some((c) => c.state === "fail");
    return result(failed ? "failed" : pooled ? "pooled" : "pending", { pool });
  }

  let inclusion = tracking.inclusion;
  const served = tracking.entry_hash || "";
  if (entryHash && served !== toHex(entryHash)) {
    // Two entries share the code (rare) or the server named another entry: ask by hash.
    try {
      inclusion = await http.json(`${pins.log}/inclusion?entry_hash=${toHex(entryHash)}`);
    } catch (e) {
      checks.inclusion = verdict("fail", "inclusion.missing", { code: canonical }, asError(e));
      return result("failed");
    }
  }
  if (!inclusion || typeof inclusion.checkpoint !== "string") {
    checks.inclusion = verdict("fail", "inclusion.unavailable", {}, new VerifyError("malformed", "no inclusion proof in the answer"));
    return result("failed");
  }
  const checkpoint = await checkCheckpoint(inclusion.checkpoint, pins, http, storage, now, checks, evidence);

  // 3. The inclusion proof leads from the entry to the checkpoint's root.
  const index = String(inclusion.leaf_index);
  try {
    if (!checkpoint) throw new VerifyError("malformed", "the checkpoint is malformed");
    let leaf = entryHash;
    if (!leaf) {
      leaf = fromHex(served);
      if (leaf.length !== HASH_SIZE || trackingCode(leaf) !== canonical) {
        throw new VerifyError("other-entry", `the log answered with entry ${served}, which does not have code ${canonical}`);
      }
    }
    if (big(inclusion.tree_size, "tree size") !== checkpoint.size) {
      throw new VerifyError("proof", `proof for size ${inclusion.tree_size}, checkpoint of size ${checkpoint.size}`);
    }
    const proof = (inclusion.proof || []).map(b64decode);
    await verifyInclusion(big(inclusion.leaf_index, "leaf index"), checkpoint.size, leaf, proof, checkpoint.root);
    checks.inclusion = verdict("pass", "inclusion.pass", { code: canonical, index, size: String(checkpoint.size) });
  } catch (e) {
    checks.inclusion = verdict("fail", "inclusion.fail", { code: canonical, index }, asError(e));
  }
  const failed = Object.values(checks).some((c) => c.state === "fail");
  return result(failed ? "failed" : "verified", {
    leafIndex: index,
    treeSize: checkpoint ? String(checkpoint.size) : "",
    root: checkpoint ? checkpoint.rootText : "",
    checkpoint: inclusion.checkpoint,
  });
}
