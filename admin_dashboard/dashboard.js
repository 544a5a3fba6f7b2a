/* The admin dashboard: signs in with the admin API's login (/api/auth/login), reads
   /api/admin/analytics/dashboard and draws it with Chart.js. Every chart has a table of the
   same numbers beside it, and its canvas carries them in data-labels / data-values (what
   tests and screen readers read). The access token stays in memory only. */
(function () {
  "use strict";

  var state = { token: null, charts: {} };
  var COLORS = { bot: "#2e7d32", agent: "#ef6c00", line: "#1f3a5f", bars: "#3f6fb5",
                 csat: ["#c62828", "#ef6c00", "#f9a825", "#7cb342", "#2e7d32"] };

  function $(id) { return document.getElementById(id); }

  function showError(message) {
    var box = $("error");
    box.textContent = message || "";
    box.hidden = !message;
  }

  function api(path, options) {
    options = options || {};
    var headers = { "Accept": "application/json" };
    if (options.body) { headers["Content-Type"] = "application/json"; }
    if (state.token) { headers["Authorization"] = "Bearer " + state.token; }
    return fetch(path, { method: options.method || "GET", headers: headers,
                         body: options.body ? JSON.stringify(options.body) : undefined })
      .then(function (response) {
        return response.json().catch(function () { return {}; }).then(function (body) {
          if (!response.ok || !body.success) {
            var error = new Error((body.error && body.error.message) || ("HTTP " + response.status));
            error.status = response.status;
            error.code = body.error && body.error.code;
            throw error;
          }
          return body.data;
        });
      });
  }

  function signIn(event) {
    event.preventDefault();
    var body = { email: $("email").value, password: $("password").value };
    if ($("totp").value) { body.totp_code = $("totp").value; }
    api("/api/auth/login", { method: "POST", body: body }).then(function (signed) {
      if (signed.user.role !== "admin") { throw new Error("The dashboard is for admins."); }
      state.token = signed.token.access_token;
      $("who").textContent = signed.user.name || signed.user.email;
      $("password").value = "";
      $("signin").hidden = true;
      $("board").hidden = false;
      showError("");
      return load();
    }).catch(function (error) {
      if (error.code === "TOTP_REQUIRED") { $("totp-label").hidden = false; }
      showError(error.message);
    });
  }

  function signOut() {
    state.token = null;
    $("board").hidden = true;
    $("signin").hidden = false;
    $("who").textContent = "";
  }

  function load(event) {
    if (event) { event.preventDefault(); }
    var query = new URLSearchParams();
    [["date_from", "from"], ["date_to", "to"], ["tz", "tz"], ["channel", "channel"]].forEach(function (pair) {
      var value = $(pair[1]).value.trim();
      if (value) { query.set(pair[0], value); }
    });
    document.body.dataset.state = "loading";
    return api("/api/admin/analytics/dashboard?" + query.toString()).then(function (board) {
      render(board);
      showError("");
      document.body.dataset.state = "ready";
    }).catch(function (error) {
      document.body.dataset.state = "error";
      if (error.status === 401) { signOut(); }
      showError(error.message);
    });
  }

  function pct(rate) { return rate === null || rate === undefined ? "–" : (rate * 100).toFixed(1) + " %"; }
  function secs(value) {
    if (value === null || value === undefined) { return "–"; }
    if (value < 90) { return value.toFixed(1) + " s"; }
    if (value < 5400) { return (value / 60).toFixed(1) + " min"; }
    return value < 172800 ? (value / 3600).toFixed(1) + " h" : (value / 86400).toFixed(1) + " days";
  }
  function num(value) { return value === null || value === undefined ? "–" : String(value); }

  function tiles(board) {
    var o = board.overview, q = board.queue, box = $("tiles");
    var items = [["Conversations", num(o.total_conversations), "total_conversations"],
                 ["Containment (AI-resolved)", pct(o.containment_rate), "containment_rate"],
                 ["Handed over", num(o.agent_handovers), "agent_handovers"],
                 ["Fallback rate", pct(o.fallback_rate), "fallback_rate"],
                 ["Messages in / out", num(o.messages_in) + " / " + num(o.messages_out), "messages"],
                 ["Avg first response", secs(o.avg_response_time), "avg_response_time"],
                 ["Avg resolution", secs(o.avg_resolution_time), "avg_resolution_time"],
                 ["CSAT (1-5)", num(o.avg_satisfaction_score), "avg_satisfaction_score"],
                 ["Waiting for an agent", num(q.waiting), "queue_waiting"]];
    box.textContent = "";
    items.forEach(function (item) {
      var tile = document.createElement("div"), label = document.createElement("div"), value = document.createElement("div");
      tile.className = "tile"; label.className = "label"; value.className = "value";
      label.textContent = item[0]; value.textContent = item[1];
      tile.dataset.figure = item[2];
      tile.appendChild(label); tile.appendChild(value); box.appendChild(tile);
    });
  }

  function table(name, header, rows) {
    var element = document.querySelector('table[data-table="' + name + '"]');
    element.textContent = "";
    [header].concat(rows).forEach(function (cells, index) {
      var tr = document.createElement("tr");
      cells.forEach(function (cell) {
        var td = document.createElement(index === 0 ? "th" : "td");
        td.textContent = cell;
        tr.appendChild(td);
      });
      element.appendChild(tr);
    });
  }

  function draw(name, config) {
    var canvas = $("chart-" + name);
    if (state.charts[name]) { state.charts[name].destroy(); }
    config.options = Object.assign({ animation: false, responsive: true, maintainAspectRatio: false }, config.options || {});
    state.charts[name] = new window.Chart(canvas, config);
    canvas.dataset.labels = JSON.stringify(config.data.labels);
    canvas.dataset.values = JSON.stringify(config.data.datasets.map(function (d) { return d.data; }));
    canvas.dataset.rendered = "true";
  }

  function days(board) {
    var rows = board.by_day;
    draw("days", { type: "bar", data: { labels: rows.map(function (d) { return d.date; }), datasets: [
      { label: "AI-resolved", data: rows.map(function (d) { return d.ai_resolved; }), backgroundColor: COLORS.bot, stack: "c", yAxisID: "y" },
      { label: "Handed over", data: rows.map(function (d) { return d.agent_handovers; }), backgroundColor: COLORS.agent, stack: "c", yAxisID: "y" },
      { label: "Containment %", type: "line", data: rows.map(function (d) { return d.containment_rate === null ? null : Math.round(d.containment_rate * 1000) / 10; }),
        borderColor: COLORS.line, backgroundColor: COLORS.line, yAxisID: "rate", spanGaps: true }] },
      options: { scales: { y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } },
                           rate: { position: "right", min: 0, max: 100, grid: { drawOnChartArea: false } } } } });
    table("days", ["Day", "Conversations", "AI-resolved", "Handed over", "Containment"],
          rows.map(function (d) { return [d.date, num(d.conversations), num(d.ai_resolved), num(d.agent_handovers), pct(d.containment_rate)]; }));
  }

  function intents(board) {
    var rows = board.top_intents;
    draw("intents", { type: "bar", data: { labels: rows.map(function (i) { return i.intent; }), datasets: [
      { label: "Messages", data: rows.map(function (i) { return i.count; }), backgroundColor: COLORS.bars }] },
      options: { indexAxis: "y", plugins: { legend: { display: false } }, scales: { x: { beginAtZero: true, ticks: { precision: 0 } } } } });
    table("intents", ["Intent", "Messages", "AI-resolved"],
          rows.map(function (i) { return [i.intent, num(i.count), pct(i.ai_resolved_rate)]; }));
  }

  function channels(board) {
    var names = Object.keys(board.by_channel).sort(), rows = names.map(function (n) { return board.by_channel[n]; });
    draw("channels", { type: "bar", data: { labels: names, datasets: [
      { label: "AI-resolved", data: rows.map(function (c) { return c.ai_resolved; }), backgroundColor: COLORS.bot, stack: "c" },
      { label: "Handed over", data: rows.map(function (c) { return c.agent_handovers; }), backgroundColor: COLORS.agent, stack: "c" }] },
      options: { scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } } } } });
    table("channels", ["Channel", "Conversations", "AI-resolved", "Handed over", "Containment"],
          rows.map(function (c) { return [c.channel, num(c.conversations), num(c.ai_resolved), num(c.agent_handovers), pct(c.containment_rate)]; }));
  }

  function csat(board) {
    var ratings = ["1", "2", "3", "4", "5"], counts = ratings.map(function (r) { return board.csat.distribution[r]; });
    draw("csat", { type: "bar", data: { labels: ratings, datasets: [
      { label: "Ratings", data: counts, backgroundColor: COLORS.csat }] },
      options: { plugins: { legend: { display: false } }, scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } } });
    table("csat", ["Rating", "Responses"], ratings.map(function (r, i) { return [r, num(counts[i])]; })
          .concat([["Average", num(board.csat.average)]]));
  }

  function queue(board) {
    var q = board.queue, priorities = ["urgent", "high", "normal", "low"];
    draw("queue", { type: "bar", data: { labels: priorities, datasets: [
      { label: "Waiting", data: priorities.map(function (p) { return q.waiting_by_priority[p] || 0; }), backgroundColor: COLORS.agent }] },
      options: { plugins: { legend: { display: false } }, scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } } });
    table("queue", ["Queue", "Now"], [["Waiting for an agent", num(q.waiting)], ["Held by agents", num(q.with_agents)],
          ["Longest wait", secs(q.oldest_wait_seconds)], ["Average wait", secs(q.avg_wait_seconds)]]);
  }

  function render(board) {
    var p = board.period;
    $("period").textContent = p.start + " to " + p.end + " (" + p.time_zone + ")";
    tiles(board);
    days(board); intents(board); channels(board); csat(board); queue(board);
  }

  function defaults() {
    var params = new URLSearchParams(window.location.search), today = new Date();
    var from = new Date(today.getTime() - 29 * 86400000);
    function iso(d) { return d.getFullYear() + "-" + String(d.getMonth() + 1).padStart(2, "0") + "-" + String(d.getDate()).padStart(2, "0"); }
    $("from").value = params.get("from") || iso(from);
    $("to").value = params.get("to") || iso(today);
    $("tz").value = params.get("tz") || (Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC");
    $("channel").value = params.get("channel") || "";
  }

  document.addEventListener("DOMContentLoaded", function () {
    defaults();
    $("signin-form").addEventListener("submit", signIn);
    $("range").addEventListener("submit", load);
    $("signout").addEventListener("click", signOut);
    document.body.dataset.state = "signed-out";
  });
})();
