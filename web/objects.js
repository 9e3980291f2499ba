// Canvas shapes for the things you work with: resource nodes (a tree, a rock, a fishing spot,
// an herb, picked by the node's id) dimmed while depleted, crafting stations (anvil, campfire,
// furnace, workbench), the small cast bar over a caster and the area a ground ability would
// hit. All drawn with plain canvas paths around a tile's centre; nothing here changes state.

/** Which shape a node id gets: copper_rock -> rock, oak_tree -> tree, ... */
export function nodeShape(id) {
  const s = String(id || "");
  if (/tree|log|oak|pine|willow|wood|birch/.test(s)) return "tree";
  if (/fish|pool|spot|pond/.test(s)) return "fish";
  if (/herb|flower|bush|plant|weed|root|moss/.test(s)) return "herb";
  return "rock";
}

/** A resource node at tile centre (cx, cy), tile size t. */
export function drawNode(ctx, e, cx, cy, t, now) {
  const s = t / 32;
  ctx.save();
  if (e.depleted) ctx.globalAlpha = 0.35;
  switch (nodeShape(e.node)) {
    case "tree":
      ctx.fillStyle = "#5b3a1e";
      ctx.fillRect(cx - 3 * s, cy + 2 * s, 6 * s, 12 * s);
      ctx.fillStyle = e.depleted ? "#6d7b5a" : "#2f7d32";
      ctx.strokeStyle = "#1b4a1d";
      ctx.lineWidth = 1.5 * s;
      ctx.beginPath();
      ctx.arc(cx, cy - 6 * s, 10 * s, 0, Math.PI * 2);
      ctx.arc(cx - 7 * s, cy, 7 * s, 0, Math.PI * 2);
      ctx.arc(cx + 7 * s, cy, 7 * s, 0, Math.PI * 2);
      ctx.fill();
      ctx.stroke();
      break;
    case "fish": {
      const ripple = (now / 900) % 1;
      ctx.strokeStyle = "rgba(200,235,255,0.85)";
      ctx.lineWidth = 1.5 * s;
      for (const k of [ripple, (ripple + 0.5) % 1]) {
        ctx.globalAlpha = (e.depleted ? 0.35 : 1) * (1 - k);
        ctx.beginPath();
        ctx.ellipse(cx, cy + 3 * s, (4 + 10 * k) * s, (2 + 5 * k) * s, 0, 0, Math.PI * 2);
        ctx.stroke();
      }
      ctx.globalAlpha = e.depleted ? 0.35 : 1;
      // A fish's back and tail breaking the water.
      ctx.fillStyle = "#5d8fb0";
      ctx.beginPath();
      ctx.ellipse(cx, cy, 6 * s, 2.5 * s, 0, Math.PI, 0);
      ctx.fill();
      ctx.beginPath();
      ctx.moveTo(cx + 5 * s, cy);
      ctx.lineTo(cx + 10 * s, cy - 4 * s);
      ctx.lineTo(cx + 10 * s, cy + 1 * s);
      ctx.closePath();
      ctx.fill();
      break;
    }
    case "herb":
      ctx.strokeStyle = "#2e6b2a";
      ctx.lineWidth = 2 * s;
      for (const a of [-0.7, -0.25, 0.25, 0.7]) {
        ctx.beginPath();
        ctx.moveTo(cx, cy + 10 * s);
        ctx.quadraticCurveTo(cx + a * 8 * s, cy, cx + a * 14 * s, cy - 6 * s);
        ctx.stroke();
      }
      if (!e.depleted) {
        ctx.fillStyle = "#c77dff";
        for (const [dx, dy] of [[-9, -5], [9, -5], [0, -9]]) {
          ctx.beginPath();
          ctx.arc(cx + dx * s, cy + dy * s, 2.6 * s, 0, Math.PI * 2);
          ctx.fill();
        }
      }
      break;
    default: {
      ctx.fillStyle = "#7d7f86";
      ctx.strokeStyle = "#3c3d42";
      ctx.lineWidth = 1.5 * s;
      ctx.beginPath();
      ctx.moveTo(cx - 12 * s, cy + 10 * s);
      ctx.lineTo(cx - 9 * s, cy - 4 * s);
      ctx.lineTo(cx - 2 * s, cy - 10 * s);
      ctx.lineTo(cx + 8 * s, cy - 6 * s);
      ctx.lineTo(cx + 12 * s, cy + 10 * s);
      ctx.closePath();
      ctx.fill();
      ctx.stroke();
      if (!e.depleted) {
        // Flecks of ore: copper, tin, iron, gold by the id.
        const id = String(e.node || "");
        ctx.fillStyle = /copper/.test(id) ? "#d9823b" : /tin/.test(id) ? "#d5dde0" : /gold/.test(id) ? "#f2c94c" : "#a0522d";
        for (const [dx, dy] of [[-5, 0], [3, -3], [5, 5], [-2, 6]]) ctx.fillRect(cx + dx * s, cy + dy * s, 3 * s, 3 * s);
      }
    }
  }
  ctx.restore();
}

