// The station's page: a fold of the run's event stream (server-sent
// events from the station store) into DUT slots, banners and charts.
// Our own code, no framework: the page must work on a factory network
// with no internet, served from the station binary.
//
// How it stays cheap with many DUTs and fast monitors: events only
// update a model (O(1) each; a monitor sample is merged into min/max
// buckets whose number is bounded), and the DOM and the charts are
// redrawn at most once per animation frame, only where something
// changed.
'use strict';

(function () {
  // How many latest measurements a slot lists.
  const MEAS_ROWS = 5;
  // Buckets kept per monitor series: when full, neighbours are merged
  // pairwise, so memory stays bounded however long the run is and a
  // chart still shows its whole history at a resolution finer than a
  // pixel column.
  const SERIES_BUCKETS = 2048;
  // Faults listed in the banner (the count says how many more).
  const FAULTS_SHOWN = 4;
  // Runs whose last sequence number the page remembers, for dedupe.
  const RUNS_REMEMBERED = 64;

  const $ = (sel, root) => (root || document).querySelector(sel);

  // ---- numbers and text -------------------------------------------------

  // A number from the record's JSON: NaN and the infinities are strings.
  function num(x) {
    if (typeof x === 'number') return x;
    if (x === 'NaN') return NaN;
    if (x === '+Inf' || x === 'Inf') return Infinity;
    if (x === '-Inf') return -Infinity;
    if (x === undefined || x === null) return undefined;
    const v = Number(x);
    return v;
  }

  // Milliseconds since the epoch of an RFC 3339 time with up to nine
  // fractional digits (Date.parse is not required to take more than 3).
  function timeMs(s) {
    if (!s) return NaN;
    const m = /^(.*T\d\d:\d\d:\d\d)(\.\d+)?(Z|[+-]\d\d:\d\d)$/.exec(s);
    if (!m) return Date.parse(s);
    const frac = m[2] ? Number('0' + m[2]) * 1000 : 0;
    return Date.parse(m[1] + m[3]) + frac;
  }

  // Units the SI prefixes apply to; others ("%", "°C", "dB") are shown
  // as plain numbers.
  const SI_UNITS = new Set(['V', 'A', 'W', 'Ω', 'ohm', 'Ohm', 'Hz', 's', 'F', 'H', 'J', 'C', 'S', 'VA', 'var', 'Wh']);
  const PREFIXES = { '-12': 'p', '-9': 'n', '-6': 'µ', '-3': 'm', '0': '', '3': 'k', '6': 'M', '9': 'G', '12': 'T' };

  // The exponent (a multiple of 3) of the SI prefix for magnitude m.
  function prefixExp(m) {
    if (!(m > 0) || !isFinite(m)) return 0;
    let p = Math.floor(Math.log10(m) / 3) * 3;
    return Math.max(-12, Math.min(12, p));
  }

  // v formatted with its unit: an SI prefix where the unit takes one,
  // `decimals` digits after the point (of the prefixed number) or five
  // significant digits when undefined.
  function fmt(v, unit, decimals, scaleFor) {
    unit = unit || '';
    if (v === undefined) return '–';
    if (Number.isNaN(v)) return 'NaN' + (unit ? ' ' + unit : '');
    if (!isFinite(v)) return (v > 0 ? '+∞' : '−∞') + (unit ? ' ' + unit : '');
    let p = 0;
    if (SI_UNITS.has(unit)) p = prefixExp(scaleFor !== undefined ? scaleFor : Math.abs(v));
    const x = v / Math.pow(10, p);
    let s;
    if (decimals !== undefined) s = x.toFixed(Math.max(0, Math.min(12, decimals)));
    else s = String(Number(x.toPrecision(5)));
    if (s === '-0' || /^-0\.0*$/.test(s)) s = s.slice(1);
    const u = (PREFIXES[p] || '') + unit;
    return u ? s + ' ' + u : s;
  }

  // A measurement's value, rounded to its resolution where it has one.
  function fmtMeasured(m) {
    if (m.values && m.axis) return m.values.length + ' points';
    const v = num(m.value);
    const res = num(m.resolution);
    if (res > 0 && isFinite(v)) {
      const p = SI_UNITS.has(m.unit) ? prefixExp(Math.abs(v)) : 0;
      const d = Math.ceil(-Math.log10(res / Math.pow(10, p)) - 1e-9);
      return fmt(v, m.unit, Math.max(0, d));
    }
    return fmt(v, m.unit);
  }

  // A limit as the operator reads it.
  function fmtLimit(l, unit) {
    if (!l) return '';
    const lo = num(l.low), hi = num(l.high), nom = num(l.nominal);
    switch (l.comparator) {
      case 'between': return range(lo, hi, unit);
      case 'equals':
        if (nom !== undefined && hi !== undefined) return fmt(nom, unit) + ' ± ' + fmt(hi - nom, unit);
        return range(lo, hi, unit);
      case 'at_least': return '≥ ' + fmt(lo, unit);
      case 'at_most': return '≤ ' + fmt(hi, unit);
      case 'custom': return l.name || 'custom check';
      default: return '';
    }
  }

  // lo–hi with the unit once, both scaled alike: "4.9–5.1 V", "10–20 mA".
  function range(lo, hi, unit) {
    const m = Math.max(Math.abs(lo), Math.abs(hi));
    const a = fmt(lo, unit, undefined, m), b = fmt(hi, unit, undefined, m);
    const sp = a.lastIndexOf(' ');
    return (sp > 0 && a.slice(sp) === b.slice(b.lastIndexOf(' ')) ? a.slice(0, sp) : a) + '–' + b;
  }

  // A duration in milliseconds as h:mm:ss or m:ss.
  function fmtElapsed(ms) {
    if (!(ms >= 0)) return '';
    const s = Math.floor(ms / 1000);
    const h = Math.floor(s / 3600), m = Math.floor(s / 60) % 60, ss = s % 60;
    const two = (n) => (n < 10 ? '0' : '') + n;
    return h > 0 ? h + ':' + two(m) + ':' + two(ss) : m + ':' + two(ss);
  }

  // Natural order of DUT names: "dut-2" before "dut-10".
  const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' });

  // The verdict an outcome shows as: only pass (and marginal) is PASS.
  function verdictOf(outcome) {
    switch (outcome) {
      case 'pass': case 'marginal': return 'pass';
      case 'fail': return 'fail';
      case 'aborted': return 'aborted';
      default: return 'error';
    }
  }

  // ---- nice axis ticks --------------------------------------------------

  // A step of 1, 2 or 5 times a power of ten, near span/count.
  function niceStep(span, count) {
    if (!(span > 0) || !isFinite(span)) return 1;
    const raw = span / Math.max(1, count);
    const mag = Math.pow(10, Math.floor(Math.log10(raw)));
    const f = raw / mag;
    return (f < 1.5 ? 1 : f < 3.5 ? 2 : f < 7.5 ? 5 : 10) * mag;
  }

  // The ticks between lo and hi: multiples of a nice step.
  function ticks(lo, hi, count) {
    const step = niceStep(hi - lo, count);
    const out = [];
    const first = Math.ceil(lo / step - 1e-9);
    for (let i = first; i * step <= hi + step * 1e-9 && out.length < 50; i++) out.push(i * step);
    return { step, values: out };
  }

  // Decimal places that show a step's digits after its SI scaling.
  function stepDecimals(step, exp) {
    const s = step / Math.pow(10, exp);
    return Math.max(0, Math.ceil(-Math.log10(s) - 1e-9));
  }

  // ---- monitor series: bounded min/max buckets --------------------------

  class Series {
    constructor(name, unit) {
      this.name = name;
      this.unit = unit;
      this.band = null;
      this.t0 = new Float64Array(SERIES_BUCKETS); // first and last time in the bucket (ms)
      this.t1 = new Float64Array(SERIES_BUCKETS);
      this.lo = new Float64Array(SERIES_BUCKETS);
      this.hi = new Float64Array(SERIES_BUCKETS);
      this.cnt = new Uint32Array(SERIES_BUCKETS);
      this.n = 0;
      this.span = 1; // samples a bucket takes before the next one starts
      this.last = undefined;
      this.count = 0;
      this.outOfBand = 0;
    }

    add(t, v) {
      this.count++;
      this.last = v;
      if (!isFinite(v) || !isFinite(t)) return;
      if (this.band && !inBand(this.band, v)) this.outOfBand++;
      let i = this.n - 1;
      if (i < 0 || this.cnt[i] >= this.span) {
        if (this.n === SERIES_BUCKETS) this.halve();
        i = this.n++;
        this.t0[i] = t; this.t1[i] = t; this.lo[i] = v; this.hi[i] = v; this.cnt[i] = 1;
        return;
      }
      this.t1[i] = t;
      if (v < this.lo[i]) this.lo[i] = v;
      if (v > this.hi[i]) this.hi[i] = v;
      this.cnt[i]++;
    }

    // halve merges neighbouring buckets: the series keeps its whole time
    // range at half the resolution.
    halve() {
      const n = this.n;
      let j = 0;
      for (let i = 0; i < n; i += 2, j++) {
        const k = i + 1 < n ? i + 1 : i;
        this.t0[j] = this.t0[i]; this.t1[j] = this.t1[k];
        this.lo[j] = Math.min(this.lo[i], this.lo[k]);
        this.hi[j] = Math.max(this.hi[i], this.hi[k]);
        this.cnt[j] = this.cnt[i] + (k !== i ? this.cnt[k] : 0);
      }
      this.n = j;
      this.span *= 2;
    }
  }

  function inBand(b, v) {
    const lo = num(b.low), hi = num(b.high);
    if (lo !== undefined && v < lo) return false;
    if (hi !== undefined && v > hi) return false;
    return true;
  }

  // ---- the model --------------------------------------------------------

  const model = {
    run: null,          // the run shown: {id, info, ended, end, stopping, faults, safe, faultCount}
    slots: new Map(),   // DUT name -> slot
    runPrompts: new Map(), // prompts of the run with no DUT: id -> prompt
    lastSeq: new Map(), // run ID -> the last sequence number applied
    lastId: '',
    clockOffset: Infinity, // receipt time - event time, smallest seen (ms): until clockSkew is known
    clockSkew: NaN, // the server's clock - this one's (ms), from a Date header
    // The run this page shows whatever else starts (?run=ID), or '' for
    // the newest.
    pinned: new URLSearchParams(location.search).get('run') || '',
    // Runs going on beside the one shown (another program on the same
    // store), as much of them as needs the operator: run ID -> {id, name,
    // started, ended, prompts (open prompt IDs), faults, unsafe (actions
    // not verified), stopping}.
    others: new Map(),
    bannersDirty: true,
  };

  // What the page did, for the operator's curiosity and for tests.
  const stats = { applied: 0, duplicates: 0, gaps: 0, reconnects: 0, malformed: 0, perRun: {} };

  function newSlot(dut) {
    const s = {
      dut, run: '', serial: '', started: NaN, ended: NaN, phase: '', attempt: 0, finished: false,
      verdict: null, meas: new Map(), series: new Map(), shown: '', faults: [], prompt: null,
      stale: false, el: null, dirty: true, chartDirty: true, drawnAt: 0,
    };
    model.slots.set(dut, s);
    return s;
  }

  function slotFor(dut) {
    return model.slots.get(dut) || newSlot(dut);
  }

  // apply folds one event into the model; it returns false for an event
  // the page has already applied (a resumed stream resends from the
  // cursor it was given, and a reconnect may overlap).
  function apply(e) {
    if (!e || typeof e.run !== 'string' || typeof e.seq !== 'number') {
      stats.malformed++;
      return false;
    }
    const last = model.lastSeq.get(e.run);
    if (last !== undefined && e.seq <= last) {
      stats.duplicates++;
      return false;
    }
    if (last !== undefined && e.seq !== last + 1) stats.gaps++;
    model.lastSeq.set(e.run, e.seq);
    if (model.lastSeq.size > RUNS_REMEMBERED) {
      const oldest = model.lastSeq.keys().next().value;
      model.lastSeq.delete(oldest);
      delete stats.perRun[oldest];
    }
    stats.applied++;
    const pr = stats.perRun[e.run] || (stats.perRun[e.run] = { applied: 0, first: e.seq, last: 0 });
    pr.applied++;
    pr.last = e.seq;

    const t = timeMs(e.time);
    const off = Date.now() - t;
    if (off < model.clockOffset) model.clockOffset = off;

    if (e.kind === 'run.started' || !model.run || model.run.id !== e.run) {
      const show = model.pinned ? e.run === model.pinned && (!model.run || model.run.id !== e.run) :
        !model.run || e.run > model.run.id;
      if (show) {
        // The run shown before, if it goes on, stays in sight as another.
        if (model.run && !isFinite(model.run.ended)) demote(model.run);
        model.others.delete(e.run);
        startRun(e.run, e.kind === 'run.started' ? e.info : null);
      } else if (!model.run || model.run.id !== e.run) {
        noteOther(e, t);
        return true;
      }
    }
    const run = model.run;
    const s = e.dut ? slotFor(e.dut) : null;
    if (s) { s.stale = false; s.run = e.run; s.dirty = true; }

    switch (e.kind) {
      case 'run.started':
        run.info = e.info || {};
        run.started = t;
        break;
      case 'dut.started': // a new unit in the slot: what the last one showed goes
        Object.assign(s, {
          serial: (e.unit && e.unit.serial) || '', started: t, ended: NaN, phase: '', attempt: 0, finished: false,
          verdict: null, faults: [], prompt: null, shown: '',
        });
        s.meas.clear();
        s.series.clear();
        s.chartDirty = true;
        break;
      case 'unit.identified':
        if (e.unit && e.unit.serial) s.serial = e.unit.serial;
        break;
      case 'phase.started':
        if (e.phase) { s.phase = e.phase.name; s.attempt = e.phase.attempt; }
        break;
      case 'phase.ended':
        break;
      case 'measurement': {
        const m = e.measurement;
        if (!m) break;
        s.meas.set(m.name, { m, seq: e.seq, t });
        break;
      }
      case 'sample': {
        const smp = e.sample;
        if (!smp) break;
        let ser = s.series.get(smp.name);
        if (!ser) {
          ser = new Series(smp.name, smp.unit);
          s.series.set(smp.name, ser);
          if (!s.shown) s.shown = smp.name;
        }
        if (smp.band && !ser.band) ser.band = smp.band;
        if (!isFinite(s.started)) s.started = t;
        ser.add(t, num(smp.value));
        if (s.shown === smp.name) s.chartDirty = true;
        break;
      }
      case 'fault': {
        const f = e.fault || {};
        run.faults.push(f);
        run.faultCount++;
        if (run.faults.length > FAULTS_SHOWN) run.faults.shift();
        const fs = f.dut ? slotFor(f.dut) : null;
        if (fs) { fs.faults.push(f.message || 'fault'); fs.dirty = true; }
        break;
      }
      case 'safe_state':
        if (e.safe_state) run.safe.push(e.safe_state);
        break;
      case 'run.stopping':
        run.stopping = e.cause || 'stop requested';
        break;
      case 'dut.ended':
        s.finished = true;
        s.ended = t;
        s.prompt = null;
        break;
      case 'run.ended':
        run.ended = t;
        run.end = e.end || {};
        for (const v of run.end.duts || []) {
          const vs = slotFor(v.name);
          vs.verdict = { outcome: v.outcome, why: v.stop_cause || '' };
          vs.finished = true;
          vs.prompt = null;
          if (!isFinite(vs.ended)) vs.ended = t;
          vs.dirty = true;
        }
        model.runPrompts.clear();
        for (const [name, old] of model.slots) {
          if (old.stale) { if (old.el) old.el.remove(); model.slots.delete(name); }
        }
        refreshLists();
        break;
      default:
        if (e.kind === 'prompt') openPrompt(e, s);
        else if (e.kind.startsWith('prompt.')) closePrompt(e, s);
    }
    run.dirty = true;
    schedule();
    return true;
  }

  function startRun(id, info) {
    model.run = {
      id, info: info || {}, started: NaN, ended: NaN, end: null, stopping: '', faults: [], faultCount: 0,
      safe: [], dirty: true, stopAsked: '',
    };
    model.runPrompts.clear();
    // Slots keep the last unit's verdict until their next unit starts;
    // slots the new run does not use go when it ends.
    for (const s of model.slots.values()) {
      if (s.run !== id) { s.stale = true; s.prompt = null; s.dirty = true; }
    }
    disarm();
  }

  // demote keeps what needs the operator of run r, no longer shown.
  function demote(r) {
    const o = otherRun(r.id, r.info, r.started);
    for (const sl of model.slots.values()) if (sl.prompt && sl.prompt.run === r.id) o.prompts.add(sl.prompt.id);
    for (const p of model.runPrompts.values()) if (p.run === r.id) o.prompts.add(p.id);
    o.faults = r.faultCount;
    o.unsafe = r.safe.filter((a) => !a.verified).map((a) => a.name + (a.dut ? ' (' + a.dut + ')' : ''));
    o.stopping = r.stopping;
  }

  function otherRun(id, info, started) {
    let o = model.others.get(id);
    if (!o) {
      o = { id, name: '', started: NaN, ended: NaN, prompts: new Set(), faults: 0, unsafe: [], stopping: '' };
      model.others.set(id, o);
    }
    if (info && info.name) o.name = info.name;
    if (isFinite(started)) o.started = started;
    return o;
  }

  // noteOther folds an event of a run not shown into its summary: the
  // prompts waiting, the faults, a safe state not verified. Its other
  // events are for the page that shows it (?run=ID).
  function noteOther(e, t) {
    const o = otherRun(e.run, e.kind === 'run.started' ? e.info : null, e.kind === 'run.started' ? t : NaN);
    const id = e.prompt && e.prompt.id;
    switch (e.kind) {
      case 'prompt': if (id) o.prompts.add(id); break;
      case 'prompt.answered': case 'prompt.cancelled': case 'prompt.timeout': if (id) o.prompts.delete(id); break;
      case 'fault': o.faults++; break;
      case 'safe_state':
        if (e.safe_state && !e.safe_state.verified) o.unsafe.push(e.safe_state.name + (e.safe_state.dut ? ' (' + e.safe_state.dut + ')' : ''));
        break;
      case 'run.stopping': o.stopping = e.cause || 'stop requested'; break;
      case 'run.ended':
        o.ended = t;
        o.prompts.clear();
        // Over, and safe: nothing more to say of it.
        if (!o.unsafe.length) model.others.delete(e.run);
        break;
    }
    model.bannersDirty = true;
    schedule();
  }

  const refusedWhy = new Map(); // DUT -> why its last answer was refused

  function openPrompt(e, s) {
    const p = e.prompt;
    if (!p || !p.id) return;
    const t = timeMs(e.time);
    const pr = {
      run: e.run, id: p.id, dut: e.dut || '', text: p.text || '', input: p.input || 'confirm',
      choices: p.choices || [], deadline: p.timeout > 0 ? t + p.timeout / 1e6 : NaN,
      image: p.image && /^image\/(png|jpeg|gif|webp|svg\+xml)$/.test(p.image_type || '') ?
        'data:' + p.image_type + ';base64,' + p.image : '',
      state: 'open', note: '', noteErr: false, el: null, opened: t,
    };
    const why = refusedWhy.get(pr.dut);
    if (why !== undefined) {
      refusedWhy.delete(pr.dut);
      pr.note = 'The last answer was refused: ' + why;
      pr.noteErr = true;
    }
    if (s) s.prompt = pr; else model.runPrompts.set(p.id, pr);
  }

  function closePrompt(e, s) {
    const p = e.prompt;
    if (!p) return;
    // A refused answer (not one of the choices, an empty serial) is
    // followed by the same question under a new ID: it says why.
    if (e.kind === 'prompt.cancelled' && p.reason === 'refused') refusedWhy.set(e.dut || '', p.cause || 'refused');
    if (s && s.prompt && s.prompt.id === p.id) s.prompt = null;
    model.runPrompts.delete(p.id);
  }

  // ---- rendering, once per frame ----------------------------------------

  let scheduled = false;
  function schedule() {
    if (scheduled) return;
    scheduled = true;
    requestAnimationFrame(flush);
  }

  function flush() {
    scheduled = false;
    const now = Date.now();
    if (model.run && model.run.dirty) { renderHeader(); model.run.dirty = false; model.bannersDirty = true; }
    if (model.bannersDirty) { renderBanners(); model.bannersDirty = false; }
    let sorted = false, later = false;
    const chartEvery = Math.max(100, model.slots.size * 8);
    for (const s of model.slots.values()) {
      if (!s.el) { createSlot(s); sorted = true; }
      if (s.dirty) { renderSlot(s, now); s.dirty = false; }
      if (s.chartDirty) {
        // A chart redraws at most every chartEvery ms: with 64 DUTs
        // sampled at 1 kHz every chart changes every frame, and drawing
        // them all 60 times a second would take the page's whole time.
        if (now - s.drawnAt >= chartEvery) { drawChart(s); s.chartDirty = false; s.drawnAt = now; } else later = true;
      }
    }
    if (sorted) orderSlots();
    renderRunPrompts();
    focusPrompt();
    if (later) schedule();
  }

  function renderHeader() {
    const r = model.run;
    const info = r.info || {};
    $('#run-name').textContent = info.name || 'run ' + r.id;
    const parts = [];
    if (info.station) parts.push('station ' + info.station);
    if (info.operator) parts.push('operator ' + info.operator);
    if (info.batch) parts.push('batch ' + info.batch);
    parts.push(isFinite(r.ended) ? 'ended: ' + ((r.end && r.end.outcome) || '?').toUpperCase() : 'running');
    $('#run-meta').textContent = parts.join(' · ');
    const active = !isFinite(r.ended);
    $('#stop-graceful').disabled = !active;
    $('#stop-immediate').disabled = !active;
    if (!active) disarm();
  }

  function banner(cls, text, role) {
    const p = document.createElement('p');
    p.className = 'banner ' + cls;
    p.setAttribute('role', role || 'alert');
    p.textContent = text;
    return p;
  }

  function renderBanners() {
    const r = model.run;
    const box = $('#banners');
    const out = [];
    if (r) runBanners(r, out);
    for (const o of [...model.others.values()].sort((a, b) => (a.id < b.id ? -1 : 1))) out.push(otherBanner(o));
    if (model.pinned) {
      const b = banner('pinned', 'This page shows run ' + model.pinned + ' only. ', 'status');
      const a = document.createElement('a');
      a.href = location.pathname;
      a.textContent = 'Show the newest run';
      b.appendChild(a);
      out.push(b);
    }
    box.replaceChildren(...out);
  }

  // runBanners adds the banners of the run shown to out.
  function runBanners(r, out) {
    const bad = r.safe.filter((a) => !a.verified);
    if (bad.length) {
      const what = bad.map((a) => a.name + (a.dut ? ' (' + a.dut + ')' : '') + (a.error ? ': ' + a.error : '')).join('; ');
      out.push(banner('safe-bad', '⚠ SAFE STATE NOT VERIFIED — ' + what + '. Outputs may still be live: check the bench before touching it.'));
    } else if (r.safe.length && (isFinite(r.ended) || r.stopping)) {
      const names = new Map();
      for (const a of r.safe) names.set(a.name, (names.get(a.name) || 0) + 1);
      out.push(banner('safe-ok', '✓ Safe state verified: ' + r.safe.length + ' action' + (r.safe.length > 1 ? 's' : '') +
        ' (' + [...names].slice(0, 3).map(([n, c]) => (c > 1 ? n + ' ×' + c : n)).join(', ') +
        (names.size > 3 ? ' and ' + (names.size - 3) + ' more' : '') + ')', 'status'));
    }
    if (r.faultCount) {
      const more = r.faultCount - r.faults.length;
      const text = r.faults.map((f) => (f.source || 'fault') + (f.dut ? ' on ' + f.dut : '') + ': ' + (f.message || '')).join(' · ');
      out.push(banner('fault', 'FAULT' + (r.faultCount > 1 ? 'S (' + r.faultCount + ')' : '') + ': ' + text + (more > 0 ? ' · and ' + more + ' earlier' : '')));
    }
    if (r.stopping && !isFinite(r.ended)) out.push(banner('stopping', 'Stopping: ' + r.stopping));
    else if (r.stopAsked && !isFinite(r.ended)) out.push(banner('stopping', r.stopAsked, 'status'));
    if (r.end && r.end.recovered) out.push(banner('stopping', 'This run was cut short (the station stopped); its verdicts were settled from the record.', 'status'));
  }

  // otherBanner says what a run beside the one shown needs, with a link
  // to the page that shows it.
  function otherBanner(o) {
    const parts = [];
    if (o.unsafe.length) parts.push('⚠ SAFE STATE NOT VERIFIED — ' + o.unsafe.join('; ') + '. Outputs may still be live');
    if (o.prompts.size) parts.push(o.prompts.size + (o.prompts.size > 1 ? ' prompts wait' : ' prompt waits') + ' for an answer');
    if (o.faults) parts.push(o.faults + (o.faults > 1 ? ' faults' : ' fault'));
    if (o.stopping && !isFinite(o.ended)) parts.push('stopping: ' + o.stopping);
    const what = (isFinite(o.ended) ? 'Run ' : 'Another run is going on this station: ') + (o.name ? '“' + o.name + '” ' : '') +
      '(' + o.id + (isFinite(o.started) ? ', started ' + new Date(o.started).toLocaleTimeString() : '') + ')' +
      (isFinite(o.ended) ? ' has ended' : '');
    const urgent = o.unsafe.length || o.prompts.size || o.faults;
    const b = banner(o.unsafe.length ? 'safe-bad other' : urgent ? 'fault other' : 'stopping other', what + (parts.length ? ' — ' + parts.join(' · ') : '') + '. ', urgent ? 'alert' : 'status');
    b.dataset.run = o.id;
    const a = document.createElement('a');
    a.href = '?run=' + encodeURIComponent(o.id);
    a.textContent = 'Show it';
    b.appendChild(a);
    return b;
  }

  function createSlot(s) {
    const el = $('#slot-tpl').content.firstElementChild.cloneNode(true);
    el.dataset.dut = s.dut;
    const canvas = $('.chart', el);
    s.el = el;
    s.parts = {
      dut: $('.dut', el), serial: $('.serial', el), elapsed: $('.elapsed', el), phase: $('.phase-name', el),
      attempt: $('.attempt', el), failing: $('.failing-tag', el), verdict: $('.verdict', el), prompt: $('.prompt', el), meas: $('.meas tbody', el),
      tabs: $('.series-tabs', el), canvas,
    };
    s.parts.dut.textContent = s.dut;
    $('#slots').appendChild(el);
    if (window.ResizeObserver) new ResizeObserver(() => { s.chartDirty = true; schedule(); }).observe(canvas);
  }

  function orderSlots() {
    const box = $('#slots');
    const list = [...model.slots.values()].sort((a, b) => collator.compare(a.dut, b.dut));
    for (const s of list) box.appendChild(s.el);
    $('#no-slots').hidden = list.length > 0;
    box.classList.toggle('few', list.length <= 8);
  }

  function serverNow() {
    if (isFinite(model.clockSkew)) return Date.now() + model.clockSkew;
    return Date.now() - (isFinite(model.clockOffset) ? model.clockOffset : 0);
  }

  // The server's clock, from the Date header of a request made now (whole
  // seconds: half a second is added for the part cut off). The events'
  // own times cannot give it to a page opened while a prompt has waited
  // for minutes: the newest event is then minutes old, and a countdown
  // taken from it would show minutes too many.
  async function syncClock() {
    try {
      const t0 = Date.now();
      const res = await fetch('.', { method: 'HEAD', cache: 'no-store' });
      const t1 = Date.now();
      const d = Date.parse(res.headers.get('Date') || '');
      if (isFinite(d)) model.clockSkew = d + 500 - (t0 + t1) / 2;
    } catch (err) {
      // The events' times stand in.
    }
  }

  function renderElapsed(s, now) {
    if (!isFinite(s.started)) { s.parts.elapsed.textContent = ''; return; }
    const end = isFinite(s.ended) ? s.ended : serverNow();
    s.parts.elapsed.textContent = fmtElapsed(end - s.started);
  }

  function renderSlot(s, now) {
    const P = s.parts;
    s.el.classList.toggle('stale', s.stale);
    s.el.classList.toggle('faulted', s.faults.length > 0);
    s.el.classList.toggle('prompting', !!s.prompt);
    // Before the verdict: a unit with a measurement out of its limits is
    // already failing, whatever comes next.
    const failing = !s.verdict && [...s.meas.values()].some((x) => x.m.outcome === 'fail');
    s.el.classList.toggle('failing', failing);
    P.failing.hidden = !failing;
    P.serial.textContent = s.serial ? 'SN ' + s.serial : 'no serial yet';
    renderElapsed(s, now);
    if (s.verdict) {
      P.phase.textContent = s.stale ? 'previous run' : 'done';
      P.attempt.textContent = '';
    } else if (s.finished) {
      P.phase.textContent = 'finished';
      P.attempt.textContent = '— the verdict comes when the run ends';
    } else {
      P.phase.textContent = s.phase || (isFinite(s.started) ? 'starting' : '');
      P.attempt.textContent = s.attempt > 1 ? 'attempt ' + s.attempt : '';
    }
    // The verdict, large, until the next unit starts in the slot.
    if (s.verdict) {
      const v = verdictOf(s.verdict.outcome);
      P.verdict.className = 'verdict ' + v;
      P.verdict.dataset.outcome = s.verdict.outcome;
      P.verdict.textContent = v.toUpperCase();
      const why = s.verdict.outcome === 'marginal' ? 'marginal' : s.verdict.why;
      if (why) {
        const w = document.createElement('span');
        w.className = 'why';
        w.textContent = why;
        P.verdict.appendChild(w);
      }
      P.verdict.hidden = false;
    } else {
      P.verdict.hidden = true;
      P.verdict.textContent = '';
    }
    renderPrompt(s);
    renderMeasurements(s, now);
    renderTabs(s);
    if (s.faults.length) {
      let fl = $('.fault-line', s.el);
      if (!fl) {
        fl = document.createElement('div');
        fl.className = 'fault-line';
        fl.setAttribute('role', 'alert');
        P.phase.parentNode.after(fl);
      }
      fl.textContent = 'FAULT: ' + s.faults[s.faults.length - 1];
    } else {
      const fl = $('.fault-line', s.el);
      if (fl) fl.remove();
    }
  }

  function renderMeasurements(s, now) {
    const rows = [...s.meas.values()];
    // Failures first (they say why a unit fails), then the latest.
    rows.sort((a, b) => ((b.m.outcome === 'fail') - (a.m.outcome === 'fail')) || b.seq - a.seq);
    rows.length = Math.min(rows.length, MEAS_ROWS);
    const body = s.parts.meas;
    const have = body.rows;
    // Reuse rows whose measurement has not changed, so a row's drawn
    // time is when its value first appeared.
    const out = rows.map(({ m, seq, t }) => {
      for (const tr of have) if (tr.dataset.seq === String(seq) && tr.dataset.run === s.run) return tr;
      const tr = document.createElement('tr');
      tr.className = m.outcome || '';
      tr.dataset.seq = seq;
      tr.dataset.run = s.run;
      tr.dataset.name = m.name;
      tr.dataset.eventMs = t;
      tr.dataset.drawnMs = now;
      const name = document.createElement('td');
      name.textContent = m.name;
      name.title = m.phase ? m.name + ' (phase ' + m.phase + ')' : m.name;
      const v = document.createElement('td');
      v.className = 'v';
      v.textContent = fmtMeasured(m);
      const l = document.createElement('td');
      l.className = 'l';
      l.textContent = fmtLimit(m.limit, m.unit);
      tr.append(name, v, l);
      return tr;
    });
    body.replaceChildren(...out);
  }

  function renderTabs(s) {
    const P = s.parts;
    const names = [...s.series.keys()];
    if (P.tabs.dataset.names === names.join('\n') && P.tabs.dataset.shown === s.shown) return;
    P.tabs.dataset.names = names.join('\n');
    P.tabs.dataset.shown = s.shown;
    P.tabs.replaceChildren(...(names.length > 1 ? names : []).map((n) => {
      const b = document.createElement('button');
      b.type = 'button';
      b.textContent = n;
      b.setAttribute('aria-pressed', String(n === s.shown));
      b.addEventListener('click', () => { s.shown = n; s.dirty = true; s.chartDirty = true; schedule(); });
      return b;
    }));
  }

  // ---- prompts -----------------------------------------------------------

  function promptPanel(pr) {
    const box = document.createElement('div');
    box.dataset.prompt = pr.id;
    box.dataset.run = pr.run;
    const text = document.createElement('p');
    text.id = 'prompt-' + pr.run + '-' + pr.id;
    text.textContent = pr.text || (pr.input === 'serial' ? 'Scan the serial number' : 'Answer');
    box.appendChild(text);
    if (pr.image) {
      const img = document.createElement('img');
      img.src = pr.image;
      img.alt = 'picture for: ' + pr.text;
      box.appendChild(img);
    }
    const form = document.createElement('form');
    form.setAttribute('aria-labelledby', text.id);
    const send = (answer) => answerPrompt(pr, answer, form);
    if (pr.input === 'serial' || pr.input === 'text') {
      const input = document.createElement('input');
      input.type = 'text';
      input.name = 'answer';
      input.autocomplete = 'off';
      input.spellcheck = false;
      input.setAttribute('aria-label', (pr.input === 'serial' ? 'Serial number for ' : 'Answer for ') + (pr.dut || 'the run'));
      const ok = document.createElement('button');
      ok.type = 'submit';
      ok.textContent = 'Enter';
      form.append(input, ok);
      form.addEventListener('submit', (ev) => {
        ev.preventDefault();
        const v = input.value.trim();
        if (v === '') { note(pr, 'Type or scan an answer first.', true); return; }
        send(v);
      });
    } else {
      form.addEventListener('submit', (ev) => ev.preventDefault());
      const choices = pr.input === 'choice' ? pr.choices : ['yes', 'no'];
      for (const c of choices) {
        const b = document.createElement('button');
        b.type = 'button';
        b.textContent = pr.input === 'choice' ? c : c === 'yes' ? 'Yes' : 'No';
        if (pr.input !== 'choice') b.className = c;
        b.addEventListener('click', () => send(c));
        form.appendChild(b);
      }
    }
    box.appendChild(form);
    const n = document.createElement('div');
    n.className = 'note' + (pr.noteErr ? ' err' : '');
    n.setAttribute('role', 'status');
    n.textContent = pr.note;
    box.appendChild(n);
    pr.el = box;
    pr.form = form;
    pr.noteEl = n;
    return box;
  }

  function note(pr, text, err) {
    pr.note = text;
    pr.noteErr = !!err;
    if (pr.noteEl) {
      pr.noteEl.textContent = text;
      pr.noteEl.classList.toggle('err', !!err);
    }
  }

  function renderPrompt(s) {
    const P = s.parts;
    const pr = s.prompt;
    if (!pr) {
      P.prompt.hidden = true;
      P.prompt.replaceChildren();
      return;
    }
    if (!pr.el) P.prompt.replaceChildren(promptPanel(pr));
    P.prompt.hidden = false;
    updateCountdown(pr);
  }

  function renderRunPrompts() {
    const box = $('#run-prompt-list');
    const list = [...model.runPrompts.values()];
    $('#run-prompts').hidden = list.length === 0;
    const want = list.map((pr) => pr.el || promptPanel(pr));
    if (want.length !== box.children.length || want.some((el, i) => box.children[i] !== el)) box.replaceChildren(...want);
    for (const pr of list) { pr.el.className = 'prompt'; updateCountdown(pr); }
  }

  function updateCountdown(pr) {
    if (!isFinite(pr.deadline) || pr.state !== 'open' || pr.noteErr) return;
    const left = pr.deadline - serverNow();
    note(pr, left > 0 ? 'times out in ' + fmtElapsed(left + 999) : 'timed out');
  }

  // The prompts open now, oldest first.
  function openPrompts() {
    const out = [];
    for (const s of model.slots.values()) if (s.prompt) out.push(s.prompt);
    for (const p of model.runPrompts.values()) out.push(p);
    return out.sort((a, b) => a.opened - b.opened);
  }

  // A barcode scanner types into whatever has the focus, then presses
  // Enter: the oldest open prompt takes the focus when a prompt opens or
  // closes, and whenever nothing has it. It does not take it back from a
  // control the operator moved to (a stop button), however many other
  // events come meanwhile.
  let promptsSeen = ''; // the open prompts when the focus was last placed
  function focusPrompt() {
    const open = openPrompts().filter((p) => p.state === 'open' && p.el && p.el.isConnected);
    const keys = open.map((p) => p.run + '/' + p.id).join(' ');
    const changed = keys !== promptsSeen;
    promptsSeen = keys;
    const a = document.activeElement;
    if (a && a.closest && a.closest('.prompt') && a.isConnected && !a.disabled) return;
    if (!open.length) return;
    const idle = !a || a === document.body;
    if (!changed && !idle) return;
    const target = open[0].el.querySelector('input, button');
    if (target && document.activeElement !== target) target.focus();
  }

  async function answerPrompt(pr, answer, form) {
    if (pr.state !== 'open') return;
    pr.state = 'sending';
    for (const c of form.elements) c.disabled = true;
    note(pr, 'sending…');
    let res;
    try {
      res = await fetch('api/runs/' + encodeURIComponent(pr.run) + '/prompts/' + encodeURIComponent(pr.id), {
        method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ answer }),
      });
    } catch (err) {
      res = null;
    }
    if (res && res.status === 204) { // only 204 says the answer is stored
      pr.state = 'sent';
      note(pr, 'answered “' + answer + '”; waiting for the test to go on…');
      schedule();
      return;
    }
    if (res && res.status === 409) { pr.state = 'sent'; note(pr, 'not taken: ' + await errorText(res)); schedule(); return; }
    if (res && res.status === 404) { pr.state = 'sent'; note(pr, 'this prompt is no longer open', true); schedule(); return; }
    pr.state = 'open';
    for (const c of form.elements) c.disabled = false;
    note(pr, 'not sent: ' + (res ? 'the station answered ' + res.status + ': ' + await errorText(res) : 'the station cannot be reached') + ' — try again', true);
    schedule();
  }

  // The message of an error response ({"error": "..."}), or its text.
  async function errorText(res) {
    let text = '';
    try { text = await res.text(); } catch (err) { return res.statusText; }
    try { const j = JSON.parse(text); if (j && j.error) return String(j.error).slice(0, 300); } catch (err) { /* not JSON */ }
    return text.slice(0, 300) || res.statusText;
  }

  document.addEventListener('keydown', (ev) => {
    // Keys typed while nothing is focused go to the prompt (a scanner
    // fired after the operator clicked elsewhere on the page).
    const a = document.activeElement;
    if (ev.ctrlKey || ev.altKey || ev.metaKey || ev.key.length !== 1) return;
    if (a && a !== document.body && a.matches('input, textarea, select')) return;
    const p = openPrompts().find((x) => x.state === 'open' && x.el && x.el.querySelector('input'));
    if (p) p.el.querySelector('input').focus();
  });

  // ---- stop buttons -----------------------------------------------------

  let armTimer = 0;
  function disarm() {
    const b = $('#stop-immediate');
    b.classList.remove('armed');
    b.textContent = 'Stop now';
    clearTimeout(armTimer);
  }

  async function requestStop(immediate) {
    const r = model.run;
    if (!r || isFinite(r.ended)) return;
    r.stopAsked = immediate ? 'Immediate stop requested…' : 'Stop requested: the run stops after the current step…';
    r.dirty = true;
    schedule();
    let res;
    try {
      res = await fetch('api/runs/' + encodeURIComponent(r.id) + '/stop', {
        method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ immediate }),
      });
    } catch (err) {
      res = null;
    }
    if (!res || res.status !== 202) { // only 202 says the request is stored
      r.stopAsked = 'STOP NOT SENT: ' + (res ? 'the station answered ' + res.status + ': ' + await errorText(res) : 'the station cannot be reached') + ' — press again';
      r.dirty = true;
      schedule();
    }
  }

  $('#stop-graceful').addEventListener('click', () => requestStop(false));
  $('#stop-immediate').addEventListener('click', () => {
    const b = $('#stop-immediate');
    if (!b.classList.contains('armed')) {
      // An immediate stop skips the rest of the current step: one more
      // click confirms it.
      b.classList.add('armed');
      b.textContent = 'Click again to stop NOW';
      armTimer = setTimeout(disarm, 5000);
      return;
    }
    disarm();
    requestStop(true);
  });

  // ---- charts -----------------------------------------------------------

  function drawChart(s) {
    const canvas = s.parts.canvas;
    const ser = s.series.get(s.shown);
    const w = canvas.clientWidth, h = canvas.clientHeight;
    const dpr = window.devicePixelRatio || 1;
    if (!w || !h) return;
    if (canvas.width !== Math.round(w * dpr) || canvas.height !== Math.round(h * dpr)) {
      canvas.width = Math.round(w * dpr);
      canvas.height = Math.round(h * dpr);
    }
    const g = canvas.getContext('2d');
    g.setTransform(dpr, 0, 0, dpr, 0, 0);
    g.clearRect(0, 0, w, h);
    if (!ser || ser.n === 0) {
      canvas.setAttribute('aria-label', 'no monitor samples');
      return;
    }
    const L = 46, R = 6, T = 15, B = 16;
    const pw = Math.max(10, Math.floor(w - L - R)), ph = Math.max(10, h - T - B);
    // Time axis: seconds since the unit started.
    const origin = isFinite(s.started) ? s.started : ser.t0[0];
    const x0 = Math.min(0, ser.t0[0] - origin);
    let x1 = ser.t1[ser.n - 1] - origin;
    if (!(x1 > x0)) x1 = x0 + 1000;
    // Value axis: the data and the band, padded.
    let lo = Infinity, hi = -Infinity;
    for (let i = 0; i < ser.n; i++) { if (ser.lo[i] < lo) lo = ser.lo[i]; if (ser.hi[i] > hi) hi = ser.hi[i]; }
    const band = ser.band || {};
    const bl = num(band.low), bh = num(band.high), bn = num(band.nominal);
    for (const v of [bl, bh]) if (isFinite(v)) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
    if (hi - lo <= 0) { const d = Math.abs(hi) * 0.1 || 1; lo -= d; hi += d; }
    const pad = (hi - lo) * 0.08;
    lo -= pad; hi += pad;
    const yt = ticks(lo, hi, Math.max(2, Math.floor(ph / 28)));
    const X = (ms) => L + ((ms - origin - x0) / (x1 - x0)) * pw;
    const Y = (v) => T + (1 - (v - lo) / (hi - lo)) * ph;

    // Grid and value ticks.
    g.font = '11px system-ui, sans-serif';
    g.fillStyle = '#4a5260';
    g.strokeStyle = '#e1e4e8';
    g.lineWidth = 1;
    g.textAlign = 'right';
    g.textBaseline = 'middle';
    const ymax = Math.max(...yt.values.map(Math.abs));
    const yexp = SI_UNITS.has(ser.unit) ? prefixExp(ymax) : 0;
    const ydec = stepDecimals(yt.step, yexp);
    for (const v of yt.values) {
      const y = Math.round(Y(v)) + 0.5;
      g.beginPath(); g.moveTo(L, y); g.lineTo(L + pw, y); g.stroke();
      g.fillText(fmt(v, ser.unit, ydec, ymax), L - 3, y);
    }
    // Time ticks.
    const secs = (x1 - x0) / 1000;
    const useMin = secs >= 180;
    const unitMs = useMin ? 60000 : 1000;
    let xt = ticks(x0 / unitMs, x1 / unitMs, Math.max(2, Math.floor(pw / 70)));
    // The time axis ends on a tick, so its last label is at the edge.
    x1 = Math.ceil(x1 / unitMs / xt.step - 1e-9) * xt.step * unitMs;
    xt = ticks(x0 / unitMs, x1 / unitMs, Math.max(2, Math.floor(pw / 70)));
    const xdec = Math.max(0, Math.ceil(-Math.log10(xt.step) - 1e-9));
    g.textAlign = 'center';
    g.textBaseline = 'top';
    for (const v of xt.values) {
      const x = Math.round(X(origin + v * unitMs)) + 0.5;
      g.beginPath(); g.moveTo(x, T); g.lineTo(x, T + ph); g.stroke();
      g.fillText(v.toFixed(xdec) + (useMin ? ' min' : ' s'), Math.min(Math.max(x, L + 12), L + pw - 12), T + ph + 2);
    }
    g.strokeStyle = '#8a929e';
    g.strokeRect(L + 0.5, T + 0.5, pw, ph);

    // Limit lines.
    g.save();
    g.setLineDash([5, 3]);
    g.strokeStyle = '#b3001b';
    g.lineWidth = 1.5;
    for (const v of [bl, bh]) {
      if (!isFinite(v)) continue;
      const y = Math.round(Y(v)) + 0.5;
      g.beginPath(); g.moveTo(L, y); g.lineTo(L + pw, y); g.stroke();
    }
    if (isFinite(bn)) {
      g.setLineDash([2, 3]);
      g.strokeStyle = '#0b6b2c';
      const y = Math.round(Y(bn)) + 0.5;
      g.beginPath(); g.moveTo(L, y); g.lineTo(L + pw, y); g.stroke();
    }
    g.restore();

    // The trace: min and max per pixel column, so the cost is the
    // number of columns whatever the number of samples.
    const cmin = new Float64Array(pw + 1).fill(Infinity);
    const cmax = new Float64Array(pw + 1).fill(-Infinity);
    for (let i = 0; i < ser.n; i++) {
      const c = Math.max(0, Math.min(pw, Math.round(X((ser.t0[i] + ser.t1[i]) / 2) - L)));
      if (ser.lo[i] < cmin[c]) cmin[c] = ser.lo[i];
      if (ser.hi[i] > cmax[c]) cmax[c] = ser.hi[i];
    }
    g.save();
    g.beginPath();
    g.rect(L, T, pw, ph);
    g.clip();
    g.strokeStyle = ser.outOfBand ? '#b3001b' : '#0050b3';
    g.lineWidth = 1.5;
    g.beginPath();
    let started = false;
    for (let c = 0; c <= pw; c++) {
      if (cmin[c] === Infinity) continue;
      const x = L + c + 0.5;
      if (!started) { g.moveTo(x, Y(cmax[c])); started = true; } else g.lineTo(x, Y(cmax[c]));
      g.lineTo(x, Y(cmin[c]));
    }
    g.stroke();
    g.restore();
    // The name and the latest value.
    g.textAlign = 'left';
    g.textBaseline = 'top';
    g.fillStyle = '#15181d';
    g.font = '600 11px system-ui, sans-serif';
    const label = ser.name + ' ' + fmt(ser.last, ser.unit);
    g.fillText(label, L, 1);
    const bandText = fmtLimit(band, ser.unit);
    canvas.setAttribute('aria-label', 'chart of ' + ser.name + ', latest ' + fmt(ser.last, ser.unit) +
      (bandText ? ', limits ' + bandText : '') + ', ' + ser.count + ' samples' + (ser.outOfBand ? ', ' + ser.outOfBand + ' out of limits' : ''));
    canvas.dataset.samples = ser.count;
    canvas.dataset.buckets = ser.n;
  }

  // ---- the lists at the side ------------------------------------------

  async function getJSON(url) {
    const ctl = new AbortController();
    const timer = setTimeout(() => ctl.abort(), 10000);
    try {
      const res = await fetch(url, { signal: ctl.signal, headers: { Accept: 'application/json' } });
      if (!res.ok) throw new Error(url + ': ' + res.status);
      return await res.json();
    } finally {
      clearTimeout(timer);
    }
  }

  function li(...parts) {
    const el = document.createElement('li');
    el.append(...parts);
    return el;
  }
  function span(cls, text) {
    const el = document.createElement('span');
    el.className = cls;
    el.textContent = text;
    return el;
  }

  async function refreshYield() {
    try {
      const y = await getJSON('api/yield?since=today');
      const fp = (y && y.first_pass) || {};
      if (fp.units > 0) {
        $('#yield-value').textContent = (100 * fp.passed / fp.units).toFixed(1) + ' %';
        $('#yield-count').textContent = fp.passed + ' of ' + fp.units + ' units';
      } else {
        $('#yield-value').textContent = '–';
        $('#yield-count').textContent = 'no units yet today';
      }
    } catch (err) {
      $('#yield-count').textContent = 'yield unavailable';
    }
  }

  async function refreshRuns() {
    try {
      const list = await getJSON('api/runs?limit=12');
      const runs = Array.isArray(list) ? list : (list && list.runs) || [];
      const box = $('#runs');
      if (!runs.length) { box.replaceChildren(li(span('empty', 'none yet'))); return; }
      box.replaceChildren(...runs.map((r) => {
        const a = document.createElement('a');
        a.href = r.report || 'runs/' + encodeURIComponent(r.id) + '/report.html';
        a.textContent = r.name || r.id;
        a.title = 'report of run ' + r.id;
        const known = ['pass', 'marginal', 'fail', 'aborted', 'error'].includes(r.outcome);
        const outcome = known ? r.outcome : r.ended ? 'unknown' : 'running';
        const when = r.started ? new Date(r.started).toLocaleTimeString() : '';
        const units = (r.units || []).map((u) => u.serial || u.dut).filter(Boolean);
        const el = li(span('badge ' + (known ? verdictOf(outcome) : outcome), outcome), a, span('meta', when));
        if (units.length) el.appendChild(span('meta', units.slice(0, 4).join(', ') + (units.length > 4 ? ' +' + (units.length - 4) : '')));
        return el;
      }));
    } catch (err) {
      $('#runs').replaceChildren(li(span('empty', 'runs unavailable: ' + err.message)));
    }
  }

  async function refreshInstruments() {
    try {
      const list = await getJSON('api/instruments');
      const insts = Array.isArray(list) ? list : (list && list.instruments) || [];
      const box = $('#instruments');
      if (!insts.length) { box.replaceChildren(li(span('empty', 'none known'))); return; }
      box.replaceChildren(...insts.map((i) => {
        const status = String(i.status || i.state || (i.error ? 'error' : '') || '');
        const kind = /^(ok|connected|online|ready|idle)$/i.test(status) ? 'ok' :
          /^(in use|busy|running|measuring)$/i.test(status) ? 'running' : 'bad';
        const el = li();
        if (status) el.appendChild(span('badge ' + kind, status));
        el.appendChild(span('', i.name || i.resource || i.id || '?'));
        const detail = i.model || i.idn || (i.name ? i.resource : '');
        if (detail) el.appendChild(span('meta', detail));
        if (i.error) el.appendChild(span('meta', i.error));
        return el;
      }));
    } catch (err) {
      $('#instruments').replaceChildren(li(span('empty', 'instruments unavailable')));
    }
  }

  let listsTimer = 0;
  function refreshLists() {
    clearTimeout(listsTimer);
    listsTimer = setTimeout(() => { refreshYield(); refreshRuns(); refreshInstruments(); }, 200);
  }

  // ---- the event stream -------------------------------------------------

  let source = null;
  let retryMs = 1000;
  function connect() {
    const url = model.lastId ? 'events?after=' + encodeURIComponent(model.lastId) : 'events';
    source = new EventSource(url);
    source.onopen = () => {
      retryMs = 1000;
      setConn('live', 'live');
      syncClock();
    };
    source.onerror = () => {
      if (source.readyState === EventSource.CLOSED) {
        // The browser gave up (the server answered with an error):
        // reconnect from the last event applied.
        source.close();
        setConn('down', 'disconnected — retrying in ' + Math.round(retryMs / 1000) + ' s');
        stats.reconnects++;
        setTimeout(connect, retryMs);
        retryMs = Math.min(retryMs * 2, 10000);
      } else {
        setConn('down', 'disconnected — reconnecting…');
        stats.reconnects++;
      }
    };
    source.onmessage = onMessage;
    for (const k of KINDS) source.addEventListener(k, onMessage);
  }

  // Every kind of event arrives under its own SSE event name.
  function onMessage(ev) {
    let e;
    try {
      e = JSON.parse(ev.data);
    } catch (err) {
      stats.malformed++;
      return;
    }
    if (ev.lastEventId) model.lastId = ev.lastEventId;
    apply(e);
  }

  // The SSE event names are the event kinds; EventSource delivers a
  // named event only to a listener for that name.
  const KINDS = ['run.started', 'dut.started', 'unit.identified', 'dut.ended', 'phase.started', 'phase.ended',
    'measurement', 'sample', 'attachment', 'fault', 'safe_state', 'run.stopping', 'run.ended', 'prompt',
    'prompt.answered', 'prompt.cancelled', 'prompt.timeout'];

  function setConn(cls, text) {
    const el = $('#conn');
    el.className = 'conn ' + cls;
    el.textContent = text;
  }

  // The elapsed times and prompt countdowns tick once a second.
  setInterval(() => {
    const now = Date.now();
    for (const s of model.slots.values()) {
      if (s.el && isFinite(s.started) && !isFinite(s.ended)) renderElapsed(s, now);
      if (s.prompt) updateCountdown(s.prompt);
    }
    for (const p of model.runPrompts.values()) updateCountdown(p);
  }, 1000);
  setInterval(refreshLists, 30000);

  // For the curious and for the tests: what the page applied, its model,
  // and the pieces the browser tests check (formats, ticks, one fold step
  // and one redraw).
  window.stationPage = { stats, model, fmt, niceStep, ticks, apply, flush };
  // The fleet page is served beside this one when the station replicates
  // to a central database (station serve --db): link to it then.
  fetch('fleet', { method: 'HEAD' }).then((r) => { if (r.ok) $('#fleet-link').hidden = false; }, () => {});
  refreshLists();
  connect();
})();
