// The paper ballot form without a mouse: in a question, 1/2/3/0 marks «for», «against»,
// «abstain» or «no valid answer» and moves to the next question; Enter saves.
(function () {
  var form = document.querySelector("[data-ballot-form]");
  if (!form) { return; }
  var questions = Array.prototype.slice.call(form.querySelectorAll("[data-question]"));
  function focusQuestion(index) {
    var fieldset = questions[index];
    if (!fieldset) { form.querySelector("button[type=submit]").focus(); return; }
    (fieldset.querySelector("input:checked") || fieldset.querySelector("input")).focus();
  }
  form.addEventListener("keydown", function (event) {
    var fieldset = event.target.closest && event.target.closest("[data-question]");
    if (!fieldset || !/^[0-3]$/.test(event.key)) { return; }
    var radio = fieldset.querySelector("input[data-key='" + event.key + "']");
    if (radio) {
      event.preventDefault();
      radio.checked = true;
      focusQuestion(questions.indexOf(fieldset) + 1);
    }
  });
  focusQuestion(0);
})();
