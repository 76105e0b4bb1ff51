/* The call-taker's desk (坐席受理台): screen pop, the form with category suggestions and
 * gazetteer autocomplete, a small map, live duplicates, knowledge-base answers and one key
 * per way a call ends. Talks to the API with the session cookie; every state-changing
 * request goes through send(), which carries the CSRF header. No token is ever held here.
 */
(function () {
  "use strict";
  var cfg = JSON.parse(document.getElementById("desk-config").textContent);
  var S = cfg.strings;
  var $ = function (id) { return document.getElementById(id); };

  // -- talking to the server ---------------------------------------------------------------
  function cookie(name) {
    var m = document.cookie.match(new RegExp("(?:^|; )" + name + "=([^;]*)"));
    return m ? decodeURIComponent(m[1]) : "";
  }
  function get(path, params) {
    var q = params ? "?" + new URLSearchParams(params).toString() : "";
    return fetch(path + q, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) {
        if (!r.ok) { var e = new Error(r.status); e.status = r.status; throw e; }
        return r.json();
      });
  }
  // Every state-changing request: JSON body, session cookie, X-CSRF-Token from dc_csrf.
  function send(method, path, body) {
    return fetch(path, {
      method: method,
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", Accept: "application/json",
                 "X-CSRF-Token": cookie("dc_csrf") },
      body: body === undefined ? undefined : JSON.stringify(body),
    }).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (data) {
        if (!r.ok) {
          var msg = (data.error && data.error.message) || String(r.status);
          var e = new Error(msg); e.status = r.status; throw e;
        }
        return data;
      });
    });
  }
  function debounce(fn, ms) {
    var t = null;
    return function () { var a = arguments; clearTimeout(t); t = setTimeout(function () { fn.apply(null, a); }, ms); };
  }
  function el(tag, cls, text) {
    var n = document.createElement(tag);
    if (cls) n.className = cls;
    if (text !== undefined && text !== null) n.textContent = text;
    return n;
  }
  function status(st) { return S["status_" + st] || st; }
  function catName(code) {
    for (var i = 0; i < cfg.categories.length; i++) if (cfg.categories[i].code === code) return cfg.categories[i].name;
    return code || "";
  }

  // -- state of the call being taken -------------------------------------------------------
  var state = { call: null, key: "", point: null, dupes: [], dupeIndex: -1, kb: [], kbIndex: -1,
                kbSession: null, outside: null, places: [], placeIndex: -1, busy: false };

  // -- the form's lists ----------------------------------------------------------------------
  function fillSelect(sel, values, label) {
    sel.innerHTML = "";
    values.forEach(function (v) {
      var o = el("option", null, label(v)); o.value = v; sel.appendChild(o);
    });
  }
  fillSelect($("f-type"), cfg.types, function (t) { return S["t_" + t]; });
  fillSelect($("f-urgency"), cfg.urgencies, function (u) { return S["u_" + u]; });
  $("f-type").value = "complaint"; $("f-urgency").value = "general";
  (function () {
    var sel = $("f-category");
    var none = el("option", null, "— " + S.choose + " —"); none.value = ""; sel.appendChild(none);
    cfg.categories.forEach(function (c) {
      var o = el("option", null, c.name + "  " + c.code); o.value = c.code; sel.appendChild(o);
    });
  })();

  // -- seat ----------------------------------------------------------------------------------
  var seatBox = $("seat");
  seatBox.value = localStorage.getItem("desk-seat") || cfg.user.username;
  seatBox.addEventListener("change", function () {
    localStorage.setItem("desk-seat", seatBox.value.trim());
    state.key = "force-refresh"; pollAgain();
  });

  // -- screen pop (long poll) ----------------------------------------------------------------
  var pollGen = 0;
  function pollAgain() { pollGen += 1; poll(pollGen); }
  function poll(gen) {
    if (gen !== pollGen) return;
    get("/api/v1/desk/screen-pop", { seat: seatBox.value.trim() || cfg.user.username,
                                     known: state.key, wait: 20 })
      .then(function (view) {
        if (gen !== pollGen) return;
        state.key = view.key;
        showPop(view);
        poll(gen);
      })
      .catch(function () { setTimeout(function () { poll(gen); }, 3000); });
  }
  function showPop(view) {
    var body = $("pop-body"), badge = $("call-state");
    body.innerHTML = "";
    // A call wrapped up with Esc stays off the screen until the CTI puts another through.
    if (!view.call || view.call.call_id === state.doneCall) {
      body.className = "muted"; body.textContent = S.no_call;
      badge.className = "state"; badge.textContent = ""; return;
    }
    var fresh = !state.call || state.call.call_id !== view.call.call_id;
    state.call = view.call;
    body.className = "";
    badge.className = "state " + view.call.state; badge.textContent = S[view.call.state];
    body.appendChild(el("div", "caller", view.call.caller));
    var line = el("div");
    line.appendChild(el("span", "badge " + (view.repeat_caller ? "repeat" : "first"),
                        view.repeat_caller ? S.repeat_caller : S.first_caller));
    line.appendChild(el("span", null, S.calls_month + " " + view.calls_this_month + " · " +
                        S.open_orders + " " + view.open_orders));
    body.appendChild(line);
    body.appendChild(el("h3", null, S.history));
    if (!view.history.length) body.appendChild(el("div", "muted", S.no_history));
    var ul = el("ul", "list history");
    view.history.forEach(function (o) {
      var li = el("li");
      li.appendChild(el("span", "num", o.number + " "));
      li.appendChild(el("span", "tag" + (o.open ? " open" : ""), status(o.status)));
      li.appendChild(el("span", null, " " + (o.received_at || "").slice(0, 10) + " " + catName(o.category_code)));
      li.appendChild(el("span", "desc", o.description));
      ul.appendChild(li);
    });
    body.appendChild(ul);
    if (fresh) {
      $("f-phone").value = view.call.caller;
      state.kbSession = "call:" + view.call.call_id;
      if (view.call.state !== "ended") $("f-description").focus();
    }
  }

  // -- category suggestions ------------------------------------------------------------------
  var suggestions = [];
  var suggest = debounce(function (text) {
    if (text.trim().length < 2) { suggestions = []; drawSuggestions(); return; }
    get("/api/v1/orders/suggest-category", { text: text }).then(function (r) {
      suggestions = r.items; drawSuggestions();
      if (!$("f-category").value && suggestions.length) chooseSuggestion(0, true);
    }).catch(function () {});
  }, 300);
  function drawSuggestions() {
    var box = $("suggestions"); box.innerHTML = "";
    if (suggestions.length) box.appendChild(el("span", "muted", S.suggested + "："));
    suggestions.forEach(function (s, i) {
      var b = el("button", "chip" + ($("f-category").value === s.code ? " chosen" : ""),
                 (i + 1) + ". " + catName(s.code) + " " + (s.score < 0.01 ? "<1" : Math.round(s.score * 100)) + "%");
      b.type = "button"; b.dataset.code = s.code;
      b.addEventListener("click", function () { chooseSuggestion(i, false); });
      box.appendChild(b);
    });
  }
  var autoChosen = false;
  function chooseSuggestion(i, auto) {
    if (!suggestions[i]) return;
    $("f-category").value = suggestions[i].code; autoChosen = auto;
    drawSuggestions(); refreshDupes();
  }

  // -- gazetteer autocomplete ----------------------------------------------------------------
  var placesBox = $("places");
  var findPlaces = debounce(function (q) {
    if (!q.trim()) { placesBox.hidden = true; return; }
    get("/api/v1/geo/places", { q: q.trim(), limit: 10 }).then(function (r) {
      state.places = r.items; state.placeIndex = r.items.length ? 0 : -1; drawPlaces();
    }).catch(function () { placesBox.hidden = true; });
  }, 200);
  function drawPlaces() {
    placesBox.innerHTML = "";
    state.places.forEach(function (p, i) {
      var li = el("li", i === state.placeIndex ? "active" : "");
      li.setAttribute("role", "option");
      li.appendChild(el("span", null, p.name));
      li.appendChild(el("span", "kind", p.kind + " · " + p.adcode));
      li.addEventListener("mousedown", function (ev) { ev.preventDefault(); pickPlace(i); });
      placesBox.appendChild(li);
    });
    placesBox.hidden = !state.places.length;
  }
  function pickPlace(i) {
    var p = state.places[i]; if (!p) return;
    $("f-address").value = p.name;
    placesBox.hidden = true;
    setPoint(p.lon, p.lat, true);
  }
  $("f-address").addEventListener("input", function (e) { findPlaces(e.target.value); });
  $("f-address").addEventListener("keydown", function (e) {
    if (placesBox.hidden) return;
    if (e.key === "ArrowDown") { state.placeIndex = Math.min(state.places.length - 1, state.placeIndex + 1); drawPlaces(); e.preventDefault(); }
    else if (e.key === "ArrowUp") { state.placeIndex = Math.max(0, state.placeIndex - 1); drawPlaces(); e.preventDefault(); }
    else if (e.key === "Enter") { pickPlace(state.placeIndex); e.preventDefault(); }
    else if (e.key === "Escape") { placesBox.hidden = true; e.stopPropagation(); e.preventDefault(); }
  });
  $("f-address").addEventListener("blur", function () { setTimeout(function () { placesBox.hidden = true; }, 150); });

  // -- the map ---------------------------------------------------------------------------------
  var map = L.map("map", { zoomControl: true, attributionControl: false }).setView([29.45, 103.6], 8);
  var marker = null, radius = null, dupeLayer = L.layerGroup().addTo(map);
  // Townships (the grid in the demo) under the counties: lines to read a close-up by, as
  // the desk has no tiles unless the center runs a tile server.
  get("/api/v1/geo/areas", { tier: 3 }).then(function (gj) {
    L.geoJSON(gj, { interactive: false,
                    style: { color: "#6b8bb0", weight: 0.8, dashArray: "4 3", fill: false } }).addTo(map);
  }).catch(function () {});
  get("/api/v1/geo/areas", { tier: 2 }).then(function (gj) {
    L.geoJSON(gj, { style: { color: "#0b3d6e", weight: 1.5, fillColor: "#9ec5fe", fillOpacity: 0.15 },
                    onEachFeature: function (f, layer) {
                      if (f.properties && f.properties.name) layer.bindTooltip(f.properties.name, { sticky: true });
                    } }).addTo(map);
  }).catch(function () {});
  map.on("click", function (e) { setPoint(e.latlng.lng, e.latlng.lat, false); });
  function setPoint(lon, lat, fromGazetteer) {
    state.point = { lon: +lon.toFixed(6), lat: +lat.toFixed(6) };
    $("f-point").value = state.point.lon.toFixed(5) + ", " + state.point.lat.toFixed(5);
    if (marker) marker.setLatLng([lat, lon]); else marker = L.marker([lat, lon]).addTo(map);
    if (radius) radius.setLatLng([lat, lon]);
    else radius = L.circle([lat, lon], { radius: cfg.similar_radius_m, color: "#e65100", weight: 1.5,
                                          fillOpacity: 0.06, interactive: false }).addTo(map);
    map.setView([lat, lon], Math.max(map.getZoom(), fromGazetteer ? 15 : 12));
    get("/api/v1/desk/neighbour", state.point).then(function (n) {
      var w = $("where");
      state.outside = !n.inside;
      $("city-box").hidden = n.inside;
      if (n.inside) { w.className = "where grow"; w.textContent = S.inside; locate(); return; }
      // Outside: the neighbouring city when the point lies in one, else the seat chooses.
      w.className = "where grow outside";
      $("f-city").value = n.city ? n.city.adcode : "";
      w.textContent = n.city
        ? S.outside + " " + n.city.name + " · 12345: " + n.city.number + "（F7 " + S.other_city + "）"
        : S.outside_unknown;
    }).catch(function () {});
    refreshDupes();
  }
  function locate() {
    get("/api/v1/geo/locate", state.point).then(function (r) {
      if (state.outside) return;
      $("where").textContent = r.path.map(function (s) { return s.name; }).join(" › ");
    }).catch(function () {});
  }

  // -- live duplicates -------------------------------------------------------------------------
  var refreshDupes = debounce(function () {
    var code = $("f-category").value, text = $("f-description").value.trim();
    if (!state.point || (!code && !text)) return;
    var q = { lon: state.point.lon, lat: state.point.lat };
    if (code) q.category = code;
    if (text) q.text = text;
    get("/api/v1/orders/similar", q).then(function (r) { state.dupes = r.items; state.dupeIndex = r.items.length ? 0 : -1; drawDupes(); })
      .catch(function () {});
  }, 300);
  function drawDupes() {
    var body = $("dupes-body"); body.innerHTML = ""; dupeLayer.clearLayers();
    if (!state.dupes.length) { body.className = "muted"; body.textContent = S.dupes_none; return; }
    body.className = "";
    var ul = el("ul", "list");
    state.dupes.forEach(function (d, i) {
      var li = el("li", i === state.dupeIndex ? "selected" : "");
      li.appendChild(el("span", "num", d.number + " "));
      li.appendChild(el("span", "tag open", status(d.status)));
      li.appendChild(el("span", null, " " + Math.round(d.distance_m) + S.metres + " · " + catName(d.category_code) +
                        " · " + Math.round(d.score * 100) + "%" +
                        (d.repeat_calls ? " · " + S.repeat_calls + " " + d.repeat_calls : "")));
      li.appendChild(el("span", "desc", d.description));
      var b = el("button", "attach", S.attach + "（F3）"); b.type = "button";
      b.addEventListener("click", function () { state.dupeIndex = i; attach(); });
      li.appendChild(b);
      li.addEventListener("click", function () { state.dupeIndex = i; drawDupes(); });
      ul.appendChild(li);
      if (d.lon !== null && d.lat !== null) {
        L.circleMarker([d.lat, d.lon], { radius: i === state.dupeIndex ? 9 : 7, color: "#b71c1c", weight: 2,
                                         fillColor: i === state.dupeIndex ? "#ffb300" : "#ef5350", fillOpacity: 0.9 })
          .bindTooltip(d.number + " · " + Math.round(d.distance_m) + S.metres, { permanent: i === state.dupeIndex })
          .addTo(dupeLayer);
      }
    });
    body.appendChild(ul);
  }

  // -- knowledge base ---------------------------------------------------------------------------
  var searchKb = debounce(function (text) {
    if ($("f-type").value !== "consultation" || text.trim().length < 2) return;
    var q = { q: text.trim().slice(0, 200) };
    if (state.kbSession) q.session = state.kbSession;
    get("/api/v1/kb/search", q).then(function (r) {
      state.kb = r.items; state.kbIndex = r.items.length ? 0 : -1; drawKb();
    }).catch(function (e) {
      var body = $("kb-body"); body.className = "muted";
      body.textContent = e.status === 404 ? S.kb_off : S.kb_none;
    });
  }, 350);
  function drawKb() {
    var body = $("kb-body"); body.innerHTML = "";
    if (!state.kb.length) { body.className = "muted"; body.textContent = S.kb_none; return; }
    body.className = "";
    var ul = el("ul", "list");
    state.kb.forEach(function (a, i) {
      var li = el("li", i === state.kbIndex ? "selected" : "");
      li.appendChild(el("strong", null, a.title));
      li.appendChild(el("span", "desc", a.answer));
      li.appendChild(el("span", "muted", (a.owner_name || a.owner || "") +
                        (a.valid_until ? " · " + S.valid_until + " " + a.valid_until : "")));
      var b = el("button", null, S.kb_answer + "（F8）"); b.type = "button";
      b.addEventListener("click", function () { state.kbIndex = i; answerFromKb(); });
      li.appendChild(b);
      li.addEventListener("click", function () { state.kbIndex = i; drawKb(); });
      ul.appendChild(li);
    });
    body.appendChild(ul);
  }

  $("f-description").addEventListener("input", function (e) {
    suggest(e.target.value); searchKb(e.target.value); refreshDupes();
  });
  $("f-category").addEventListener("change", function () { autoChosen = false; drawSuggestions(); refreshDupes(); });
  $("f-type").addEventListener("change", function () {
    if ($("f-type").value === "consultation") { $("f-urgency").value = "consultation"; searchKb($("f-description").value); }
  });

  // -- the ways a call ends ---------------------------------------------------------------------
  function orderBody() {
    var code = $("f-category").value, phone = $("f-phone").value.trim(), name = $("f-name").value.trim();
    var body = {
      channel: "phone",
      category: code ? { type: $("f-type").value, code: code } : { type: $("f-type").value },
      urgency: $("f-urgency").value,
      description: $("f-description").value.trim(),
    };
    if (state.point) body.location = { lon: state.point.lon, lat: state.point.lat, crs: "wgs84" };
    if ($("f-address").value.trim()) body.address = $("f-address").value.trim();
    if (phone || name) {
      body.reporter = { confidential: $("f-confidential").checked };
      if (phone) body.reporter.phone = phone;
      if (name) body.reporter.name = name;
    }
    if (state.call) { body.source = "cti"; body.source_id = state.call.call_id; }
    return body;
  }
  function wrap(lines, cls) {
    var w = $("wrap-body"); w.innerHTML = "";
    lines.forEach(function (l) { w.appendChild(l instanceof Node ? l : el("div", cls || "", l)); });
  }
  function fail(e) { wrap([S.error + "：" + e.message], "err"); state.busy = false; }
  // Read back in groups: prefix, day, sequence ("LS 20261206 0004").
  function spaced(number) { return number.replace(/^([A-Z]*)(\d{8})(\d+)$/, "$1 $2 $3").trim(); }
  function readBack(order, headline) {
    var lines = [el("div", "ok", headline), el("div", "muted", S.read_back),
                 el("div", null, S.your_number), el("div", "number", spaced(order.number))];
    wrap(lines);
    get("/api/v1/outbox", { channel: "sms", order_id: order.id }).then(function (r) {
      var items = r.items || r.messages || [];
      if (items.length) $("wrap-body").appendChild(el("div", "ok", S.sms_queued));
    }).catch(function () {});
    state.busy = false;
  }
  function create() {
    if (state.busy) return Promise.reject(new Error("busy"));
    state.busy = true;
    return send("POST", "/api/v1/orders", orderBody());
  }
  function createOrder() {
    create().then(function (o) { readBack(o, S.create + " ✓"); }).catch(fail);
  }
  function attach() {
    var d = state.dupes[state.dupeIndex]; if (!d) return;
    create().then(function (o) {
      return send("POST", "/api/v1/orders/" + o.id + "/actions/merge",
                  { target_order_id: d.id, note: "重复来电（坐席受理台）" }).then(function () {
        readBack({ id: d.id, number: d.number }, S.merged_into + " " + d.number + " · " +
                 S.repeat_calls + " " + (d.repeat_calls + 1));
        refreshDupes();
      });
    }).catch(fail);
  }
  function transfer110() {
    create().then(function (o) {
      return send("POST", "/api/v1/feeds/police110/transfers",
                  { order_id: String(o.id), reason: $("f-description").value.trim().slice(0, 500) })
        .then(function () { readBack(o, S.transferred_110); $("three-way").hidden = false; state.lastOrder = o; });
    }).catch(fail);
  }
  function threeWay() {
    $("three-way").hidden = false; $("f-ref-no").focus();
  }
  $("b-three-way-save").addEventListener("click", function () {
    var now = new Date().toISOString();
    var start = (state.call && (state.call.answered_at || state.call.rang_at)) || now;
    send("POST", "/api/v1/feeds/police110/calls", {
      call_id: state.call ? state.call.call_id : "desk-" + Date.now(),
      start: start, end: now, ref_no: $("f-ref-no").value.trim(),
      order_id: state.lastOrder ? String(state.lastOrder.id) : null,
    }).then(function () { $("wrap-body").appendChild(el("div", "ok", S.call_recorded)); }).catch(fail);
  });
  (function () {
    var sel = $("f-city");
    var none = el("option", null, "— " + S.choose + " —"); none.value = ""; sel.appendChild(none);
    cfg.hotlines.forEach(function (h) {
      var o = el("option", null, h.name + " " + h.number); o.value = h.adcode; sel.appendChild(o);
    });
  })();
  function otherCity() {
    if (!state.outside) { wrap([S.inside], "err"); return; }
    if (!$("f-city").value) { $("f-city").focus(); return; }
    send("POST", "/api/v1/desk/city-transfers", {
      city: $("f-city").value, call_id: state.call ? state.call.call_id : null,
      lon: state.point.lon, lat: state.point.lat, note: $("f-description").value.trim().slice(0, 500),
    }).then(function (t) {
      wrap([el("div", "ok", S.transferred_city), el("div", "number", t.city.name + " " + t.city.number)]);
    }).catch(fail);
  }
  function answerFromKb() {
    var a = state.kb[state.kbIndex]; if (!a) return;
    $("f-type").value = "consultation"; $("f-urgency").value = "consultation";
    create().then(function (o) {
      var body = { note: "知识库解答：" + a.title, kb_article_id: String(a.id) };
      if (state.kbSession) body.kb_session = state.kbSession;
      return send("POST", "/api/v1/orders/" + o.id + "/actions/resolve_at_intake", body)
        .then(function () { readBack(o, S.resolved + "：" + a.title); });
    }).catch(fail);
  }
  function clearCall() {
    ["f-description", "f-address", "f-point", "f-name", "f-phone", "f-ref-no"].forEach(function (id) { $(id).value = ""; });
    $("f-category").value = ""; $("f-type").value = "complaint"; $("f-urgency").value = "general";
    $("f-confidential").checked = false;
    suggestions = []; drawSuggestions(); state.point = null; state.outside = null;
    $("city-box").hidden = true; $("f-city").value = "";
    if (state.call) state.doneCall = state.call.call_id;
    state.dupes = []; state.kb = []; state.call = null; state.lastOrder = null;
    $("where").textContent = ""; $("dupes-body").className = "muted"; $("dupes-body").textContent = S.dupes_wait;
    $("kb-body").className = "muted"; $("kb-body").textContent = S.kb_hint; $("wrap-body").innerHTML = "";
    $("three-way").hidden = true;
    if (marker) { map.removeLayer(marker); marker = null; }
    if (radius) { map.removeLayer(radius); radius = null; }
    dupeLayer.clearLayers();
    state.key = "force-refresh"; pollAgain();
    $("f-description").focus();
  }

  $("b-create").addEventListener("click", createOrder);
  $("b-attach").addEventListener("click", attach);
  $("b-110").addEventListener("click", transfer110);
  $("b-three-way").addEventListener("click", threeWay);
  $("b-city").addEventListener("click", otherCity);
  $("b-kb").addEventListener("click", answerFromKb);
  document.addEventListener("keydown", function (e) {
    var k = e.key;
    if (k === "F2" || (k === "Enter" && e.ctrlKey)) { e.preventDefault(); createOrder(); }
    else if (k === "F3") { e.preventDefault(); attach(); }
    else if (k === "F4") { e.preventDefault(); transfer110(); }
    else if (k === "F6") { e.preventDefault(); threeWay(); }
    else if (k === "F7") { e.preventDefault(); otherCity(); }
    else if (k === "F8") { e.preventDefault(); answerFromKb(); }
    else if (k === "Escape") { e.preventDefault(); clearCall(); }
    else if (e.altKey && (k === "1" || k === "2" || k === "3")) { e.preventDefault(); chooseSuggestion(+k - 1, false); }
    else if (e.altKey && (k === "a" || k === "A")) { e.preventDefault(); $("f-address").focus(); }
  });

  pollAgain();
  $("f-description").focus();
})();
