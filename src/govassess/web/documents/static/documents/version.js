// The 正在生成 page of a reader's version: poll its status; when built, start the download; when failed, reload
// (the page then shows why and 重新生成). No libraries; without JavaScript the page refreshes itself.
(function () {
  var box = document.getElementById("document-version");
  if (!box) return;
  var bar = document.getElementById("version-progress");
  var text = document.getElementById("version-message");
  function poll() {
    fetch(box.getAttribute("data-status-url"), { credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (d) {
        if (bar) bar.value = d.progress;
        if (text) text.textContent = d.status_label + (d.message ? "（" + d.message + "）" : "");
        if (d.status === "done") {
          box.setAttribute("data-status", "done");
          document.getElementById("version-waiting").hidden = true;
          document.getElementById("version-ready").hidden = false;
          window.location.href = box.getAttribute("data-download-url");
        } else if (d.status === "failed") {
          window.location.reload();
        } else {
          setTimeout(poll, 1500);
        }
      })
      .catch(function () { setTimeout(poll, 3000); });
  }
  setTimeout(poll, 1000);
})();
