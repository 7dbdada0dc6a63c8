// The fleet page: every station replicating to the central database, as
// snapshots the server sends over server-sent events whenever the
// database changes. Our own code, no framework, nothing loaded from
// elsewhere: it works on a factory network with no internet.
//
// Text from the database only ever goes in through textContent, never
// as HTML.
'use strict';

(function () {
  // Slots listed per station card; the rest are counted.
  const SLOTS_SHOWN = 8;

  const $ = (sel, root) => (root || document).querySelector(sel);

  const state = {
    snapshot: null, // the last snapshot applied
    token: '',      // its token: the stream's Last-Event-ID
    skew: 0,        // the server's clock minus ours, ms
    snapshots: 0,   // snapshots applied (for the tests)
    reconnects: 0,
    unavailable: '', // why the database cannot be read, '' while it can
  };

  function timeMs(s) {
    if (!s) return NaN;
    const m = /^(.*T\d\d:\d\d:\d\d)(\.\d+)?(Z|[+-]\d\d:\d\d)$/.exec(s);
    if (!m) return Date.parse(s);
    return Date.parse(m[1] + m[3]) + (m[2] ? Number('0' + m[2]) * 1000 : 0);
  }

  // "12 s ago", "4 min ago", "3 h ago", "2 d ago".
  function ago(ms) {
    const s = Math.max(0, Math.round(ms / 1000));
    if (s < 90) return s + ' s ago';
    if (s < 90 * 60) return Math.round(s / 60) + ' min ago';
    if (s < 36 * 3600) return Math.round(s / 3600) + ' h ago';
    return Math.round(s / 86400) + ' d ago';
  }

  function pct(y) {
    return y.units ? (100 * y.passed / y.units).toFixed(1) + '%' : '–';
  }

  function fmtValue(m) {
    if (m.value === undefined || m.value === null) return m.name;
    const v = Number(m.value);
    const s = Math.abs(v) >= 1e5 || (v !== 0 && Math.abs(v) < 1e-3) ? v.toExponential(3) : String(Number(v.toPrecision(5)));
    return s + (m.unit ? ' ' + m.unit : '');
  }

  function setText(el, text) {
    if (el.textContent !== text) el.textContent = text;
  }

  // ---- rendering ---------------------------------------------------------

  const cards = new Map(); // station ID -> its card

  function render() {
    const snap = state.snapshot;
    if (!snap) return;
    const list = $('#stations');
    const seen = new Set();
    for (const st of snap.stations) {
      seen.add(st.id);
      let card = cards.get(st.id);
      if (!card) {
        card = $('#station-tpl').content.firstElementChild.cloneNode(true);
        card.dataset.id = st.id;
        cards.set(st.id, card);
      }
      list.appendChild(card); // in the snapshot's order (by ID)
      renderStation(card, st);
    }
    for (const [id, card] of cards) {
      if (!seen.has(id)) { card.remove(); cards.delete(id); }
    }
    $('#no-stations').hidden = snap.stations.length > 0;
    let meta = snap.stations.length + (snap.stations.length === 1 ? ' station' : ' stations');
    if (snap.more) meta += ' (and ' + snap.more + ' more not shown)';
    setText($('#fleet-meta'), meta);
    renderYield(snap.yield || []);
    renderClock();
  }

  function renderStation(card, st) {
    setText($('.sid', card), st.id);
    card.title = st.id;
    const backlog = $('.backlog', card);
    setText(backlog, String(st.backlog));
    backlog.classList.toggle('behind', st.backlog > 0);
    card.dataset.backlog = String(st.backlog);
    setText($('.software', card), st.software ? 'software ' + st.software : 'software unknown');
    const run = st.run;
    const outcome = $('.outcome', card);
    const tbody = $('tbody', card);
    let failing = false;
    if (!run) {
      outcome.hidden = true;
      setText($('.run-name', card), 'no run yet');
      setText($('.run-meta', card), '');
      tbody.replaceChildren();
      card.dataset.run = '';
    } else {
      outcome.hidden = false;
      outcome.className = 'badge outcome ' + run.outcome;
      setText(outcome, run.outcome);
      setText($('.run-name', card), run.name);
      card.dataset.run = run.id;
      card.dataset.outcome = run.outcome;
      const bits = [];
      if (run.operator) bits.push('operator ' + run.operator);
      if (run.batch) bits.push('batch ' + run.batch);
      bits.push('started ' + new Date(timeMs(run.started)).toLocaleTimeString());
      setText($('.run-meta', card), bits.join(' · '));
      const rows = [];
      const slots = run.slots || [];
      for (const u of slots.slice(0, SLOTS_SHOWN)) {
        const tr = document.createElement('tr');
        tr.className = 'slot-row';
        tr.dataset.dut = u.dut;
        tr.dataset.serial = u.serial || '';
        const verdict = u.outcome || (u.failed > 0 ? 'fail' : (u.latest ? u.latest.outcome : ''));
        if (verdict === 'fail' || verdict === 'error') { tr.classList.add('fail'); failing = true; }
        else if (u.outcome === 'pass' || u.outcome === 'marginal') tr.classList.add('pass');
        const cells = [
          u.dut,
          u.serial || '—',
          u.phase ? u.phase + (u.attempt > 1 ? ' #' + u.attempt : '') : '—',
          u.outcome ? u.outcome.toUpperCase() : (u.latest ? (u.failed > 0 ? '✗ ' : '✓ ') + fmtValue(u.latest) : '—'),
        ];
        const cls = ['dut', 'serial', 'ph', 'latest'];
        cells.forEach((text, i) => {
          const td = document.createElement('td');
          td.className = cls[i];
          td.textContent = text;
          td.title = text;
          tr.appendChild(td);
        });
        if (u.latest && !u.outcome) tr.lastChild.title = u.latest.name + ': ' + fmtValue(u.latest) + ' (' + u.latest.outcome + ')';
        rows.push(tr);
      }
      const more = slots.length - Math.min(slots.length, SLOTS_SHOWN) + (run.more_slots || 0);
      if (more > 0) {
        const tr = document.createElement('tr');
        tr.className = 'more';
        const td = document.createElement('td');
        td.colSpan = 4;
        td.textContent = '+ ' + more + ' more slot' + (more === 1 ? '' : 's');
        tr.appendChild(td);
        rows.push(tr);
      }
      tbody.replaceChildren(...rows);
    }
    card.classList.toggle('failing', failing);
    // Two station stores replicating under this ID (results.StoreConflict):
    // the banner says what to do, the card which one it is.
    const conflict = $('.conflict', card);
    conflict.hidden = !st.conflict;
    if (st.conflict) conflict.title = conflictText(st.conflict);
    card.classList.toggle('shared-id', !!st.conflict);
    card.dataset.conflict = String(!!st.conflict);
    card.dataset.lastSeen = String(timeMs(st.last_seen));
  }

  function renderYield(yields) {
    const ul = $('#yields');
    if (!yields.length) {
      const li = document.createElement('li');
      li.className = 'empty';
      li.textContent = 'no unit tested today';
      ul.replaceChildren(li);
      return;
    }
    ul.replaceChildren(...yields.map((y) => {
      const li = document.createElement('li');
      li.dataset.part = y.part;
      const name = document.createElement('span');
      name.textContent = y.part + ' ';
      const p = document.createElement('span');
      p.className = 'pct';
      p.textContent = pct(y);
      const n = document.createElement('span');
      n.className = 'meta';
      n.textContent = ' (' + y.passed + '/' + y.units + ')';
      li.append(name, p, n);
      return li;
    }));
  }

  // Online or offline and "seen ... ago" follow the clock, between
  // snapshots too.
  function renderClock() {
    const snap = state.snapshot;
    if (!snap) return;
    const now = Date.now() + state.skew;
    for (const card of cards.values()) {
      const age = now - Number(card.dataset.lastSeen);
      const online = age < snap.offline_after_s * 1000;
      const badge = $('.state', card);
      badge.className = 'badge state ' + (online ? 'online' : 'offline');
      setText(badge, online ? 'online' : 'offline');
      card.classList.toggle('offline', !online);
      card.dataset.online = String(online);
      setText($('.seen', card), 'seen ' + ago(age));
    }
  }

  function shortStore(id) {
    return id.length > 8 ? id.slice(0, 8) : id;
  }

  function conflictText(c) {
    const [a, b] = c.stores || ['', ''];
    return 'Station ID "' + c.station + '" is used by two station PCs at once (stores ' + shortStore(a) + ' and ' +
      shortStore(b || '') + ', alternating since ' + new Date(timeMs(c.since)).toLocaleString() + '): its backlog and ' +
      'last-seen time flip between them and analytics by station merge the two; no result is lost. ' +
      'Give each station its own ID: --station (ReplicaOptions.Station) on one of them.';
  }

  function renderBanner() {
    const box = $('#banners');
    const banners = [];
    if (state.unavailable) {
      const p = document.createElement('p');
      p.className = 'banner fault';
      p.textContent = state.unavailable + ' — showing the last snapshot received.';
      banners.push(p);
    }
    for (const st of (state.snapshot && state.snapshot.stations) || []) {
      if (!st.conflict) continue;
      const p = document.createElement('p');
      p.className = 'banner stopping shared-id';
      p.dataset.station = st.id;
      p.textContent = conflictText(st.conflict);
      banners.push(p);
    }
    box.replaceChildren(...banners);
  }

  // ---- the stream ----------------------------------------------------------

  let source = null;
  let retryMs = 1000;
  function connect() {
    const url = state.token ? 'fleet/events?after=' + encodeURIComponent(state.token) : 'fleet/events';
    source = new EventSource(url);
    source.onopen = () => {
      retryMs = 1000;
      setConn('live', 'live');
    };
    source.onerror = () => {
      state.reconnects++;
      if (source.readyState === EventSource.CLOSED) {
        // The browser gave up (an error status): try again ourselves,
        // from the snapshot we have.
        source.close();
        setConn('down', 'disconnected — retrying in ' + Math.round(retryMs / 1000) + ' s');
        setTimeout(connect, retryMs);
        retryMs = Math.min(retryMs * 2, 10000);
      } else {
        setConn('down', 'disconnected — reconnecting…');
      }
    };
    source.addEventListener('fleet', (ev) => {
      let snap;
      try {
        snap = JSON.parse(ev.data);
      } catch (err) {
        return;
      }
      state.snapshot = snap;
      state.token = ev.lastEventId || snap.token;
      state.skew = timeMs(snap.now) - Date.now();
      state.snapshots++;
      state.unavailable = '';
      render();
      renderBanner();
    });
    source.addEventListener('unavailable', (ev) => {
      try {
        state.unavailable = JSON.parse(ev.data).error;
      } catch (err) {
        state.unavailable = 'the central database cannot be read';
      }
      renderBanner();
    });
  }

  function setConn(cls, text) {
    const el = $('#conn');
    el.className = 'conn ' + cls;
    el.textContent = text;
  }

  setInterval(renderClock, 1000);
  // Served beside a station's page (station serve --db), link back to
  // it; served alone (--fleet) there is none.
  fetch('api/runs?limit=1', { method: 'HEAD' }).then((r) => { if (r.ok) $('#station-link').hidden = false; }, () => {});
  window.fleetPage = { state };
  connect();
})();
