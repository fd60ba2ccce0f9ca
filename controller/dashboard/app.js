// The dashboard (docs/dashboard.md): the controller's own API, with the token the login
// answers, kept for this browser tab only (sessionStorage). Every value from the API reaches
// the page as text (textContent), never as markup; the page's Content-Security-Policy allows
// scripts from this origin only, and no inline script.
"use strict";

const $ = (id) => document.getElementById(id);
const state = { token: sessionStorage.getItem("deis-token"), user: sessionStorage.getItem("deis-user"), app: null, timer: null };

async function api(method, path, body) {
	const headers = { "Accept": "application/json" };
	if (state.token) headers["Authorization"] = "token " + state.token;
	if (body !== undefined) headers["Content-Type"] = "application/json";
	const r = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
	if (r.status === 401) {
		logout();
		throw new Error("Your session ended: log in again.");
	}
	const type = r.headers.get("Content-Type") || "";
	const data = type.startsWith("application/json") ? await r.json() : await r.text();
	if (!r.ok) throw new Error(typeof data === "string" ? data || r.statusText : message(data, r.statusText));
	return data;
}

// Deis's error bodies: {"detail": "..."} or {"field": ["..."]}.
function message(data, fallback) {
	if (data && data.detail) return data.detail;
	if (data && typeof data === "object")
		return Object.entries(data).map(([k, v]) => k + ": " + [].concat(v).join(" ")).join("; ");
	return fallback;
}

function fail(e) {
	$("error").textContent = e.message;
	$("error").hidden = false;
}

function clearError() {
	$("error").hidden = true;
}

function el(tag, text) {
	const e = document.createElement(tag);
	if (text !== undefined) e.textContent = String(text);
	return e;
}

function row(tbody, cells) {
	const tr = el("tr");
	for (const c of cells) tr.appendChild(el("td", c));
	tbody.appendChild(tr);
}

function show(section) {
	for (const id of ["login", "apps", "app"]) $(id).hidden = id !== section;
	$("logout").hidden = section === "login";
	$("who").textContent = state.user ? "logged in as " + state.user : "";
}

function logout() {
	state.token = state.user = null;
	sessionStorage.removeItem("deis-token");
	sessionStorage.removeItem("deis-user");
	stopFollow();
	show("login");
}

async function login(ev) {
	ev.preventDefault();
	clearError();
	const f = ev.target;
	try {
		const r = await api("POST", "/v1/auth/login/", { username: f.username.value, password: f.password.value });
		state.token = r.token;
		state.user = f.username.value;
		sessionStorage.setItem("deis-token", state.token);
		sessionStorage.setItem("deis-user", state.user);
		f.password.value = "";
		location.hash = "#/apps";
		route();
	} catch (e) {
		fail(e);
	}
}

async function listApps() {
	const r = await api("GET", "/v1/apps?limit=100");
	const ul = $("app-list");
	ul.replaceChildren();
	for (const a of r.results) {
		const li = el("li");
		const link = el("a", a.id);
		link.href = "#/apps/" + encodeURIComponent(a.id);
		li.appendChild(link);
		li.appendChild(el("span", " (owner " + a.owner + ")"));
		ul.appendChild(li);
	}
	$("no-apps").hidden = r.results.length > 0;
	show("apps");
}

const base = () => "/v1/apps/" + encodeURIComponent(state.app);

async function loadProcesses() {
	const r = await api("GET", base() + "/containers?limit=100");
	const tbody = $("procs").tBodies[0];
	tbody.replaceChildren();
	for (const c of r.results) {
		let st = c.state;
		if (c.restarts) st += ", restarted " + c.restarts + " times";
		row(tbody, [c.type + "." + c.num, st, c.release]);
	}
	tbody.dataset.count = String(r.results.length);
}

async function loadApp() {
	const [info, rels, cfg, doms] = await Promise.all([api("GET", base()),
		api("GET", base() + "/releases?limit=20"), api("GET", base() + "/config"),
		api("GET", base() + "/domains?limit=100")]);
	$("app-name").textContent = info.id;
	$("app-url").textContent = info.url ? "http://" + info.url : "";
	let tbody = $("releases").tBodies[0];
	tbody.replaceChildren();
	for (const r of rels.results) row(tbody, ["v" + r.version, r.owner, r.summary, r.created]);
	tbody = $("config").tBodies[0];
	tbody.replaceChildren();
	for (const [k, v] of Object.entries(cfg.values || {})) row(tbody, [k, v]);
	const ul = $("domains");
	ul.replaceChildren();
	for (const d of doms.results) ul.appendChild(el("li", d.domain));
	await loadProcesses();
	show("app");
	await loadLogs();
	follow();
}

// The logger may be away while the rest answers: its error goes where the lines would.
async function loadLogs() {
	if (!state.app) return;
	const pre = $("logs");
	let text;
	try {
		text = await api("GET", base() + "/logs?log_lines=200");
	} catch (e) {
		text = "(" + e.message + ")";
	}
	const atEnd = pre.scrollTop + pre.clientHeight >= pre.scrollHeight - 4;
	pre.textContent = typeof text === "string" ? text : "";
	if (atEnd) pre.scrollTop = pre.scrollHeight;
}

function stopFollow() {
	clearInterval(state.timer);
	state.timer = null;
}

// Following: the last lines again every 2 s, and the processes with them.
function follow() {
	stopFollow();
	if (!$("follow").checked || !state.app) return;
	state.timer = setInterval(() => {
		Promise.all([loadLogs(), loadProcesses()]).catch(fail);
	}, 2000);
}

async function action(fn) {
	clearError();
	try {
		await fn();
		await loadApp();
	} catch (e) {
		fail(e);
	}
}

function route() {
	stopFollow();
	clearError();
	if (!state.token) return show("login");
	const m = location.hash.match(/^#\/apps\/([^/]+)$/);
	state.app = m ? decodeURIComponent(m[1]) : null;
	(state.app ? loadApp() : listApps()).catch(fail);
}

document.addEventListener("DOMContentLoaded", () => {
	$("login").addEventListener("submit", login);
	$("logout").addEventListener("click", () => { location.hash = ""; logout(); });
	$("back").addEventListener("click", (ev) => { ev.preventDefault(); location.hash = "#/apps"; });
	$("follow").addEventListener("change", follow);
	$("scale").addEventListener("submit", (ev) => {
		ev.preventDefault();
		const f = ev.target;
		action(() => api("POST", base() + "/scale/", { [f.proc.value]: Number(f.count.value) }));
	});
	$("rollback").addEventListener("submit", (ev) => {
		ev.preventDefault();
		const v = ev.target.version.value.replace(/^v/, "");
		action(() => api("POST", base() + "/releases/rollback/", v ? { version: Number(v) } : {}));
	});
	$("config-set").addEventListener("submit", (ev) => {
		ev.preventDefault();
		const f = ev.target;
		action(() => api("POST", base() + "/config/", { values: { [f.cfgkey.value]: f.cfgval.value } }));
	});
	$("config-unset").addEventListener("click", () => {
		const f = $("config-set");
		if (f.cfgkey.reportValidity())
			action(() => api("POST", base() + "/config/", { values: { [f.cfgkey.value]: null } }));
	});
	window.addEventListener("hashchange", route);
	route();
});
