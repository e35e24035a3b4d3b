// Polls a running scoring job and reloads the page when it ends. No external libraries.
(function () {
  var box = document.getElementById("run");
  if (!box) return;
  var url = box.getAttribute("data-url");
  function poll() {
    fetch(url, { credentials: "same-origin" }).then(function (r) { return r.json(); }).then(function (d) {
      document.getElementById("run-progress").value = d.progress;
      document.getElementById("run-message").textContent = d.status_label + (d.message ? "：" + d.message : "");
      if (d.status === "done" || d.status === "failed") { window.location.reload(); } else { setTimeout(poll, 800); }
    }).catch(function () { setTimeout(poll, 2000); });
  }
  setTimeout(poll, 500);
})();
