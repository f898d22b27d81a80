// Live values over Server-Sent Events: every element with data-k="key" gets
// the new value. A figure with data-refresh="url" is fetched again every
// minute (the dashboard's power curve); an image with data-reload="s" every
// s seconds (the display mirror). The page works without this script.
(function () {
  if (window.EventSource) {
    var es = new EventSource("/events");
    es.addEventListener("live", function (e) {
      var v = JSON.parse(e.data);
      var els = document.querySelectorAll("[data-k]");
      for (var i = 0; i < els.length; i++) {
        var k = els[i].getAttribute("data-k");
        if (k in v) els[i].textContent = v[k];
      }
    });
  }
  function refresh(el) {
    fetch(el.getAttribute("data-refresh"), { credentials: "same-origin" }).then(function (r) {
      return r.ok ? r.text() : null;
    }).then(function (html) {
      if (html) el.outerHTML = html;
    }).catch(function () {});
  }
  setInterval(function () {
    var figs = document.querySelectorAll("[data-refresh]");
    for (var i = 0; i < figs.length; i++) refresh(figs[i]);
  }, 60000);
  var imgs = document.querySelectorAll("[data-reload]");
  for (var j = 0; j < imgs.length; j++) (function (img) {
    setInterval(function () { img.src = "/display.png?t=" + Date.now(); }, 1000 * Number(img.getAttribute("data-reload")));
  })(imgs[j]);
})();
