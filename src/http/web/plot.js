// The map view's geometry: scales the players' x/y extent into a canvas. The pure part
// (fitView, project) is tested by Deno; draw() runs in the browser.

/**
 * @typedef {{ id: number, name: string, x: number, y: number, color: string }} Dot
 * @typedef {{ minX: number, minY: number, scale: number, offsetX: number, offsetY: number,
 *   width: number, height: number }} View
 */

/**
 * A view that fits every dot in a `width` × `height` canvas with `padding` pixels around,
 * keeping the aspect ratio (a race track must not look squashed), with at least `minSpan`
 * world units across so a lone player sits in the middle instead of filling the canvas.
 *
 * @param {readonly { x: number, y: number }[]} dots
 * @param {number} width
 * @param {number} height
 * @param {number} [padding]
 * @param {number} [minSpan]
 * @returns {View}
 */
export function fitView(dots, width, height, padding = 28, minSpan = 512) {
  let minX = Infinity, maxX = -Infinity, minY = Infinity, maxY = -Infinity;
  for (const dot of dots) {
    if (!Number.isFinite(dot.x) || !Number.isFinite(dot.y)) continue;
    minX = Math.min(minX, dot.x);
    maxX = Math.max(maxX, dot.x);
    minY = Math.min(minY, dot.y);
    maxY = Math.max(maxY, dot.y);
  }
  if (minX > maxX) {
    minX =
      maxX =
      minY =
      maxY =
        0;
  }
  const spanX = Math.max(maxX - minX, minSpan);
  const spanY = Math.max(maxY - minY, minSpan);
  const innerW = Math.max(1, width - 2 * padding);
  const innerH = Math.max(1, height - 2 * padding);
  const scale = Math.min(innerW / spanX, innerH / spanY);
  // Centre the players' extent in the canvas.
  const centerX = (minX + maxX) / 2;
  const centerY = (minY + maxY) / 2;
  return {
    minX: centerX - width / 2 / scale,
    minY: centerY - height / 2 / scale,
    scale,
    offsetX: width / 2 - centerX * scale,
    offsetY: height / 2 + centerY * scale,
    width,
    height,
  };
}

/**
 * Canvas pixel of a world position: x to the right, y up (a top-down view of the map).
 *
 * @param {View} view
 * @param {number} x
 * @param {number} y
 * @returns {{ px: number, py: number }}
 */
export function project(view, x, y) {
  return { px: view.offsetX + x * view.scale, py: view.offsetY - y * view.scale };
}

/**
 * Draws the dots with their names on a canvas of the canvas's own size.
 *
 * @param {HTMLCanvasElement} canvas
 * @param {readonly Dot[]} dots
 */
export function draw(canvas, dots) {
  const ratio = globalThis.devicePixelRatio || 1;
  const width = canvas.clientWidth || 320;
  const height = canvas.clientHeight || 240;
  if (canvas.width !== Math.round(width * ratio) || canvas.height !== Math.round(height * ratio)) {
    canvas.width = Math.round(width * ratio);
    canvas.height = Math.round(height * ratio);
  }
  const context = canvas.getContext("2d");
  if (!context) return;
  context.setTransform(ratio, 0, 0, ratio, 0, 0);
  const style = getComputedStyle(canvas);
  context.fillStyle = style.getPropertyValue("--plot-bg").trim() || "#11151c";
  context.fillRect(0, 0, width, height);
  const view = fitView(dots, width, height);
  // A faint grid, 256 world units apart when that is at least 16 px, so distances read.
  let step = 256;
  while (step * view.scale < 16) step *= 2;
  context.strokeStyle = style.getPropertyValue("--plot-grid").trim() || "#222a36";
  context.lineWidth = 1;
  context.beginPath();
  const startX = Math.floor(view.minX / step) * step;
  for (let x = startX; project(view, x, 0).px < width; x += step) {
    const { px } = project(view, x, 0);
    context.moveTo(Math.round(px) + 0.5, 0);
    context.lineTo(Math.round(px) + 0.5, height);
  }
  const startY = Math.floor(view.minY / step) * step;
  for (let y = startY; project(view, 0, y).py > 0; y += step) {
    const { py } = project(view, 0, y);
    context.moveTo(0, Math.round(py) + 0.5);
    context.lineTo(width, Math.round(py) + 0.5);
  }
  context.stroke();
  context.font = "13px system-ui, sans-serif";
  context.textBaseline = "middle";
  for (const dot of dots) {
    if (!Number.isFinite(dot.x) || !Number.isFinite(dot.y)) continue;
    const { px, py } = project(view, dot.x, dot.y);
    context.beginPath();
    context.arc(px, py, 6, 0, Math.PI * 2);
    context.fillStyle = dot.color;
    context.fill();
    // A light ring: SAR's default ghost colour is black, which a dark background would hide.
    context.lineWidth = 1.5;
    context.strokeStyle = "rgba(242,244,248,0.9)";
    context.stroke();
    const label = dot.name.length > 32 ? dot.name.slice(0, 31) + "…" : dot.name;
    // Names go right of the dot, or left of it where they would run off the canvas.
    const right = px + 10 + context.measureText(label).width <= width - 2;
    context.textAlign = right ? "left" : "right";
    const lx = right ? px + 10 : px - 10;
    const ly = Math.min(Math.max(py, 8), height - 8);
    context.lineWidth = 3;
    context.strokeStyle = "rgba(0,0,0,0.8)";
    context.strokeText(label, lx, ly);
    context.fillStyle = "#f2f4f8";
    context.fillText(label, lx, ly);
  }
}