/** A crafting station at tile centre (cx, cy). */
export function drawStation(ctx, e, cx, cy, t, now) {
  const s = t / 32;
  ctx.save();
  ctx.lineWidth = 1.5 * s;
  switch (e.station) {
    case "anvil":
      ctx.fillStyle = "#4b4e57";
      ctx.strokeStyle = "#1f2126";
      ctx.fillRect(cx - 4 * s, cy + 1 * s, 8 * s, 8 * s);
      ctx.fillRect(cx - 9 * s, cy + 8 * s, 18 * s, 4 * s);
      ctx.beginPath();
      ctx.moveTo(cx - 13 * s, cy - 5 * s);
      ctx.lineTo(cx + 10 * s, cy - 5 * s);
      ctx.lineTo(cx + 13 * s, cy - 2 * s);
      ctx.lineTo(cx + 10 * s, cy + 1 * s);
      ctx.lineTo(cx - 8 * s, cy + 1 * s);
      ctx.closePath();
      ctx.fill();
      ctx.stroke();
      break;
    case "furnace":
      ctx.fillStyle = "#8a5a44";
      ctx.strokeStyle = "#3b2418";
      ctx.beginPath();
      ctx.moveTo(cx - 12 * s, cy + 12 * s);
      ctx.lineTo(cx - 10 * s, cy - 8 * s);
      ctx.quadraticCurveTo(cx, cy - 16 * s, cx + 10 * s, cy - 8 * s);
      ctx.lineTo(cx + 12 * s, cy + 12 * s);
      ctx.closePath();
      ctx.fill();
      ctx.stroke();
      ctx.fillStyle = `rgba(255,${140 + Math.round(40 * Math.sin(now / 150))},40,0.95)`;
      ctx.beginPath();
      ctx.arc(cx, cy + 5 * s, 5 * s, Math.PI, 0);
      ctx.lineTo(cx + 5 * s, cy + 10 * s);
      ctx.lineTo(cx - 5 * s, cy + 10 * s);
      ctx.closePath();
      ctx.fill();
      break;
    case "workbench":
      ctx.fillStyle = "#9c6b3c";
      ctx.strokeStyle = "#4a2f14";
      ctx.fillRect(cx - 13 * s, cy - 4 * s, 26 * s, 6 * s);
      ctx.strokeRect(cx - 13 * s, cy - 4 * s, 26 * s, 6 * s);
      ctx.fillRect(cx - 11 * s, cy + 2 * s, 4 * s, 10 * s);
      ctx.fillRect(cx + 7 * s, cy + 2 * s, 4 * s, 10 * s);
      // A saw on the top.
      ctx.fillStyle = "#c9ced6";
      ctx.fillRect(cx - 6 * s, cy - 8 * s, 10 * s, 3 * s);
      break;
    default: {
      // A campfire: logs crossed under a flickering flame.
      ctx.strokeStyle = "#5b3a1e";
      ctx.lineWidth = 4 * s;
      ctx.beginPath();
      ctx.moveTo(cx - 10 * s, cy + 10 * s);
      ctx.lineTo(cx + 10 * s, cy + 4 * s);
      ctx.moveTo(cx + 10 * s, cy + 10 * s);
      ctx.lineTo(cx - 10 * s, cy + 4 * s);
      ctx.stroke();
      const f = Math.sin(now / 110) * 1.5 * s;
      ctx.fillStyle = "#ff8a1f";
      ctx.beginPath();
      ctx.moveTo(cx - 7 * s, cy + 6 * s);
      ctx.quadraticCurveTo(cx - 6 * s, cy - 6 * s, cx + f, cy - 12 * s);
      ctx.quadraticCurveTo(cx + 6 * s, cy - 4 * s, cx + 7 * s, cy + 6 * s);
      ctx.closePath();
      ctx.fill();
      ctx.fillStyle = "#ffd54a";
      ctx.beginPath();
      ctx.moveTo(cx - 3 * s, cy + 6 * s);
      ctx.quadraticCurveTo(cx - 3 * s, cy - 2 * s, cx - f, cy - 5 * s);
      ctx.quadraticCurveTo(cx + 3 * s, cy, cx + 3 * s, cy + 6 * s);
      ctx.closePath();
      ctx.fill();
    }
  }
  ctx.restore();
}

/** The little cast bar over another caster's head, bottom edge at `y`. */
export function drawCastBar(ctx, cast, cx, y, t, now) {
  const w = Math.max(30, t * 0.95);
  const k = Math.max(0, Math.min(1, (now - cast.t0) / cast.ms));
  ctx.fillStyle = "rgba(0,0,0,0.7)";
  ctx.fillRect(cx - w / 2 - 1, y - 5, w + 2, 5);
  ctx.fillStyle = "#b39ddb";
  ctx.fillRect(cx - w / 2, y - 4, w * k, 3);
}

/** The tiles a ground ability of `radius` would hit around the hovered tile. */
export function drawAim(ctx, tile, radius, t) {
  const r = Math.max(0, radius || 0);
  ctx.fillStyle = "rgba(255,120,60,0.18)";
  ctx.strokeStyle = "rgba(255,150,80,0.9)";
  ctx.lineWidth = 2;
  ctx.fillRect((tile.x - r) * t, (tile.y - r) * t, (2 * r + 1) * t, (2 * r + 1) * t);
  ctx.strokeRect((tile.x - r) * t + 1, (tile.y - r) * t + 1, (2 * r + 1) * t - 2, (2 * r + 1) * t - 2);
}
