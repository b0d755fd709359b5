// groundup playground: the page only draws. Every number comes from the server, which trains
// groundup's engines; this file sends the controls' changes and draws the frames it receives.
"use strict";

const CHOICES = {
  lr: [0.00001, 0.0001, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1, 3, 10],
  regularization: ["none", "l1", "l2"],
  reg_rate: [0, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1, 3, 10],
  problem: ["classification", "regression"],
  optimizer: ["sgd", "momentum", "adam"],
  engine: ["scratch", "autograd", "torch"],
};
const ACTIVATIONS = ["relu", "leaky_relu", "tanh", "sigmoid", "gelu", "linear"];
const MIXED = "(per layer)";  // the all-layers select when the layers differ
const DATASETS = {
  classification: ["circle", "xor", "gauss", "spiral", "moons"],
  regression: ["plane", "multigauss"],
};
const FEATURES = { x1: "X\u2081", x2: "X\u2082", "x1^2": "X\u2081\u00b2", "x2^2": "X\u2082\u00b2",
  x1x2: "X\u2081X\u2082", sin_x1: "sin(X\u2081)", sin_x2: "sin(X\u2082)" };
const FEATURE_FN = { x1: (a, b) => a, x2: (a, b) => b, "x1^2": (a, b) => a * a,
  "x2^2": (a, b) => b * b, x1x2: (a, b) => a * b, sin_x1: (a, b) => Math.sin(a),
  sin_x2: (a, b) => Math.sin(b) };
// class colours: 0 orange, 1 blue (TensorFlow Playground's pair), then six more
const CLASS_RGB = [[245, 147, 34], [8, 119, 189], [44, 160, 44], [148, 103, 189],
  [214, 39, 40], [140, 86, 75], [227, 119, 194], [127, 127, 127]];
const ORANGE = CLASS_RGB[0], BLUE = CLASS_RGB[1];
const MAX_UPLOAD_BYTES = 1000000;  // a little under the server's MAX_UPLOAD (1 MiB)

const $ = (id) => document.getElementById(id);
const state = { settings: null, data: null, frame: null, playing: false, curve: [],
  hover: null, nodes: [] };
// what the benchmark and the browser tests read (window.playground: the page's state)
window.playground = state;
window.playgroundStats = { framesDrawn: 0, firstFrameAt: null, lastFrameAt: null, drawMs: 0 };

// ---------------------------------------------------------------------------- the socket
const ws = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/ws");
const send = (msg) => { if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(msg)); };
ws.onopen = () => send({ type: "load", query: location.hash.slice(1) });
ws.onclose = () => showMessage("the server has stopped; start groundup playground again and reload", true);
ws.onmessage = (event) => {
  const msg = JSON.parse(event.data);
  ({ settings: onSettings, data: onData, frame: onFrame, paused: onPaused, error: onError,
     saved: onSaved, png: onPng })[msg.type]?.(msg);
};

function onSettings(msg) {
  state.settings = msg.settings;
  history.replaceState(null, "", "#" + msg.query);
  showControls();
}
function onData(msg) { state.data = msg; }
function onFrame(msg) {
  if (msg.epoch === 0 || (state.frame && msg.epoch < state.frame.epoch)) state.curve = [];
  state.curve.push([msg.train_loss, msg.test_loss]);
  state.frame = msg;
  setPlaying(msg.playing);
  requestAnimationFrame(() => {
    const start = performance.now();
    draw();
    const stats = window.playgroundStats, now = performance.now();
    stats.drawMs += now - start;
    stats.framesDrawn += 1;
    stats.firstFrameAt ??= now;
    stats.lastFrameAt = now;
    if (msg.playing) send({ type: "drawn" });  // flow control: the next epoch's frame, please
  });
}
function onPaused() { setPlaying(false); }
function onError(msg) { setPlaying(false); showMessage(msg.message, true); }
function onSaved(msg) { showMessage("saved run: " + msg.path + "  (groundup evaluate " + msg.path + ")"); }
function onPng(msg) {
  const link = document.createElement("a");
  link.href = "data:image/png;base64," + msg.data;
  link.download = msg.name;
  document.body.appendChild(link);
  link.click();
  link.remove();
  showMessage("boundary grid downloaded: " + msg.name);
}
function showMessage(text, error = false) {
  const el = $("message");
  el.textContent = text;
  el.className = error ? "error" : "";
}
function setPlaying(playing) {
  state.playing = playing;
  $("play").innerHTML = playing ? "&#10074;&#10074;" : "&#9654;";
}

