/* report.js - draws `bpfreplay report`'s page from the JSON in
 * #report-data (rstats.c writes it).  Plain DOM, SVG and canvas: no library,
 * nothing loaded.  Every text from the capture goes on the page as text
 * (textContent, createTextNode, fillText), never as markup.
 *
 * For tests and for a person: errors are written into #report-errors (its
 * data-errors attribute counts them); every chart is an element with
 * data-chart=NAME and a data-n attribute counting what it drew (points,
 * bars, nodes, frames, events); #report gets data-state="done" and
 * data-charts (their number) when everything is drawn.
 */
'use strict';
(function () {
  var errBox = document.getElementById('report-errors');
  var nerr = 0;
  errBox.setAttribute('data-errors', '0');
  function fail(msg) {
    nerr++;
    errBox.hidden = false;
    errBox.setAttribute('data-errors', String(nerr));
    var p = document.createElement('p');
    p.textContent = msg;
    errBox.appendChild(p);
  }
  window.addEventListener('error', function (e) { fail('error: ' + e.message); });

  var D;
  try {
    D = JSON.parse(document.getElementById('report-data').textContent);
  } catch (e) {
    fail('report data: ' + e.message);
    return;
  }
  var root = document.getElementById('report');
  var SVGNS = 'http://www.w3.org/2000/svg';
  var COLORS = ['#4269d0', '#efb118', '#ff725c', '#6cc5b0', '#3ca951', '#ff8ab7', '#a463f2',
                '#97bbf5', '#9c6b4e', '#9498a0'];
  var ncharts = 0;

  /* ---- elements ---- */
  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    for (var k in attrs || {}) e.setAttribute(k, attrs[k]);
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }
  function add(parent, child) { parent.appendChild(child); return child; }
  function svg(tag, attrs, text) {
    var e = document.createElementNS(SVGNS, tag);
    for (var k in attrs || {}) e.setAttribute(k, attrs[k]);
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }
  function section(id, title, note) {
    var s = add(root, el('section', { id: id }));
    add(s, el('h2', null, title));
    if (note) add(s, el('p', { 'class': 'note' }, note));
    return s;
  }
  function chart(parent, name, n) {
    var f = add(parent, el('figure', { 'class': 'chart', 'data-chart': name, 'data-n': String(n) }));
    ncharts++;
    return f;
  }
  function table(parent, heads, rows, numeric) {
    var t = add(parent, el('table'));
    var tr = add(add(t, el('thead')), el('tr'));
    heads.forEach(function (h, i) { add(tr, el('th', numeric && numeric[i] ? { 'class': 'num' } : null, h)); });
    var tb = add(t, el('tbody'));
    rows.forEach(function (r) {
      var row = add(tb, el('tr'));
      r.forEach(function (v, i) { add(row, el('td', numeric && numeric[i] ? { 'class': 'num' } : null, v)); });
    });
    return t;
  }

  /* ---- numbers ---- */
  function fmtInt(n) { return Number(n).toLocaleString('en-US'); }
  function fmtNs(ns) {
    ns = Number(ns);
    if (ns < 1000) return ns + ' ns';
    if (ns < 1e6) return (ns / 1e3).toPrecision(3) + ' \u00b5s';
    if (ns < 1e9) return (ns / 1e6).toPrecision(3) + ' ms';
    return (ns / 1e9).toPrecision(4) + ' s';
  }
  function fmtRel(ns) { return '+' + (Number(ns) / 1e9).toFixed(3) + ' s'; }
  function color(i) { return COLORS[i % COLORS.length]; }
  /* axis labels for a scale up to max: whole numbers unless max is small */
  function axisFmt(max) {
    return function (v) { return v % 1 && max < 100 ? v.toFixed(1) : fmtInt(Math.round(v)); };
  }

  /* ---- an SVG chart: axes and a plot area ---- */
  var W = 900, H = 220, ML = 64, MR = 16, MT = 10, MB = 30;
  function plot(fig, xmax, ymax, xfmt, yfmt) {
    var s = add(fig, svg('svg', { viewBox: '0 0 ' + W + ' ' + H, width: '100%', role: 'img' }));
    var pw = W - ML - MR, ph = H - MT - MB;
    add(s, svg('rect', { x: ML, y: MT, width: pw, height: ph, 'class': 'plot' }));
    for (var i = 0; i <= 4; i++) {
      var y = MT + ph - ph * i / 4;
      add(s, svg('line', { x1: ML, x2: ML + pw, y1: y, y2: y, 'class': 'grid' }));
      add(s, svg('text', { x: ML - 6, y: y + 4, 'text-anchor': 'end' }, yfmt(ymax * i / 4)));
      var x = ML + pw * i / 4;
      add(s, svg('text', { x: x, y: H - 10, 'text-anchor': i ? (i === 4 ? 'end' : 'middle') : 'start' },
                 xfmt(xmax * i / 4)));
    }
    return {
      svg: s,
      x: function (v) { return ML + pw * (xmax ? v / xmax : 0); },
      y: function (v) { return MT + ph - ph * (ymax ? v / ymax : 0); },
      pw: pw, ph: ph
    };
  }
  function legend(fig, names) {
    var l = add(fig, el('figcaption', { 'class': 'legend' }));
    names.forEach(function (n, i) {
      var item = add(l, el('span'));
      add(item, el('i', { style: 'background:' + color(i) }));
      item.appendChild(document.createTextNode(n));
    });
  }
  function niceMax(v) {
    if (v <= 0) return 1;
    var p = Math.pow(10, Math.floor(Math.log10(v)));
    var m = v / p;
    return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * p;
  }

  /* ---- the session ---- */
  function drawSession() {
    var se = D.session, sp = D.span;
    document.title = 'bpfrec report: ' + (se.host || '?');
    var h = add(root, el('header'));
    add(h, el('h1', null, 'bpfrec report'));
    var dl = add(h, el('dl'));
    function row(k, v) { add(dl, el('dt', null, k)); add(dl, el('dd', null, v)); }
    row('host', se.host);
    row('kernel', se.kernel);
    row('command', se.command);
    row('recorded by', se.tool);
    row('start', se.start);
    row('end', se.end || 'not recorded (the recorder did not finish)');
    if (se.duration_ns !== undefined) row('duration', fmtNs(se.duration_ns));
    row('boot id', se.boot_id);
    row('events shown', fmtInt(sp.events) + ' from ' + sp.t0_wall + ' over ' + fmtNs(sp.len_ns));
    se.bundle.forEach(function (kv) { row('bundle: ' + kv[0], kv[1]); });

    var s = section('streams', 'Streams');
    table(s, ['stream', 'type', 'events', 'lost', 'failed (ret < 0)'], D.streams.map(function (st) {
      return [st.name, st.type, fmtInt(st.events), fmtInt(st.lost), fmtInt(st.failed)];
    }), [0, 0, 1, 1, 1]);
  }

  /* ---- rates and losses over time ---- */
  function drawRates() {
    var s = section('rates', 'Events per second, per stream',
                    'Each point counts ' + fmtNs(D.span.bucket_ns) + ' of the capture.');
    var per = D.span.bucket_ns / 1e9, ymax = 0, n = 0;
    D.streams.forEach(function (st) { st.rate.forEach(function (c) { ymax = Math.max(ymax, c / per); }); });
    var fig = chart(s, 'rate', D.streams.length * D.span.buckets);
    var p = plot(fig, D.span.len_ns, niceMax(ymax), fmtRel, axisFmt(niceMax(ymax)));
    D.streams.forEach(function (st, i) {
      var d = '';
      st.rate.forEach(function (c, k) {
        d += (k ? 'L' : 'M') + p.x((k + 0.5) * D.span.bucket_ns).toFixed(1) + ' ' + p.y(c / per).toFixed(1);
        n++;
      });
      var path = add(p.svg, svg('path', { d: d, stroke: color(i), 'class': 'series' }));
      add(path, svg('title', null, st.name));
    });
    fig.setAttribute('data-n', String(n));
    legend(fig, D.streams.map(function (st) { return st.name; }));

    var total = 0, lmax = 0, sums = [];
    for (var k = 0; k < D.span.buckets; k++) {
      var sum = 0;
      D.streams.forEach(function (st) { sum += st.loss[k]; });
      sums.push(sum);
      total += sum;
      lmax = Math.max(lmax, sum);
    }
    var ls = section('losses', 'Losses over time',
                     total ? fmtInt(total) + ' events lost (per stream in the table above).'
                           : 'No event was lost in this slice.');
    var lf = chart(ls, 'losses', 0), nbars = 0;
    var lp = plot(lf, D.span.len_ns, niceMax(lmax), fmtRel, axisFmt(niceMax(lmax)));
    var bw = Math.max(1, lp.pw / D.span.buckets);
    for (k = 0; k < D.span.buckets; k++) {
      var base = 0;
      D.streams.forEach(function (st, i) {
        var c = st.loss[k];
        if (!c) return;
        var r = add(lp.svg, svg('rect', { x: lp.x(k * D.span.bucket_ns).toFixed(1), width: bw.toFixed(1),
                                          y: lp.y(base + c).toFixed(1),
                                          height: (lp.y(base) - lp.y(base + c)).toFixed(1),
                                          fill: color(i), 'class': 'bar' }));
        add(r, svg('title', null, st.name + ': ' + fmtInt(c) + ' lost'));
        base += c;
        nbars++;
      });
    }
    lf.setAttribute('data-n', String(nbars));
    legend(lf, D.streams.map(function (st) { return st.name; }));
  }

  /* ---- horizontal bars next to a table ---- */
  function bars(parent, name, labels, values) {
    var fig = chart(parent, name, labels.length);
    var rowh = 20, h = labels.length * rowh + 10, vmax = Math.max.apply(null, values.concat([1]));
    var s = add(fig, svg('svg', { viewBox: '0 0 ' + W + ' ' + h, width: '100%', role: 'img' }));
    labels.forEach(function (l, i) {
      var y = 5 + i * rowh, w = (W - 320) * values[i] / vmax;
      add(s, svg('text', { x: 210, y: y + 14, 'text-anchor': 'end' }, l));
      add(s, svg('rect', { x: 220, y: y + 2, width: Math.max(1, w).toFixed(1), height: rowh - 6,
                           fill: color(i), 'class': 'bar' }));
      add(s, svg('text', { x: 226 + w, y: y + 14 }, fmtInt(values[i])));
    });
    return fig;
  }

  function drawTop() {
    var s = section('top', 'Top processes and commands', 'By number of events in this slice.');
    var tp = D.top_processes;
    add(s, el('h3', null, 'Processes'));
    bars(s, 'top-processes', tp.map(function (p) {
      return p.comm + ' (' + p.pid + ')' + (p.name && p.name !== p.comm ? ' ' + p.name : '');
    }), tp.map(function (p) { return p.events; }));
    add(s, el('h3', null, 'Commands'));
    bars(s, 'top-commands', D.top_commands.map(function (c) { return c[0]; }),
         D.top_commands.map(function (c) { return c[1]; }));
  }

  function drawErrors() {
    var s = section('errors', 'Failed calls by errno',
                    D.errors.length ? 'Records whose ret column is negative (-errno).'
                                    : 'No failed call (no stream has a ret column below 0).');
    if (D.errors.length)
      table(s, ['stream', 'errno', 'code', 'meaning', 'count'], D.errors.map(function (e) {
        return [e.stream, e.name, e.errno, e.desc, fmtInt(e.count)];
      }), [0, 0, 1, 0, 1]);
    bars(s, 'errors', D.errors.map(function (e) { return e.stream + ' ' + e.name; }),
         D.errors.map(function (e) { return e.count; }));
  }

  function drawLatency() {
    var s = section('latency', 'Latency',
                    D.latency.length ? 'Percentiles within 1/64 of the exact value; max exact.'
                                     : 'No stream has a latency column.');
    if (!D.latency.length) { chart(s, 'latency', 0); return; }
    table(s, ['stream', 'column', 'calls', 'p50', 'p90', 'p99', 'max'], D.latency.map(function (l) {
      return [l.stream, l.column, fmtInt(l.count), fmtNs(l.p50), fmtNs(l.p90), fmtNs(l.p99), fmtNs(l.max)];
    }), [0, 0, 1, 1, 1, 1, 1]);
    D.latency.forEach(function (l, i) {
      add(s, el('h3', null, l.stream + ': distribution of ' + l.column));
      var fig = chart(s, 'latency', l.hist.length);
      var cmax = Math.max.apply(null, l.hist.map(function (b) { return b[2]; }));
      var p = plot(fig, l.hist.length, niceMax(cmax), function () { return ''; }, axisFmt(niceMax(cmax)));
      var bw = p.pw / Math.max(1, l.hist.length);
      l.hist.forEach(function (b, k) {
        var r = add(p.svg, svg('rect', { x: (p.x(k) + 1).toFixed(1), width: Math.max(1, bw - 2).toFixed(1),
                                         y: p.y(b[2]).toFixed(1), height: (p.y(0) - p.y(b[2])).toFixed(1),
                                         fill: color(i), 'class': 'bar' }));
        add(r, svg('title', null, fmtNs(b[0]) + ' .. ' + fmtNs(b[1]) + ': ' + fmtInt(b[2])));
        add(p.svg, svg('text', { x: p.x(k + 0.5), y: H - 10, 'text-anchor': 'middle', 'class': 'small' },
                       fmtNs(b[0])));
      });
    });
  }

  /* ---- the process tree ---- */
  function drawTree() {
    var T = D.proctree, s = section('tree', 'Process tree',
      T.nodes.length ? 'Processes seen starting (exec or fork), under their parent; ' +
                       'the command of a `-- COMMAND` recording is the root.'
                     : 'No process was seen starting (no exec or fork stream).');
    var byPid = {}, kids = {}, roots = [];
    T.nodes.forEach(function (n) { byPid[n.pid] = n; });
    T.nodes.forEach(function (n) {
      if (byPid[n.ppid] && n.ppid !== n.pid) (kids[n.ppid] = kids[n.ppid] || []).push(n);
      else roots.push(n);
    });
    var fig = chart(s, 'tree', T.nodes.length), drawn = {};
    function item(n, depth) {
      var li = el('li');
      var line = add(li, el('span', { 'class': 'proc' }));
      add(line, el('b', null, n.name || n.comm || '?'));
      line.appendChild(document.createTextNode(' pid ' + n.pid + ', from ' + fmtRel(n.start) +
        (n.end !== undefined ? ', ran ' + fmtNs(n.end - n.start) + ', exit ' + n.exit : ', no exit seen')));
      drawn[n.pid] = true;
      var k = kids[n.pid];
      if (k && depth < 64) {
        var ul = add(li, el('ul'));
        k.forEach(function (c) { if (!drawn[c.pid]) ul.appendChild(item(c, depth + 1)); });
      }
      return li;
    }
    var ul = add(fig, el('ul', { 'class': 'tree' }));
    roots.forEach(function (r) { ul.appendChild(item(r, 0)); });
    if (T.more) add(s, el('p', { 'class': 'note' }, T.more + ' more processes not shown.'));
  }

  /* ---- the flame graph (icicle: callers on top) ---- */
  function drawFlame() {
    var S = D.stacks, s = section('flame', 'Flame graph',
      S.folded.length ? 'The recorded stacks by process name, outermost frame at the top (kernel frames end in _[k]); ' +
                        'click a frame to zoom, the top bar to reset.'
                      : 'No stacks were recorded (bpfrec record -g, or --probe profile).');
    var rootNode = { name: 'all', n: 0, kids: {} };
    S.folded.forEach(function (f) {
      var node = rootNode;
      rootNode.n += f[1];
      f[0].split(';').forEach(function (fr) {
        node = node.kids[fr] = node.kids[fr] || { name: fr, n: 0, kids: {} };
        node.n += f[1];
      });
    });
    if (S.other) rootNode.n += S.other;
    var fig = chart(s, 'flame', 0);
    if (!S.folded.length) return;
    var rowh = 18, depth = 0;
    (function measure(n, d) { depth = Math.max(depth, d); for (var k in n.kids) measure(n.kids[k], d + 1); })(rootNode, 1);
    var sv = add(fig, svg('svg', { viewBox: '0 0 ' + W + ' ' + (depth * rowh + 4), width: '100%', role: 'img' }));
    function draw(focus) {
      while (sv.firstChild) sv.removeChild(sv.firstChild);
      var nframes = 0;
      (function rec(n, x, w, d) {
        if (w < 0.5) return;
        var g = add(sv, svg('g', { 'class': 'frame' }));
        var r = add(g, svg('rect', { x: x.toFixed(2), y: d * rowh, width: Math.max(0.5, w - 0.5).toFixed(2),
                                     height: rowh - 2, fill: 'hsl(' + (20 + (n.name.length * 37) % 40) + ',85%,' +
                                     (55 + (n.name.charCodeAt(0) || 0) % 15) + '%)' }));
        add(r, svg('title', null, n.name + ': ' + fmtInt(n.n) + ' (' + (100 * n.n / rootNode.n).toFixed(1) + '%)'));
        if (w > 40) add(g, svg('text', { x: x + 3, y: d * rowh + 13 }, n.name.length * 7 > w - 6
                                ? n.name.slice(0, Math.max(1, Math.floor((w - 6) / 7) - 1)) + '\u2026' : n.name));
        g.addEventListener('click', function (ev) { ev.stopPropagation(); draw(n === focus ? rootNode : n); });
        nframes++;
        var cx = x;
        Object.keys(n.kids).sort().forEach(function (k) {
          var c = n.kids[k], cw = w * c.n / n.n;
          rec(c, cx, cw, d + 1);
          cx += cw;
        });
      })(focus, 0, W, 0);
      fig.setAttribute('data-n', String(nframes));
    }
    draw(rootNode);
  }

  /* ---- the timeline (canvas: zoom with the wheel or the buttons, drag to pan) ---- */
  function drawTimeline() {
    var TL = D.timeline, s = section('timeline', 'Timeline',
      'Process lifetimes, and ' + fmtInt(TL.events.length) + ' of the ' + fmtInt(TL.sampled_from) +
      ' events (an even sample) on a lane per stream; slices are calls with a latency, red ones failed. ' +
      'Wheel or +/- to zoom, drag to pan, double-click to reset.');
    var fig = chart(s, 'timeline', TL.events.length);
    fig.setAttribute('data-lanes', String(TL.lanes.length + D.streams.length));
    var bar = add(fig, el('div', { 'class': 'buttons' }));
    var bIn = add(bar, el('button', { type: 'button' }, '+'));
    var bOut = add(bar, el('button', { type: 'button' }, '\u2212'));
    var bReset = add(bar, el('button', { type: 'button' }, 'reset'));
    var span = add(bar, el('span', { 'class': 'note' }));
    var cv = add(fig, el('canvas', { width: String(W), height: '100' }));
    var laneH = 16, labelW = 150, top = 22;
    var nl = D.streams.length + TL.lanes.length;
    cv.height = top + nl * laneH + 8;
    var ctx = cv.getContext('2d');
    var len = Math.max(1, D.span.len_ns), v0 = 0, v1 = len;
    function X(t) { return labelW + (W - labelW - 8) * (t - v0) / (v1 - v0); }
    function render() {
      ctx.clearRect(0, 0, cv.width, cv.height);
      ctx.font = '11px sans-serif';
      ctx.fillStyle = '#555';
      for (var i = 0; i <= 5; i++) {
        var t = v0 + (v1 - v0) * i / 5, x = X(t);
        ctx.fillRect(x, top - 4, 1, cv.height - top);
        ctx.fillText(fmtRel(t), Math.min(x + 2, W - 70), 12);
      }
      D.streams.forEach(function (st, i) {
        var y = top + i * laneH;
        ctx.fillStyle = '#222';
        ctx.fillText(st.name.slice(0, 22), 4, y + 11);
      });
      TL.events.forEach(function (e) {
        var x = X(e[0]);
        if (x < labelW - 2 || x > W) return;
        var y = top + e[1] * laneH + 2;
        ctx.fillStyle = e[5] ? '#d62728' : color(e[1]);
        ctx.fillRect(x, y, Math.max(1, X(e[0] + e[4]) - x), laneH - 4);
      });
      TL.lanes.forEach(function (l, i) {
        var y = top + (D.streams.length + i) * laneH;
        ctx.fillStyle = '#222';
        ctx.fillText((l[3] + ' ' + l[0]).slice(0, 22), 4, y + 11);
        var x0 = Math.max(labelW, X(l[1])), x1 = Math.min(W, X(l[2]));
        if (x1 >= x0) {
          ctx.fillStyle = '#9ab';
          ctx.fillRect(x0, y + 3, Math.max(1, x1 - x0), laneH - 6);
        }
      });
      span.textContent = ' showing ' + fmtRel(v0) + ' .. ' + fmtRel(v1) + ' (' + fmtNs(v1 - v0) + ')';
    }
    function zoom(f, at) {
      var c = at === undefined ? (v0 + v1) / 2 : at, w = Math.max(1000, (v1 - v0) * f);
      v0 = Math.max(0, c - (c - v0) * w / (v1 - v0));
      v1 = Math.min(len, v0 + w);
      v0 = Math.max(0, v1 - w);
      render();
    }
    function tAt(ev) {
      var r = cv.getBoundingClientRect(), x = (ev.clientX - r.left) * W / r.width;
      return v0 + (v1 - v0) * (x - labelW) / (W - labelW - 8);
    }
    cv.addEventListener('wheel', function (ev) { ev.preventDefault(); zoom(ev.deltaY < 0 ? 0.7 : 1 / 0.7, tAt(ev)); });
    var drag = null;
    cv.addEventListener('mousedown', function (ev) { drag = { t: tAt(ev), v0: v0, v1: v1 }; });
    window.addEventListener('mouseup', function () { drag = null; });
    cv.addEventListener('mousemove', function (ev) {
      if (!drag) return;
      var d = drag.t - tAt(ev), w = v1 - v0;
      v0 = Math.min(Math.max(0, v0 + d), len - w);
      v1 = v0 + w;
      render();
    });
    cv.addEventListener('dblclick', function () { v0 = 0; v1 = len; render(); });
    bIn.addEventListener('click', function () { zoom(0.5); });
    bOut.addEventListener('click', function () { zoom(2); });
    bReset.addEventListener('click', function () { v0 = 0; v1 = len; render(); });
    render();
  }

  [drawSession, drawRates, drawTop, drawErrors, drawLatency, drawTree, drawFlame, drawTimeline]
    .forEach(function (f) {
      try { f(); } catch (e) { fail(f.name + ': ' + e.message); }
    });
  root.setAttribute('data-charts', String(ncharts));
  root.setAttribute('data-state', 'done');
})();
