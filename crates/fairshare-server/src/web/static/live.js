// Live approval queue: follows the dashboard's event stream (/events) and, when an event that
// changes the queue arrives, fetches this page again and swaps the queue in place. Without
// JavaScript (or EventSource) the page works as it is: reload to see new work.
(function () {
  var queue = document.querySelector("[data-live-queue]");
  if (!queue || !window.EventSource || !window.fetch || !window.DOMParser) return;
  var kinds = (queue.getAttribute("data-live-kinds") || "").split(",");
  var id = queue.id;
  var timer = null;

  function typing() {
    var active = document.activeElement;
    return active && active.tagName === "INPUT" && queue.contains(active);
  }

  function refresh() {
    timer = null;
    // Never take away what a reviewer is typing (a rejection reason): try again soon.
    if (typing()) { timer = setTimeout(refresh, 2000); return; }
    fetch(window.location.pathname + window.location.search, { credentials: "same-origin" })
      .then(function (answer) { return answer.ok ? answer.text() : null; })
      .then(function (html) {
        if (html === null || typing()) return;
        var fresh = new DOMParser().parseFromString(html, "text/html").getElementById(id);
        if (!fresh) return;
        queue.replaceWith(fresh);
        queue = fresh;
      })
      .catch(function () { /* the next event tries again */ });
  }

  var source = new EventSource("/events");
  source.addEventListener("event", function (message) {
    var row;
    try { row = JSON.parse(message.data); } catch (e) { return; }
    // A burst of events (a batch of approvals) is one refresh.
    if (kinds.indexOf(row.op) >= 0 && timer === null) timer = setTimeout(refresh, 200);
  });
})();