// ---------------------------------------------------------------------------- controls
const change = (changes) => { showMessage(""); send({ type: "set", changes }); };

function fillSelect(id, values, current) {
  const el = $(id);
  const all = values.includes(current) ? values : [...values, current];
  el.innerHTML = all.map((v) => `<option value="${v}">${v}</option>`).join("");
  el.value = String(current);
}

function showControls() {
  const s = state.settings;
  for (const [id, values] of Object.entries(CHOICES)) fillSelect(id, values, s[id]);
  const same = s.activations.every((a) => a === s.activations[0]);
  fillSelect("activation", ACTIVATIONS, same && s.activations.length ? s.activations[0] : MIXED);
  fillSelect("dataset", DATASETS[s.problem].concat(s.dataset === "upload" ? ["upload"] : []), s.dataset);
  for (const id of ["classes", "train_percent", "noise", "batch_size", "points"]) {
    $(id).value = s[id];
    $(id + "-out").textContent = s[id];
  }
  $("classes").disabled = !["gauss", "spiral"].includes(s.dataset);
  $("show_test").checked = s.show_test;
  $("discretize").checked = s.discretize;
  $("layer-count").textContent = s.hidden.length;
  $("layer-controls").innerHTML = s.hidden.map((n, i) =>
    `<span>layer ${i + 1}: <button data-layer="${i}" data-d="1">+</button>` +
    `<button data-layer="${i}" data-d="-1">&minus;</button> ${n} neurons ` +
    `<select id="activation-${i}" data-layer="${i}" title="layer ${i + 1}'s activation">` +
    ACTIVATIONS.map((a) => `<option value="${a}"${a === s.activations[i] ? " selected" : ""}>` +
      `${a}</option>`).join("") + `</select></span>`).join("");
  $("features").innerHTML = Object.entries(FEATURES).map(([key, label]) =>
    `<label><input type="checkbox" id="feat-${key}" data-feature="${key}"` +
    `${s.features.includes(key) ? " checked" : ""}> ${label}</label>`).join("");
}

for (const id of ["lr", "reg_rate"]) $(id).onchange = (e) => change({ [id]: Number(e.target.value) });
$("activation").onchange = (e) => {  // one activation for every hidden layer
  if (ACTIVATIONS.includes(e.target.value)) change({ activation: e.target.value });
};
for (const id of ["regularization", "problem", "optimizer", "engine", "dataset"]) {
  $(id).onchange = (e) => change({ [id]: e.target.value });
}
for (const id of ["classes", "train_percent", "noise", "batch_size", "points"]) {
  $(id).oninput = (e) => { $(id + "-out").textContent = e.target.value; };
  $(id).onchange = (e) => change({ [id]: Number(e.target.value) });
}
$("show_test").onchange = (e) => change({ show_test: e.target.checked });
$("discretize").onchange = (e) => {
  change({ discretize: e.target.checked });
  state.settings.discretize = e.target.checked;  // redraw now; the server echoes it back
  if (state.frame) draw();
};
$("play").onclick = () => send({ type: state.playing ? "pause" : "play" });
$("step").onclick = () => send({ type: "step" });
$("reset").onclick = () => send({ type: "reset" });
$("regenerate").onclick = () => send({ type: "regenerate" });
$("save").onclick = () => { showMessage("saving…"); send({ type: "save" }); };
$("png").onclick = () => { showMessage("training a copy to iteration 2,000…"); send({ type: "png" }); };
$("layer-add").onclick = () => change({ hidden: [...state.settings.hidden, 2] });
$("layer-remove").onclick = () => change({ hidden: state.settings.hidden.slice(0, -1) });
$("layer-controls").onchange = (e) => {  // one hidden layer's activation
  const layer = e.target.dataset.layer;
  if (e.target.tagName !== "SELECT" || layer === undefined) return;
  const activations = [...state.settings.activations];
  activations[layer] = e.target.value;
  change({ activations });
};
$("layer-controls").onclick = (e) => {
  const layer = e.target.dataset.layer;
  if (e.target.tagName !== "BUTTON" || layer === undefined) return;
  const hidden = [...state.settings.hidden];
  hidden[layer] += Number(e.target.dataset.d);
  change({ hidden });  // the server refuses 0 or too many neurons with a message
};
$("features").onchange = (e) => {
  const key = e.target.dataset.feature;
  const chosen = new Set(state.settings.features);
  if (e.target.checked) chosen.add(key); else chosen.delete(key);
  change({ features: Object.keys(FEATURES).filter((k) => chosen.has(k)) });
};
$("upload").onchange = async (e) => {
  const file = e.target.files[0];
  if (!file) return;
  if (file.size > MAX_UPLOAD_BYTES) {  // the server refuses it too; this saves sending it
    showMessage(`${file.name} is ${(file.size / 1e6).toFixed(1)} MB; the playground takes CSV ` +
      `files up to ${MAX_UPLOAD_BYTES / 1e6} MB (5,000 points)`, true);
    e.target.value = "";
    return;
  }
  showMessage("reading " + file.name + "…");
  send({ type: "upload", name: file.name, text: await file.text() });
  e.target.value = "";
};

