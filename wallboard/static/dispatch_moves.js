// The dispatcher console's moves beside 派单: a returned order (退单待审) is reassigned
// (改派) or handed back to its unit (维持退单); a 延期 request is approved or rejected;
// an order is merged into a similar one (并单), transferred to 110 or answered at intake.
// Every state change goes through postAction, which sends the CSRF header.
import { esc, fmtTime, getJSON, t } from "./common.js";

// The front door's CSRF contract: the value of the dc_csrf cookie in X-CSRF-Token.
export function csrfHeaders(extra = {}) {
  const m = document.cookie.match(/(?:^|;\s*)dc_csrf=([^;]*)/);
  return m ? { ...extra, "X-CSRF-Token": decodeURIComponent(m[1]) } : extra;
}

// POST one lifecycle action on an order, with the card's version (of two people acting
// at once exactly one wins).
export function postAction(orderId, action, body) {
  return getJSON(`/api/v1/orders/${encodeURIComponent(orderId)}/actions/${encodeURIComponent(action)}`, {
    method: "POST",
    headers: csrfHeaders({ "Content-Type": "application/json" }),
    body: JSON.stringify(body || {}),
  });
}

// Which action a unit button takes, as the lifecycle allows it now: a new order is
// dispatched, a returned one reassigned (改派).
export function assignAction(allowed) {
  return allowed.includes("dispatch") ? "dispatch" : "redispatch";
}

function extensionText(x) {
  if (!x || x.value == null) return "";
  return `${x.value}${t(`limit_unit.${x.unit || "working_days"}`)}`;
}

// The blocks under the card's header: the return's reason with 维持退单, the extension
// request with approve/reject.
export function pendingBlocks(data, allowed, version) {
  const out = [];
  const r = data.return_request;
  if (r) {
    const uphold = allowed.has("uphold_return")
      ? `<div class="move-row"><input id="uphold-note" class="move-input" placeholder="${esc(t("uphold_note"))}">`
        + `<button class="move" data-action="uphold_return" data-needs="uphold-note" data-version="${version}">${esc(t("uphold_return"))}</button></div>` : "";
    out.push(`<div class="pending returned" data-pending="return"><b>${esc(t("returned_by"))}</b> ${esc(r.by)} · ${esc(fmtTime(r.at))}`
      + `<div>${esc(t("return_reason"))}：${esc(r.note || "")}</div>${uphold}</div>`);
  }
  const x = data.extension_request;
  if (x) {
    const btns = allowed.has("approve_extension")
      ? `<div class="move-row"><button class="move primary" data-action="approve_extension" data-version="${version}">${esc(t("approve_extension"))}</button>`
        + `<button class="move" data-action="reject_extension" data-version="${version}">${esc(t("reject_extension"))}</button></div>` : "";
    out.push(`<div class="pending extension" data-pending="extension"><b>${esc(t("extension_by"))}</b> ${esc(x.by)} · ${esc(fmtTime(x.at))}`
      + `<div>${esc(t("extension_ask"))} ${esc(extensionText(x))}${x.note ? `：${esc(x.note)}` : ""}</div>${btns}</div>`);
  }
  return out.join("");
}

// The similar-order list (并单) and the other moves (转110, 直接办结), as the lifecycle
// allows them to this role now.
export function otherMoves(data, allowed, version) {
  const parts = [];
  if (allowed.has("merge")) {
    const rows = (data.similar || []).map((s) => `<tr data-similar="${esc(s.id)}"><td>${esc(s.number)}</td>`
      + `<td class="muted">${s.distance_m} m · ${esc(s.status_label)}</td><td class="desc">${esc(s.description)}</td>`
      + `<td><button class="move" data-action="merge" data-target="${esc(s.id)}" data-version="${version}">${esc(t("merge"))}</button></td></tr>`).join("");
    parts.push(`<h3>${esc(t("similar"))}</h3>`
      + (rows ? `<table class="alts similar">${rows}</table>` : `<div class="muted">${esc(t("similar_none"))}</div>`));
  }
  const more = [];
  if (allowed.has("transfer_to_110")) {
    more.push(`<button class="move" data-action="transfer_to_110" data-needs="move-note" data-version="${version}">${esc(t("transfer_110"))}</button>`);
  }
  if (allowed.has("resolve_at_intake")) {
    more.push(`<button class="move" data-action="resolve_at_intake" data-needs="move-note" data-version="${version}">${esc(t("resolve_at_intake"))}</button>`);
  }
  if (more.length) {
    parts.push(`<h3>${esc(t("more_moves"))}</h3><div class="move-row"><input id="move-note" class="move-input" placeholder="${esc(t("note_reason"))}">${more.join("")}</div>`);
  }
  return parts.join("");
}

// A click on a move button: the body it needs, then the action.
export async function runMove(orderId, button) {
  const body = { version: Number(button.dataset.version) };
  if (button.dataset.target) body.target_order_id = button.dataset.target;
  if (button.dataset.needs) {
    const input = document.getElementById(button.dataset.needs);
    const text = input ? input.value.trim() : "";
    if (!text && button.dataset.action === "uphold_return") {
      if (input) input.focus();
      return null;
    }
    if (text) body.note = text;
  }
  return postAction(orderId, button.dataset.action, body);
}
