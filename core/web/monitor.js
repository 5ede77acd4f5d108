/*
 * monitor.js - the web monitor's page: fills itself from the JSON API
 * (docs/web.md) every few seconds.  Record values are untrusted: every
 * value goes into the page as text (textContent), never as markup.
 */
'use strict';

(function () {
  var REFRESH_MS = 4000;
  var TOKEN_KEY = 'weir-token';
  var open = {};        /* groups the admin opened, by groupId() */
  var shownRecord = null;
  var busy = false;

  function $(id) { return document.getElementById(id); }

  /* An element with text or child nodes; strings always as text. */
  /* records a group lists on the page (a failed batch of thousands
   * would make every refresh heavy); its count says how many there are */
  var RECORDS_SHOWN = 100;

  function el(tag, cls, children) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    [].concat(children === undefined ? [] : children).forEach(function (c) {
      if (c === null || c === undefined) return;
      e.appendChild(typeof c === 'object' ? c : document.createTextNode(String(c)));
    });
    return e;
  }

  function button(label, cls, onclick) {
    var b = el('button', cls, label);
    b.type = 'button';
    b.addEventListener('click', onclick);
    return b;
  }

  function clear(node) {
    while (node.firstChild) node.removeChild(node.firstChild);
    return node;
  }

  function say(text, failed) {
    var m = $('message');
    m.textContent = text;
    m.className = failed ? 'failed' : '';
    m.hidden = !text;
  }

  function when(iso) {
    return iso ? iso.replace('T', ' ').replace('Z', ' UTC') : '-';
  }

  /* ---- the API ------------------------------------------------------- */

  function token() { return sessionStorage.getItem(TOKEN_KEY); }

  function api(method, path, body) {
    var headers = {'Accept': 'application/json'};
    var opts = {method: method, headers: headers, cache: 'no-store',
                credentials: 'omit'};
    if (body !== undefined) {
      headers['Content-Type'] = 'application/json';
      opts.body = JSON.stringify(body);
      if (token()) headers['Authorization'] = 'Bearer ' + token();
    }
    return fetch(path, opts).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (doc) {
        if (r.ok) return doc;
        if (r.status === 401 && body !== undefined) showToken();
        var err = new Error(doc.error || ('HTTP ' + r.status));
        err.status = r.status;
        throw err;
      });
    });
  }

  /* A POST the admin asked for, its result said, then a refresh. */
  function act(path, body, done) {
    if (!token()) {
      say('Enter the token first (Resend, Discard and Merge need it).', true);
      $('token').focus();
      return;
    }
    api('POST', path, body).then(function (doc) {
      say(done(doc));
      refresh();
    }, function (e) { say(e.message, true); });
  }

  function plural(n, what) { return n + ' ' + what + (n === 1 ? '' : 's'); }

  function resend(body) {
    act('/api/resend', body, function (d) {
      return plural(d.resent, 'record') + ' back to pending: weir delivers ' +
             (d.resent === 1 ? 'it' : 'them') + ' now.';
    });
  }

  function discard(id) {
    act('/api/discard', {ids: [id]}, function (d) {
      return plural(d.discarded, 'record') + ' discarded.';
    });
  }

  /* ---- pipelines ----------------------------------------------------- */

  function renderStatus(doc) {
    var body = clear($('pipelines').tBodies[0]);
    var ends = {};
    (doc.endpoints || []).forEach(function (e) {
      (ends[e.pipeline] = ends[e.pipeline] || []).push(e);
    });
    (doc.pipelines || []).forEach(function (p) {
      var q = p.queue || {};
      var queue = [];
      ['failed', 'held', 'retry', 'pending', 'in_flight'].forEach(function (s) {
        if (q[s]) queue.push(el('div', s === 'failed' ? 'bad' : '',
                                q[s] + ' ' + s.replace('_', ' ')));
      });
      if (!queue.length) queue.push(el('span', 'ok', 'empty'));
      var health = (ends[p.pipeline] || []).map(function (e) {
        var down = e.health === 'down';
        return el('div', down ? 'bad' : 'ok',
                  [e.sink + ': ' + (down ? 'DOWN' : 'up') +
                   (e.since ? ' since ' + when(e.since) : ''),
                   down && e.error ? el('div', 'muted', e.error) : null]);
      });
      var last = p.last_run ? [when(p.last_run), el('div',
        p.status === 'ok' ? 'ok' : p.status === 'failed' ? 'warn' : 'bad',
        p.result)] : ['never'];
      body.appendChild(el('tr', '', [
        el('td', '', [el('strong', '', p.pipeline), el('div', 'muted', p.file)]),
        el('td', '', last), el('td', '', when(p.next_run)),
        el('td', '', queue), el('td', '', health.length ? health : '-')]));
    });
  }

  /* ---- the Integration Monitor --------------------------------------- */

  function groupId(g) {
    return JSON.stringify([g.pipeline, g.sink, g.type, g.status, g.error,
                           g.held_by_transform]);
  }

  /* The group a link names (#pipeline=P&sink=S&type=T&status=S&error=E:
   * the failure notifications link here). */
  function linkedGroup(g) {
    if (!location.hash) return false;
    var want = new URLSearchParams(location.hash.slice(1));
    var fields = ['pipeline', 'sink', 'type', 'status', 'error'];
    var named = false;
    for (var i = 0; i < fields.length; i++) {
      var v = want.get(fields[i]);
      if (v === null) continue;
      named = true;
      if (v !== (g[fields[i]] === null ? '' : String(g[fields[i]]))) return false;
    }
    return named;
  }

  function resendGroup(g) {
    /* a group without error text is picked by its ids: the filter,
     * without one, would take every error of the sink; "type": null is
     * the records without a type */
    if (g.error === null)
      resend({ids: (g.records || []).map(function (r) { return r.id; })});
    else
      resend({pipeline: g.pipeline, sink: g.sink, type: g.type,
              status: 'failed', error: g.error});
  }

  /* Discard asks twice: the button turns into a confirmation for 5 s.
   * Which record's is armed is kept here: the refresh builds the
   * buttons anew meanwhile. */
  var armed = {id: null, until: 0};

  function discardButton(id) {
    function isArmed() { return armed.id === id && Date.now() < armed.until; }
    var b = button('', 'danger', function () {
      if (isArmed()) { armed.id = null; discard(id); return; }
      armed = {id: id, until: Date.now() + 5000};
      label();
      setTimeout(label, 5000);
    });
    function label() {
      b.textContent = isArmed() ? 'Discard #' + id + '? Click again' : 'Discard';
    }
    label();
    return b;
  }

  function recordRow(g, r) {
    var actions = [button('Show', '', function () { showRecord(r.id); })];
    if (g.status === 'failed' || g.status === 'held') {
      actions.push(button('Resend', '', function () { resend({ids: [r.id]}); }));
      actions.push(discardButton(r.id));
    }
    return el('tr', '', [
      el('td', '', '#' + r.id), el('td', '', r.key === null ? '-' : r.key),
      el('td', '', String(r.attempts)),
      el('td', '', r.next_attempt ? when(r.next_attempt) :
                   r.waits_for ? 'waits for ' + r.waits_for : ''),
      el('td', 'row', actions)]);
  }

  function renderGroup(g) {
    var id = groupId(g);
    var d = el('details', 'group');
    d.dataset.id = id;
    var target = linkedGroup(g);
    if (open[id] || target) d.open = true;
    if (target) d.className += ' target';
    d.addEventListener('toggle', function () {
      if (d.open) open[id] = true; else delete open[id];
    });
    var held = g.status !== 'failed';
    d.appendChild(el('summary', '', [
      el('span', 'count' + (held ? ' held' : ''), String(g.count)), ' ',
      el('strong', '', g.pipeline), ' \u2192 ', g.sink,
      g.type !== null ? ' \u00b7 ' + g.type : '', ' \u00b7 ', g.status,
      g.held_by_transform ? ' by ' + g.held_by_transform : '',
      el('span', 'error', g.error === null ? '(no error text)' : g.error)]));
    var body = el('div', 'body');
    var actions = el('div', 'row');
    if (g.status === 'failed')
      actions.appendChild(button('Resend group (' + g.count + ')', 'primary',
                                 function () { resendGroup(g); }));
    actions.appendChild(el('span', 'muted',
      'oldest ' + when(g.oldest) + ', newest ' + when(g.newest)));
    body.appendChild(actions);
    var table = el('table', '', el('thead', '', el('tr', '', [
      el('th', '', 'Record'), el('th', '', 'Key'), el('th', '', 'Attempts'),
      el('th', '', 'Next'), el('th', '', '')])));
    var rows = el('tbody');
    (g.records || []).forEach(function (r) { rows.appendChild(recordRow(g, r)); });
    table.appendChild(rows);
    body.appendChild(el('div', 'scroll', table));
    if (g.more_records)
      body.appendChild(el('p', 'muted', 'The first ' + g.records.length +
        ' of ' + g.count + ' records; weir monitor --records lists them all.'));
    d.appendChild(body);
    return d;
  }

  var scrolled = false; /* to the group a link names, once */

  function renderMonitor(doc) {
    var groups = clear($('groups'));
    var list = doc.groups || [];
    list.forEach(function (g) { groups.appendChild(renderGroup(g)); });
    $('nothing').hidden = list.length > 0;
    var target = groups.querySelector('.target');
    if (target && !scrolled) target.scrollIntoView();
    scrolled = scrolled || !!target;
  }

  /* ---- one record ---------------------------------------------------- */

  function kv(rows) {
    var t = el('table', 'kv');
    rows.forEach(function (r) {
      if (r[1] !== null && r[1] !== undefined && r[1] !== '')
        t.appendChild(el('tr', '', [el('th', '', r[0]), el('td', '', r[1])]));
    });
    return t;
  }

  function text(v) {
    return v === null ? 'null' : typeof v === 'object' ? JSON.stringify(v) : String(v);
  }

  function renderRecord(r) {
    $('record-title').textContent = 'Record #' + r.id;
    var box = clear($('record'));
    box.appendChild(el('div', 'scroll', kv([
      ['pipeline', r.pipeline], ['sink', r.sink], ['key', r.key],
      ['operation', r.op], ['type', r.type], ['status', r.status],
      ['attempts', String(r.attempts)], ['next attempt', r.next_attempt],
      ['error', r.error], ['held by', r.held_by], ['waits for', r.waits_for],
      ['re-enters at', r.reenters_at], ['target id', r.assigned_id],
      ['idempotency key', r.idempotency_key], ['created', when(r.created)],
      ['updated', when(r.updated)]])));
    if (r.changes && r.changes.length) {
      box.appendChild(el('h3', '', 'What changed'));
      var ct = el('table', '', el('tr', '', [el('th', '', 'Field'),
        el('th', '', 'Old'), el('th', '', 'New')]));
      r.changes.forEach(function (c) {
        ct.appendChild(el('tr', '', [el('td', '', c.field),
          el('td', '', text(c.old)), el('td', '', text(c.new))]));
      });
      box.appendChild(el('div', 'scroll', ct));
    } else if (r.resent) {
      box.appendChild(el('p', '', 'No field changed: sent again (' +
                             r.resent + ').'));
    }
    box.appendChild(el('h3', '', 'Payload'));
    var payload = r.payload;
    if (payload && typeof payload === 'object' && !Array.isArray(payload))
      box.appendChild(el('div', 'scroll', kv(Object.keys(payload).map(function (k) {
        return [k, text(payload[k])];
      }))));
    else
      box.appendChild(el('pre', '', text(payload)));
    box.appendChild(el('h3', '', 'Attempts'));
    var ht = el('table', '', el('tr', '', [el('th', '', 'At'),
      el('th', '', 'Result'), el('th', '', 'Message')]));
    (r.history || []).forEach(function (h) {
      ht.appendChild(el('tr', '', [el('td', '', when(h.at)), el('td', '', h.result),
        el('td', '', h.message === null ? '' : h.message)]));
    });
    box.appendChild(el('div', 'scroll', ht));
    $('record-section').hidden = false;
  }

  function showRecord(id) {
    shownRecord = id;
    api('GET', '/api/records/' + id).then(function (r) {
      renderRecord(r);
      $('record-section').scrollIntoView();
    }, function (e) { say(e.message, true); });
  }

  /* ---- xref suggestions ---------------------------------------------- */

  function renderSuggestions(doc) {
    var box = clear($('suggestions'));
    var list = doc.suggestions || [];
    if (!list.length) box.appendChild(el('p', 'muted', 'Nothing to match.'));
    list.forEach(function (s) {
      var t = el('table');
      (s.candidates || []).forEach(function (c) {
        var merge = s.entity && s.xref && c.xref ? button('Merge', '', function () {
          act('/api/xref/merge', {entity: s.entity, from: s.xref, to: c.xref},
              function (d) {
                return 'Linked ' + s.xref + ' \u2194 ' + c.xref + '; ' +
                       plural(d.released, 'record') + ' released.';
              });
        }) : null;
        t.appendChild(el('tr', '', [el('td', '', c.score.toFixed(3)),
          el('td', '', c.key), el('td', '', c.name), el('td', '', merge)]));
      });
      if (!s.candidates || !s.candidates.length)
        t.appendChild(el('tr', '', el('td', 'muted', '(no suggestion)')));
      box.appendChild(el('div', 'group', [
        el('div', 'body', [el('strong', '', s.key), ' ', s.name]),
        el('div', 'body scroll', t)]));
    });
  }

  function suggest(ev) {
    ev.preventDefault();
    var q = new URLSearchParams({app: $('suggest-app').value,
                                 against: $('suggest-against').value});
    if ($('suggest-prefix').value) q.set('prefix', $('suggest-prefix').value);
    clear($('suggestions')).appendChild(el('p', 'muted', 'reading both sources...'));
    api('GET', '/api/xref/suggest?' + q.toString()).then(renderSuggestions,
      function (e) { clear($('suggestions')); say(e.message, true); });
  }

  /* ---- the token ----------------------------------------------------- */

  function showToken() {
    var have = !!token();
    $('token-form').hidden = have;
    $('token-forget').hidden = !have;
    $('token-state').textContent = have ? 'token set' : 'read-only';
  }

  function useToken(ev) {
    ev.preventDefault();
    var t = $('token').value.trim();
    $('token').value = '';
    if (t) sessionStorage.setItem(TOKEN_KEY, t);
    showToken();
  }

  function forgetToken() {
    sessionStorage.removeItem(TOKEN_KEY);
    showToken();
  }

  /* ---- refreshing ---------------------------------------------------- */

  function refresh() {
    if (busy) return;
    busy = true;
    Promise.all([api('GET', '/api/status'), api('GET', '/api/monitor?limit=' + RECORDS_SHOWN)])
      .then(function (docs) {
        renderStatus(docs[0]);
        renderMonitor(docs[1]);
        $('updated').textContent = 'updated ' + new Date().toLocaleTimeString();
        if (shownRecord !== null && !$('record-section').hidden)
          return api('GET', '/api/records/' + shownRecord).then(renderRecord);
      })
      .catch(function (e) {
        $('updated').textContent = 'not updated: ' + e.message;
      })
      .then(function () { busy = false; });
  }

  document.addEventListener('DOMContentLoaded', function () {
    $('token-form').addEventListener('submit', useToken);
    $('token-forget').addEventListener('click', forgetToken);
    $('suggest-form').addEventListener('submit', suggest);
    window.addEventListener('hashchange', refresh);
    showToken();
    refresh();
    setInterval(refresh, REFRESH_MS);
  });
})();