// ---------------------------------------------------------------------------- drawing
function decode(b64) {
  const bin = atob(b64), out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}
// a value in [-1, 1] (byte 0..255) -> orange .. white .. blue
function signedRGB(byte) {
  const v = byte / 127.5 - 1, c = v < 0 ? ORANGE : BLUE, t = Math.min(1, Math.abs(v));
  return [255 + (c[0] - 255) * t, 255 + (c[1] - 255) * t, 255 + (c[2] - 255) * t];
}
const SIGNED_LUT = new Uint8ClampedArray(256 * 3);  // byte -> its colour, worked out once
for (let v = 0; v < 256; v++) SIGNED_LUT.set(signedRGB(v), 3 * v);

// A picture is a small offscreen canvas, R x R, reused from frame to frame under its name.
const canvases = new Map();
function picture(name, res, fill) {
  let canvas = canvases.get(name);
  if (!canvas || canvas.width !== res) {
    canvas = document.createElement("canvas");
    canvas.width = canvas.height = res;
    canvases.set(name, canvas);
  }
  const ctx = canvas.getContext("2d"), img = ctx.createImageData(res, res);
  fill(img.data, res * res);
  ctx.putImageData(img, 0, 0);
  return canvas;
}
// bytes of values in [-1, 1] -> orange .. white .. blue
const signedFill = (bytes) => (px, n) => {
  for (let i = 0; i < n; i++) {
    const j = 3 * bytes[i];
    px[4 * i] = SIGNED_LUT[j]; px[4 * i + 1] = SIGNED_LUT[j + 1]; px[4 * i + 2] = SIGNED_LUT[j + 2];
    px[4 * i + 3] = 160;
  }
};
// class probabilities (planes of n bytes) -> the class colours mixed by probability, faded to
// white where the network is unsure (the largest probability near 1 / C)
const classFill = (bytes, planes) => (px, n) => {
  for (let i = 0; i < n; i++) {
    let r = 0, g = 0, b = 0, top = 0;
    for (let k = 0; k < planes; k++) {
      const p = bytes[k * n + i] / 255, c = CLASS_RGB[k % CLASS_RGB.length];
      r += p * c[0]; g += p * c[1]; b += p * c[2];
      if (p > top) top = p;
    }
    const sure = Math.min(1, Math.max(0, (top - 1 / planes) / (1 - 1 / planes)));
    px[4 * i] = 255 + (r - 255) * sure; px[4 * i + 1] = 255 + (g - 255) * sure;
    px[4 * i + 2] = 255 + (b - 255) * sure; px[4 * i + 3] = 160;
  }
};
// "Discretize output": each pixel in its predicted class's colour at full strength, the map
// without the shades of confidence (a sign for one output, the most probable class for several)
function discrete(bytes, planes, n) {
  if (!planes) return bytes.map((b) => (b >= 128 ? 255 : 0));  // value >= 0 -> +1, else -1
  const out = new Uint8Array(bytes.length);
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let k = 1; k < planes; k++) if (bytes[k * n + i] > bytes[best * n + i]) best = k;
    out[best * n + i] = 255;
  }
  return out;
}
function outputPicture(f) {
  let bytes = decode(f.output);
  if (state.settings?.discretize) bytes = discrete(bytes, f.planes, f.resolution * f.resolution);
  return picture("output", f.resolution, f.planes ? classFill(bytes, f.planes) : signedFill(bytes));
}
const featureCache = {};
function featurePicture(key) {
  if (!featureCache[key]) {
    const res = 20, d = 6, vals = [];
    for (let i = 0; i < res * res; i++) {
      const x1 = -d + (2 * d / res) * ((i % res) + 0.5), x2 = d - (2 * d / res) * (Math.floor(i / res) + 0.5);
      vals.push(FEATURE_FN[key](x1, x2));
    }
    const top = Math.max(...vals.map(Math.abs)) || 1;
    featureCache[key] = picture("feature " + key, res,
      signedFill(vals.map((v) => Math.round((v / top + 1) * 127.5))));
  }
  return featureCache[key];
}

