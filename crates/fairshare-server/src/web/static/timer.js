// Start/stop timer for the work form: fills the hours field with the elapsed time.
(function () {
  var start = document.getElementById("timer-start");
  var stop = document.getElementById("timer-stop");
  var hours = document.getElementById("work-hours");
  var shown = document.getElementById("timer-elapsed");
  if (!start || !stop || !hours) return;
  var began = null, tick = null;
  start.addEventListener("click", function () {
    began = Date.now(); start.disabled = true; stop.disabled = false; shown.textContent = "running…";
    tick = setInterval(function () { shown.textContent = Math.round((Date.now() - began) / 1000) + " s"; }, 1000);
  });
  stop.addEventListener("click", function () {
    if (began === null) return;
    clearInterval(tick);
    var h = (Date.now() - began) / 3600000;
    hours.value = (Math.round(h * 100) / 100).toFixed(2);
    shown.textContent = "stopped: " + hours.value + " h (edit if needed)";
    began = null; start.disabled = false; stop.disabled = true;
  });
})();
