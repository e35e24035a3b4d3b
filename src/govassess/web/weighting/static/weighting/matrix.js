// The AHP form: choosing a_ij in the upper triangle shows its reciprocal a_ji below (the server computes the
// same reciprocal; this is only what the expert sees while filling).
(function () {
  function reciprocal(v) {
    if (!v) return "—";
    if (v === "1") return "1";
    return v.indexOf("1/") === 0 ? v.slice(2) : "1/" + v;
  }
  document.querySelectorAll("#matrix select[data-i]").forEach(function (sel) {
    sel.addEventListener("change", function () {
      var low = document.getElementById("low_" + sel.dataset.k + "_" + sel.dataset.i);
      if (low) low.textContent = reciprocal(sel.value);
    });
  });
})();