function draw() {
  const f = state.frame;
  if (!f || !state.settings) return;
  $("epoch").textContent = String(f.epoch).padStart(6, "0").replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  $("test-loss").textContent = Number.isFinite(f.test_loss) ? f.test_loss.toFixed(3) : "–";
  $("train-loss").textContent = Number.isFinite(f.train_loss) ? f.train_loss.toFixed(3) : "–";
  f.outputPicture = outputPicture(f);
  f.neuronPictures = f.neurons.map((layer, l) => layer.map((b, j) =>
    picture(`neuron ${l} ${j}`, f.neuron_resolution, signedFill(decode(b)))));
  drawNetwork(f);
  if (state.hover) state.hover = state.nodes.find((n) => n.label === state.hover.label) || null;
  drawHeatmap(f);
  drawCurve();
}

function drawHeatmap(f) {
  const canvas = $("heatmap"), ctx = canvas.getContext("2d"), W = canvas.width;
  const hover = state.hover;
  ctx.clearRect(0, 0, W, W);
  ctx.imageSmoothingEnabled = true;
  ctx.drawImage(hover ? hover.picture : f.outputPicture, 0, 0, W, W);
  $("heatmap-title").textContent = hover ? hover.label : "output";
  const d = state.data, half = d.domain, toPx = (v) => (v + half) / (2 * half) * W;
  const dot = (row, stroke) => {
    const [x, y, label] = row;
    ctx.beginPath();
    ctx.arc(toPx(x), W - toPx(y), 3, 0, 2 * Math.PI);
    ctx.fillStyle = d.classes.length ? `rgb(${CLASS_RGB[label % CLASS_RGB.length]})`
      : `rgb(${signedRGB((label + 1) * 127.5).map(Math.round)})`;
    ctx.fill();
    ctx.strokeStyle = stroke;
    ctx.stroke();
  };
  for (const row of d.train) dot(row, "#fff");
  if (state.settings.show_test) for (const row of d.test) dot(row, "#000");
}

function drawCurve() {
  const canvas = $("curve"), ctx = canvas.getContext("2d"), W = canvas.width, H = canvas.height;
  ctx.clearRect(0, 0, W, H);
  const pts = state.curve;
  if (pts.length < 2) return;
  const top = Math.max(...pts.flat().filter(Number.isFinite)) || 1;
  for (const [k, colour] of [[0, "#999"], [1, "#000"]]) {
    ctx.beginPath();
    pts.forEach((p, i) => {
      const x = (i / (pts.length - 1)) * W, y = H - (p[k] / top) * (H - 4) - 2;
      i ? ctx.lineTo(x, y) : ctx.moveTo(x, y);
    });
    ctx.strokeStyle = colour;
    ctx.stroke();
  }
}

