// Drop every address from package-lock.json (funding links), so the committed lockfile names no host.
const fs = require("fs");
const path = "package-lock.json";
const lock = JSON.parse(fs.readFileSync(path, "utf8"));
for (const pkg of Object.values(lock.packages || {})) {
  delete pkg.funding;
  delete pkg.resolved;
}
fs.writeFileSync(path, JSON.stringify(lock, null, 2) + "\n");
