// Roster's pages work without this file; it only adds conveniences.
"use strict";
document.addEventListener("click", function (ev) {
  // <button data-copy="ID"> copies the value (or text) of the element with that id.
  var btn = ev.target.closest("button[data-copy]");
  if (!btn) return;
  var el = document.getElementById(btn.getAttribute("data-copy"));
  if (!el) return;
  var text = el.value !== undefined ? el.value : el.textContent;
  var done = function (msg) {
    var out = document.getElementById(btn.getAttribute("data-copy") + "-copied");
    if (out) out.textContent = msg;
  };
  if (navigator.clipboard && navigator.clipboard.writeText) {
    navigator.clipboard.writeText(text).then(function () { done("Copied."); }, function () {
      el.select && el.select();
      done("Press Ctrl+C to copy.");
    });
  } else {
    el.select && el.select();
    done("Press Ctrl+C to copy.");
  }
});
document.addEventListener("change", function (ev) {
  // <input type=checkbox data-select-all="FORM"> ticks every row checkbox of that form.
  var all = ev.target.closest("input[data-select-all]");
  if (!all) return;
  var boxes = document.querySelectorAll('input[type=checkbox][form="' + all.getAttribute("data-select-all") + '"][name=user]');
  for (var i = 0; i < boxes.length; i++) boxes[i].checked = all.checked;
});