function drawNetwork(f) {
  const canvas = $("network"), ctx = canvas.getContext("2d"), W = canvas.width, H = canvas.height;
  const s = state.settings;
  const outputs = f.weights[f.weights.length - 1].length;  // 1 logit, or one per class
  const columns = [s.features.length, ...s.hidden, outputs];
  const most = Math.max(...columns);
  const size = Math.max(10, Math.min(36, (H - 20) / most - 6));
  const gapX = (W - size - 20) / (columns.length - 1);
  const pos = columns.map((n, c) => Array.from({ length: n }, (_, j) =>
    [10 + c * gapX, H / 2 + (j - (n - 1) / 2) * (size + 6) - size / 2]));
  ctx.clearRect(0, 0, W, H);
  // links: width by |w|, blue for w > 0, orange for w < 0
  f.weights.forEach((Wl, l) => {
    Wl.forEach((row, j) => row.forEach((w, i) => {
      const [x0, y0] = pos[l][i], [x1, y1] = pos[l + 1][j];
      const c = w > 0 ? BLUE : ORANGE;
      ctx.strokeStyle = `rgba(${c},${Math.min(1, 0.25 + Math.abs(w) / 2)})`;
      ctx.lineWidth = Math.min(8, 0.5 + 1.5 * Math.abs(w));
      ctx.beginPath();
      ctx.moveTo(x0 + size, y0 + size / 2);
      ctx.bezierCurveTo((x0 + size + x1) / 2, y0 + size / 2, (x0 + size + x1) / 2, y1 + size / 2, x1, y1 + size / 2);
      ctx.stroke();
    }));
  });
  // nodes: each one's picture over the square
  state.nodes = [];
  const node = (x, y, picture, label) => {
    ctx.imageSmoothingEnabled = true;
    ctx.fillStyle = "#fff";
    ctx.fillRect(x, y, size, size);
    ctx.drawImage(picture, x, y, size, size);
    ctx.strokeStyle = "#555";
    ctx.lineWidth = 1;
    ctx.strokeRect(x, y, size, size);
    state.nodes.push({ x, y, size, picture, label });
  };
  s.features.forEach((key, i) => node(...pos[0][i], featurePicture(key), "input " + FEATURES[key]));
  s.hidden.forEach((n, l) => f.neuronPictures[l].forEach((p, j) =>
    node(...pos[l + 1][j], p, `layer ${l + 1}, neuron ${j + 1}`)));
  if (outputs === 1) node(...pos[columns.length - 1][0], f.outputPicture, "output");
  else classPictures(f).forEach((p, k) => node(...pos[columns.length - 1][k], p, "output"));
}

// one picture per class: where the network gives it a high probability
function classPictures(f) {
  const bytes = decode(f.output), n = f.resolution * f.resolution;
  return Array.from({ length: f.planes }, (_, k) => picture("class " + k, f.resolution, (px) => {
    const c = CLASS_RGB[k % CLASS_RGB.length];
    for (let i = 0; i < n; i++) {
      const p = bytes[k * n + i] / 255;
      px[4 * i] = 255 + (c[0] - 255) * p; px[4 * i + 1] = 255 + (c[1] - 255) * p;
      px[4 * i + 2] = 255 + (c[2] - 255) * p; px[4 * i + 3] = 160;
    }
  }));
}

$("network").onmousemove = (e) => {
  const canvas = e.target, r = canvas.getBoundingClientRect();
  const x = (e.clientX - r.left) * canvas.width / r.width, y = (e.clientY - r.top) * canvas.height / r.height;
  const hit = state.nodes.find((n) => x >= n.x && x <= n.x + n.size && y >= n.y && y <= n.y + n.size);
  const next = hit && hit.label !== "output" ? hit : null;
  if (next?.label !== state.hover?.label) {
    state.hover = next;
    if (state.frame?.outputPicture) drawHeatmap(state.frame);
  }
};
$("network").onmouseleave = () => { state.hover = null; if (state.frame?.outputPicture) drawHeatmap(state.frame); };
