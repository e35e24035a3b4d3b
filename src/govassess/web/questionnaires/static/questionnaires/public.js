// The public answer page: shows and hides questions by their 显示条件. The page never evaluates an expression
// itself: when an answer that some condition depends on changes, it asks the server which questions are asked
// now (the core's own walk), so the browser and the authoritative server check cannot disagree. Hidden
// questions are disabled, so they are neither validated nor sent. Without JavaScript every question shows.
(function () {
  var form = document.getElementById("qform");
  var depsNode = document.getElementById("q-deps");
  if (!form || !depsNode) return;
  var deps = JSON.parse(depsNode.textContent);
  var watched = {};
  Object.keys(deps).forEach(function (k) { deps[k].forEach(function (n) { watched[n] = true; }); });
  var items = form.querySelectorAll("fieldset.qitem[data-name]");
  var pending = null;

  function apply(asked) {
    var set = {};
    asked.forEach(function (n) { set[n] = true; });
    items.forEach(function (fs) {
      var show = !!set[fs.getAttribute("data-name")];
      fs.hidden = !show;
      fs.disabled = !show;
    });
    form.querySelectorAll("section.qsection").forEach(function (sec) {
      sec.hidden = !sec.querySelector("fieldset.qitem:not([hidden])");
    });
    form.setAttribute("data-ready", "1");
  }

  function refresh() {
    if (pending) pending.abort();
    pending = new AbortController();
    var data = new FormData(form);
    // Disabled questions are not in FormData; the server only needs the answers given.
    fetch(form.getAttribute("data-asked"), { method: "POST", body: data, signal: pending.signal, credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (d) { if (d && d.asked) apply(d.asked); })
      .catch(function () { /* offline or aborted: keep what is shown; the server checks the submission */ });
  }

  form.addEventListener("change", function (ev) {
    var name = ev.target && ev.target.name;
    if (name && watched[name]) refresh();
  });
  if (Object.keys(deps).length) refresh(); else form.setAttribute("data-ready", "1");
})();
