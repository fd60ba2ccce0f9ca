// Drives the controller's dashboard in a real headless browser (Debian's chromium, through
// playwright-core from the npm registry), as a user would: log in, open the app, scale it,
// set a config value, roll back; and checks what must never happen: a request to another
// origin, a script from a value the API returned, a console error or a CSP report.
//
//   node t/helper/dashboard-drive.js URL USER PASSWORD APP
//   env: NODE_PATH (where playwright-core is), CHROMIUM (default /usr/bin/chromium)
// Prints one "ok - ..." line per step; exits 1 at the first step that fails, saying why.
"use strict";
const { chromium } = require("playwright-core");

const [url, user, password, app] = process.argv.slice(2);
const origin = new URL(url).origin;
const STEP_MS = 20000;

async function main() {
	const browser = await chromium.launch({
		executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
		args: ["--no-sandbox", "--disable-dev-shm-usage"],
	});
	const problems = [];
	let step = "";
	try {
		const page = await browser.newPage();
		page.setDefaultTimeout(STEP_MS);
		page.on("request", (r) => {
			if (!r.url().startsWith(origin + "/")) problems.push("a request to another origin: " + r.url());
		});
		page.on("console", (m) => {
			// a failed fetch is logged by the browser too; the page shows those itself
			if (m.type() === "error" && !/^Failed to load resource: the server responded/.test(m.text())) problems.push("console: " + m.text());
		});
		page.on("pageerror", (e) => problems.push("page error: " + e.message));
		const check = () => {
			if (problems.length) throw new Error(problems.join("; "));
		};
		const ok = (what) => {
			check();
			console.log("ok - " + what);
		};

		step = "the login form";
		await page.goto(url);
		await page.locator("#login").waitFor({ state: "visible" });
		ok("the page loads with its login form");

		step = "a wrong password";
		await page.fill("#login input[name=username]", user);
		await page.fill("#login input[name=password]", password + "-wrong");
		await page.click("#login button[type=submit]");
		await page.locator("#error").waitFor({ state: "visible" });
		if (!(await page.locator("#login").isVisible())) throw new Error("logged in with a wrong password");
		ok("a wrong password is refused: " + (await page.textContent("#error")));

		step = "log in";
		await page.fill("#login input[name=password]", password);
		await page.click("#login button[type=submit]");
		await page.locator("#app-list a", { hasText: app }).waitFor();
		ok("logged in: the app is listed");

		step = "the app";
		await page.click(`#app-list a:text-is("${app}")`);
		await page.locator("#app-name", { hasText: app }).waitFor();
		await page.waitForFunction(() => document.querySelectorAll("#procs tbody tr").length === 1);
		const hostile = await page.locator("#config tbody td", { hasText: "<img" }).first().textContent();
		if (await page.evaluate(() => document.title !== "Deis" || document.querySelector("#config img")))
			throw new Error("a config value became markup");
		ok("the app: one process, its releases, the hostile config value shown as text: " + hostile);

		step = "scale";
		await page.fill("#scale input[name=proc]", "web");
		await page.fill("#scale input[name=count]", "2");
		await page.click("#scale button[type=submit]");
		await page.waitForFunction(() => document.querySelectorAll("#procs tbody tr").length === 2, null, { timeout: 60000 });
		ok("scaled to web=2: two processes listed");

		step = "config";
		const before = await page.locator("#releases tbody tr").count();
		await page.fill("#config-set input[name=cfgkey]", "FROM_BROWSER");
		await page.fill("#config-set input[name=cfgval]", "yes");
		await page.click("#config-set button[type=submit]");
		await page.locator("#config tbody td", { hasText: "FROM_BROWSER" }).waitFor({ timeout: 60000 });
		await page.waitForFunction((n) => document.querySelectorAll("#releases tbody tr").length === n + 1, before);
		ok("config set: the value and a new release listed");

		step = "rollback";
		await page.click("#rollback button[type=submit]");
		await page.waitForFunction(() => !Array.from(document.querySelectorAll("#config tbody td")).some((td) => td.textContent === "FROM_BROWSER"), null, { timeout: 60000 });
		ok("rolled back: the value is gone again");

		step = "log out";
		await page.click("#logout");
		await page.locator("#login").waitFor({ state: "visible" });
		if (await page.evaluate(() => sessionStorage.getItem("deis-token") !== null))
			throw new Error("the token outlived the logout");
		ok("logged out: the token is gone");
	} catch (e) {
		console.log("not ok - " + step + ": " + e.message.split("\n")[0]);
		process.exitCode = 1;
	} finally {
		await browser.close();
	}
}

main().catch((e) => {
	console.log("not ok - the browser: " + e.message);
	process.exit(1);
});
