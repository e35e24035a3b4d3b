// While a document is being generated, poll its status and reload the round page when it ends. No libraries.
(function () {
  var rows = document.querySelectorAll("#documents-table tr[data-status-url]");
  if (!rows.length) return;
  function poll(row) {
    fetch(row.getAttribute("data-status-url"), { credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (d) {
        var cell = row.querySelector(".document-status");
        if (cell) cell.textContent = d.status_label + (d.message ? "（" + d.message + "）" : "");
        if (d.status === "done" || d.status === "failed") { window.location.reload(); } else { setTimeout(function () { poll(row); }, 1000); }
      })
      .catch(function () { setTimeout(function () { poll(row); }, 3000); });
  }
  rows.forEach(function (row) { setTimeout(function () { poll(row); }, 500); });
})();
