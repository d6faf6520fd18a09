// Calls a Clearance node's /search from another origin with a bearer token, as STAC Browser
// does; the node and token come in the fragment: #node=URL&token=TOKEN.
(async function () {
  const fragment = new URLSearchParams(window.location.hash.slice(1));
  const status = document.getElementById("status");
  try {
    const answer = await fetch(fragment.get("node") + "/search?limit=100", {
      headers: { Authorization: "Bearer " + fragment.get("token") },
    });
    const body = await answer.json();
    for (const feature of body.features) {
      const item = document.createElement("li");
      item.textContent = feature.collection + "/" + feature.id;
      document.getElementById("results").appendChild(item);
    }
    status.textContent = "HTTP " + answer.status + ", " + body.features.length + " items";
  } catch (error) {
    status.textContent = "blocked: " + error.name;
  }
})();
