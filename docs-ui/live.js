// The live page: paste a token (or an API key), and new events appear as they happen. The token stays in
// this page's memory (never stored, never in a URL): it takes a single-use stream ticket for each
// connection, since EventSource cannot send headers, and reopens after a drop with a new ticket and the
// last id received, so nothing is missed or shown twice.
(function () {
  "use strict";
  var token = null;
  var source = null;
  var lastId = null;
  var rows = {};
  var tbody = document.getElementById("events");
  var status = document.getElementById("status");

  function setStatus(state, text) {
    status.dataset.state = state;
    status.textContent = text;
  }

  function call(method, path, body) {
    var init = { method: method, headers: { Authorization: "Bearer " + token } };
    if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    return fetch(path, init).then(function (answer) {
      if (!answer.ok) {
        return answer.json().then(function (error) { throw new Error(error.message || answer.status); });
      }
      return answer.status === 204 ? null : answer.json();
    });
  }

  function cell(row, text) {
    var td = document.createElement("td");
    td.textContent = text == null ? "" : String(text);
    row.appendChild(td);
    return td;
  }

  function acknowledgeButton(eventId, acknowledged) {
    var button = document.createElement("button");
    button.className = "ack";
    button.textContent = acknowledged ? "Acknowledged" : "Acknowledge";
    button.disabled = !!acknowledged;
    button.addEventListener("click", function () {
      button.disabled = true;
      call("PATCH", "/api/v1/events/" + eventId, { acknowledged: true }).then(function (event) {
        button.textContent = event.acknowledged ? "Acknowledged" : "Acknowledge";
      }, function (error) {
        button.disabled = false;
        setStatus("error", "acknowledge failed: " + error.message);
      });
    });
    return button;
  }

  function show(change) {
    var event = change.event;
    var row = rows[change.event_id];
    if (!event) {  // a redacted change (a dismissed event's): only what and when
      if (row) { row.classList.toggle("dismissed", change.type === "event.deleted"); }
      return;
    }
    var fresh = document.createElement("tr");
    fresh.dataset.eventId = change.event_id;
    cell(fresh, event.camera_name || event.camera_id);
    cell(fresh, event.triggered_at);
    cell(fresh, event.summary);
    var snapshot = cell(fresh, "");
    cell(fresh, "").appendChild(acknowledgeButton(change.event_id, event.acknowledged));
    if (change.type === "event.deleted") { fresh.classList.add("dismissed"); }
    if (row) { tbody.replaceChild(fresh, row); } else { tbody.insertBefore(fresh, tbody.firstChild); }
    rows[change.event_id] = fresh;
    if (change.type !== "event.deleted") {  // changes carry no signed URL: the event itself does
      call("GET", "/api/v1/events/" + change.event_id).then(function (item) {
        if (item && item.snapshot_url) {
          var image = document.createElement("img");
          image.alt = "snapshot";
          image.src = item.snapshot_url;
          snapshot.appendChild(image);
        }
      }, function () { /* the row stays without a snapshot */ });
    }
  }

  function open() {
    if (source) { source.close(); source = null; }
    call("POST", "/api/v1/stream-tickets").then(function (answer) {
      var url = "/api/v1/events/stream?ticket=" + encodeURIComponent(answer.ticket);
      if (lastId) { url += "&cursor=" + encodeURIComponent(lastId); }
      source = new EventSource(url);
      source.onopen = function () { setStatus("open", "connected"); };
      ["event.created", "event.updated", "event.deleted", "event.restored"].forEach(function (type) {
        source.addEventListener(type, function (message) {
          lastId = message.lastEventId;
          show(JSON.parse(message.data));
        });
      });
      source.addEventListener("reset", function (message) {
        lastId = message.lastEventId;  // older changes are no longer kept: go on from the head
      });
      source.onerror = function () {  // a drop or the server's close: a ticket serves once, take another
        source.close();
        source = null;
        setStatus("error", "reconnecting");
        setTimeout(open, 2000);
      };
    }, function (error) {
      setStatus("error", "no ticket: " + error.message);
    });
  }

  document.getElementById("connect").addEventListener("submit", function (submitted) {
    submitted.preventDefault();
    var field = document.getElementById("token");
    token = field.value.trim();
    field.value = "";
    if (token) { lastId = null; setStatus("idle", "connecting"); open(); }
  });
})();
