// The live protocol client: snapshot, then deltas with contiguous seq; heartbeats both
// ways; reconnects by itself with exponential backoff and resumes with ?since=<last seq>.

export class LiveClient {
  constructor({ onSnapshot, onDelta, onState }) {
    this.onSnapshot = onSnapshot;
    this.onDelta = onDelta;
    this.onState = onState || (() => {});
    this.last = null;          // last seq applied
    this.ahead = new Set();    // seqs already covered by a coalesced ("merged") delta
    this.backoff = 500;
    this.ws = null;
    this.lastHeard = 0;
    this.stats = { snapshots: 0, deltas: 0, duplicates: 0, gaps: 0, connects: 0, seqs: [] };
    setInterval(() => this.beat(), 5000);
  }

  start() { this.connect(); }

  url() {
    const proto = location.protocol === "https:" ? "wss" : "ws";
    let url = `${proto}://${location.host}/ws/wallboard?batch=1`;
    if (this.last !== null) url += `&since=${this.last}`;
    return url;
  }

  connect() {
    let ws;
    try { ws = new WebSocket(this.url()); } catch (e) { this.retry(); return; }
    this.ws = ws;
    ws.onopen = () => { this.lastHeard = Date.now(); this.stats.connects += 1; this.onState("connected"); };
    ws.onmessage = (ev) => {
      this.lastHeard = Date.now();
      this.backoff = 500;
      let data;
      try { data = JSON.parse(ev.data); } catch (e) { return; }
      for (const m of Array.isArray(data) ? data : [data]) this.handle(m);
    };
    ws.onclose = (ev) => {
      if (this.ws !== ws) return;
      this.ws = null;
      this.onState(ev.code === 4401 ? "expired" : "reconnecting");
      this.retry(ev.code === 4401 ? 30000 : 0);
    };
  }

  retry(min = 0) {
    const wait = Math.max(min, this.backoff * (0.75 + Math.random() * 0.5));
    this.backoff = Math.min(this.backoff * 2, 30000);
    setTimeout(() => this.connect(), wait);
  }

  beat() {
    const ws = this.ws;
    if (!ws || ws.readyState !== WebSocket.OPEN) return;
    ws.send('{"type":"heartbeat"}');
    // The server beats every few seconds: silence means a dead path, not a quiet city.
    if (Date.now() - this.lastHeard > 15000) ws.close();
  }

  handle(m) {
    if (m.type === "heartbeat") return;
    if (m.type === "snapshot") {
      this.last = m.seq;
      this.ahead.clear();
      this.stats.snapshots += 1;
      this.onSnapshot(m);
      return;
    }
    if (typeof m.seq !== "number") return;
    if ((this.last !== null && m.seq <= this.last) || this.ahead.has(m.seq)) {
      this.stats.duplicates += 1;
      return;
    }
    if (this.last === null || m.seq !== this.last + 1) {
      // A hole: never paper over it; resume from what we have.
      this.stats.gaps += 1;
      if (this.ws) this.ws.close();
      return;
    }
    this.last = m.seq;
    for (const s of m.merged || []) this.ahead.add(s);
    while (this.ahead.has(this.last + 1)) { this.ahead.delete(this.last + 1); this.last += 1; }
    this.stats.deltas += 1;
    if (this.stats.seqs.length < 20000) this.stats.seqs.push(m.seq);
    this.onDelta(m);
  }
}
