// Progressive enhancement for long pages, no external libraries: every page works without this file.
// 1. Fill form: per-section progress in the section nav and an autosaved draft in localStorage.
// 2. Tables marked data-table-tools: a search box and pagination.
// 3. Logging out removes every autosaved draft kept in this browser (loaded on every page by base.html).
// 4. Every file input gets a Chinese 「选择文件」 button and the chosen names instead of the browser's own
//    (English in an English browser) "Choose Files / No file chosen".
(function () {
  "use strict";

  function isFilled(el) {
    return el.value.trim() !== "";
  }

  // ---- fill form -------------------------------------------------------------------------------
  var form = document.getElementById("fill-form");
  if (form) {
    var sections = form.querySelectorAll("section.group");
    var totalBox = document.getElementById("form-progress");
    var updateProgress = function () {
      var allFilled = 0, allTotal = 0;
      sections.forEach(function (sec) {
        // Count only the value inputs (not notes): the same unit as the server's completeness.
        var inputs = sec.querySelectorAll(".field .value");
        var filled = 0;
        inputs.forEach(function (el) { if (isFilled(el)) filled += 1; });
        allFilled += filled; allTotal += inputs.length;
        var out = document.querySelector("[data-progress-for='" + sec.id + "']");
        if (out) {
          // A section with nothing for this user to fill (e.g. provider figures) shows no count.
          out.textContent = inputs.length ? filled + "/" + inputs.length : "";
          out.classList.toggle("done", inputs.length > 0 && filled === inputs.length);
        }
      });
      if (totalBox) totalBox.textContent = "本页已填 " + allFilled + "/" + allTotal;
    };

    // Drafts are keyed by user, round and unit (a shared office computer must not hand one user's draft to
    // another), each value by its field key (indices may shift between versions).
    var storeKey = "govassess-draft:" + form.getAttribute("data-user") + ":" + form.getAttribute("data-round") +
      ":" + form.getAttribute("data-unit");
    var editable = function () {
      var out = [];
      form.querySelectorAll(".field").forEach(function (div) {
        var key = div.querySelector("input[name^='key_']");
        var v = div.querySelector(".value"), n = div.querySelector(".note");
        if (key && v && !v.disabled) out.push({ key: key.value, v: v, n: n });
      });
      return out;
    };
    var readDraft = function () {
      try { return JSON.parse(window.localStorage.getItem(storeKey) || "null"); } catch (e) { return null; }
    };
    var saveDraft = function () {
      var values = {}, changed = false;
      editable().forEach(function (f) {
        values[f.key] = { v: f.v.value, n: f.n ? f.n.value : "" };
        if (f.v.value !== f.v.defaultValueForDraft || (f.n && f.n.value !== f.n.defaultValueForDraft)) changed = true;
      });
      try {
        if (changed) window.localStorage.setItem(storeKey, JSON.stringify({ at: Date.now(), values: values }));
        else window.localStorage.removeItem(storeKey);
      } catch (e) { /* storage full or disabled: the form still works */ }
    };
    var fields = editable();
    fields.forEach(function (f) {
      f.v.defaultValueForDraft = f.v.value;
      if (f.n) f.n.defaultValueForDraft = f.n.value;
    });

    // The server confirmed a save (or there was nothing to save): the draft is no longer needed.
    if (form.hasAttribute("data-draft-saved")) {
      try { window.localStorage.removeItem(storeKey); } catch (e) { /* ignore */ }
    }
    var draft = readDraft();
    if (draft && draft.values && fields.length) {
      var restored = 0;
      fields.forEach(function (f) {
        var d = draft.values[f.key];
        if (!d) return;
        if (d.v !== f.v.value) { f.v.value = d.v; restored += 1; }
        if (f.n && d.n !== f.n.value) { f.n.value = d.n; restored += 1; }
      });
      if (restored) {
        var notice = document.getElementById("draft-notice");
        var when = new Date(draft.at);
        var pad = function (x) { return (x < 10 ? "0" : "") + x; };
        notice.querySelector(".text").textContent = "已恢复本机于 " + (when.getMonth() + 1) + "月" + when.getDate() + "日 " +
          pad(when.getHours()) + ":" + pad(when.getMinutes()) + " 自动保存的未保存内容（" + restored +
          " 处），尚未保存到服务器，请核对后点击「保存草稿」。";
        notice.hidden = false;
        notice.querySelector("button").addEventListener("click", function () {
          fields.forEach(function (f) {
            f.v.value = f.v.defaultValueForDraft;
            if (f.n) f.n.value = f.n.defaultValueForDraft;
          });
          try { window.localStorage.removeItem(storeKey); } catch (e) { /* ignore */ }
          notice.hidden = true;
          updateProgress();
        });
      }
    }
    var timer = null;
    form.addEventListener("input", function () {
      updateProgress();
      clearTimeout(timer);
      timer = setTimeout(saveDraft, 400);
    });
    form.addEventListener("change", function () { updateProgress(); saveDraft(); });
    updateProgress();

    // A section link jumps to the first field of that section still to fill (the server's anchor is the
    // section itself, which is where a browser without this script lands).
    document.querySelectorAll(".section-nav a[href^='#sec-']").forEach(function (a) {
      a.addEventListener("click", function (ev) {
        var sec = document.getElementById(a.getAttribute("href").slice(1));
        if (!sec) return;
        var empty = Array.prototype.filter.call(sec.querySelectorAll(".field .value"), function (el) {
          return !el.disabled && !isFilled(el);
        })[0];
        if (!empty) return;
        ev.preventDefault();
        empty.scrollIntoView({ block: "center" });
        empty.focus({ preventScroll: true });
        if (window.history && window.history.replaceState) window.history.replaceState(null, "", "#" + sec.id);
      });
    });

    // Mark the nav entry of the section being read, so a long form shows where one is.
    if ("IntersectionObserver" in window) {
      var current = function (id) {
        document.querySelectorAll(".section-nav a").forEach(function (a) {
          var on = a.getAttribute("href") === "#" + id;
          a.classList.toggle("current", on);
          if (on) a.setAttribute("aria-current", "true"); else a.removeAttribute("aria-current");
        });
      };
      var seen = new IntersectionObserver(function (entries) {
        entries.forEach(function (e) { if (e.isIntersecting) current(e.target.id); });
      }, { rootMargin: "0px 0px -70% 0px" });
      sections.forEach(function (sec) { seen.observe(sec); });
    }
  }

  // ---- long tables -----------------------------------------------------------------------------
  document.querySelectorAll("table[data-table-tools]").forEach(function (table, n) {
    // A table the server pages (more than one server page) or has filtered keeps the server's search form,
    // sort links and page links; the instant search and 20-row pages are for a table that came whole.
    var serverPages = table.getAttribute("data-server-pages");
    if ((serverPages && serverPages !== "1") || table.hasAttribute("data-server-filtered")) return;
    if (table.id) {
      var serverTools = document.querySelector("[data-tools-for='" + table.id + "']");
      if (serverTools) serverTools.hidden = true;
    }
    var size = parseInt(table.getAttribute("data-page-size") || "20", 10);
    var rows = Array.prototype.slice.call(table.tBodies[0].rows);
    var bar = document.createElement("div");
    bar.className = "table-tools";
    var id = "table-search-" + n;
    bar.innerHTML = '<label for="' + id + '">搜索</label> <input type="search" id="' + id +
      '" placeholder="输入单位名称、状态等关键词"> <span class="count"></span>';
    var anchor = table.closest(".table-wrap") || table;
    anchor.parentNode.insertBefore(bar, anchor);
    var pager = document.createElement("div");
    pager.className = "pager";
    anchor.parentNode.insertBefore(pager, anchor.nextSibling);
    var input = bar.querySelector("input"), count = bar.querySelector(".count");
    var page = 0;
    var render = function () {
      var q = input.value.trim().toLowerCase();
      var hits = rows.filter(function (r) { return !q || r.textContent.toLowerCase().indexOf(q) !== -1; });
      var pages = Math.max(1, Math.ceil(hits.length / size));
      if (page >= pages) page = pages - 1;
      rows.forEach(function (r) { r.hidden = true; });
      hits.slice(page * size, (page + 1) * size).forEach(function (r) { r.hidden = false; });
      count.textContent = "共 " + hits.length + " 条" + (q ? "（全部 " + rows.length + " 条）" : "");
      pager.innerHTML = "";
      if (pages <= 1) return;
      var btn = function (label, to, disabled) {
        var b = document.createElement("button");
        b.type = "button"; b.className = "small-btn"; b.textContent = label; b.disabled = disabled;
        b.addEventListener("click", function () { page = to; render(); });
        pager.appendChild(b);
      };
      btn("上一页", page - 1, page === 0);
      var info = document.createElement("span");
      info.className = "page-info";
      info.textContent = "第 " + (page + 1) + " / " + pages + " 页";
      pager.appendChild(info);
      btn("下一页", page + 1, page === pages - 1);
    };
    input.addEventListener("input", function () { page = 0; render(); });
    render();
  });

  // ---- file inputs -------------------------------------------------------------------------------
  // The native input stays in the page, focusable and operable from the keyboard (Tab, then Space or
  // Enter), only visually hidden (.file-native); the label around it is what one sees and clicks.
  document.documentElement.classList.add("js");
  document.querySelectorAll("input[type=file]").forEach(function (input) {
    var many = input.multiple;
    var button = document.createElement("span");
    button.className = "file-button";
    button.setAttribute("aria-hidden", "true");
    button.textContent = many ? "选择文件（可多选）" : "选择文件";
    var names = document.createElement("span");
    names.className = "file-names";
    names.setAttribute("aria-live", "polite");
    names.textContent = "未选择文件";
    var holder = input.closest("label");
    if (!holder) {
      holder = document.createElement("label");
      input.parentNode.insertBefore(holder, input);
      holder.appendChild(input);
    }
    holder.classList.add("file-pick");
    input.classList.add("file-native");
    input.insertAdjacentElement("afterend", names);
    input.insertAdjacentElement("afterend", button);
    input.addEventListener("change", function () {
      var list = Array.prototype.map.call(input.files || [], function (f) { return f.name; });
      names.textContent = list.length ? (list.length > 1 ? "已选择 " + list.length + " 个文件：" : "已选择：") +
        list.join("、") : "未选择文件";
    });
  });

  // ---- logout ----------------------------------------------------------------------------------
  // The server also sends Clear-Site-Data on logout; browsers ignore it on plain HTTP, so the drafts of
  // every account are removed here too, before the form leaves the page.
  var logout = document.getElementById("logout-form");
  if (logout) {
    logout.addEventListener("submit", function () {
      try {
        var doomed = [];
        for (var i = 0; i < window.localStorage.length; i += 1) {
          var k = window.localStorage.key(i);
          if (k && k.indexOf("govassess-draft:") === 0) doomed.push(k);
        }
        doomed.forEach(function (k) { window.localStorage.removeItem(k); });
      } catch (e) { /* storage disabled: nothing was kept */ }
    });
  }
})();
