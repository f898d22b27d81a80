// Live values over Server-Sent Events: every element with data-k="key" gets
// the new value. The page works without this script (it is server-rendered).
(function () {
  if (!window.EventSource) return;
  var es = new EventSource("/events");
  es.addEventListener("live", function (e) {
    var v = JSON.parse(e.data);
    var els = document.querySelectorAll("[data-k]");
    for (var i = 0; i < els.length; i++) {
      var k = els[i].getAttribute("data-k");
      if (k in v) els[i].textContent = v[k];
    }
  });
})();
