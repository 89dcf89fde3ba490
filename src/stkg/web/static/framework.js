// Folding on a framework page: a link to a requirement inside a folded part unfolds it,
// and two buttons fold or unfold the whole tree. Without JavaScript every part still opens.
(function () {
  "use strict";
  function reveal() {
    var id = decodeURIComponent(location.hash.slice(1));
    var target = id && document.getElementById(id);
    for (var node = target; node; node = node.parentElement) {
      if (node.tagName === "DETAILS") node.open = true;
    }
    if (target) target.scrollIntoView();
  }
  function setAll(open) {
    document.querySelectorAll("details.fold").forEach(function (d) { d.open = open; });
  }
  var unfold = document.getElementById("unfold-all");
  var fold = document.getElementById("fold-all");
  if (unfold && fold) {
    unfold.hidden = fold.hidden = false;
    unfold.addEventListener("click", function () { setAll(true); });
    fold.addEventListener("click", function () { setAll(false); });
  }
  window.addEventListener("hashchange", reveal);
  if (location.hash) reveal();
})();
