// On a phone the office's sections scroll sideways: bring the open one into view.
document.querySelectorAll(".office-sections .nav-link.active").forEach(function (link) {
  var row = link.closest(".nav");
  row.scrollLeft = link.offsetLeft - (row.clientWidth - link.offsetWidth) / 2;
});
