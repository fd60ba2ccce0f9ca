/*
 * The web dashboard (docs/dashboard.md): three static files, compiled into the
 * controller (controller/dashboard/), served at "/" and "/dashboard/<file>" to
 * anyone; what they show comes from the API with the user's token, as the CLI's.
 * Every answer forbids inline scripts and anything from another origin
 * (Content-Security-Policy), framing, and MIME sniffing.
 */
#include <string.h>

#include "controller/api.h"
#include "controller/dashboard.h"
#include "lib/buf.h"
#include "lib/str.h"

/* NAME and NAME_end around the bytes of FILE (read when the controller is compiled). */
#define ASSET(name, file) __asm__(".section .rodata\n.balign 16\n" \
	"dash_" #name ":\n.incbin \"" file "\"\ndash_" #name "_end:\n.byte 0\n.previous\n")

ASSET(index, "controller/dashboard/index.html");
ASSET(js, "controller/dashboard/app.js");
ASSET(css, "controller/dashboard/style.css");
extern const char dash_index[], dash_index_end[], dash_js[], dash_js_end[], dash_css[],
    dash_css_end[];

static const struct {
	const char *path, *type, *start, *end;
} files[] = {
	{ "/", "text/html; charset=utf-8", dash_index, dash_index_end },
	{ "/dashboard/app.js", "text/javascript; charset=utf-8", dash_js, dash_js_end },
	{ "/dashboard/style.css", "text/css; charset=utf-8", dash_css, dash_css_end },
};

static const char headers[] =
	"Content-Security-Policy: default-src 'none'; script-src 'self'; style-src 'self'; "
	"connect-src 'self'; img-src 'self'; form-action 'none'; base-uri 'none'; "
	"frame-ancestors 'none'\r\n"
	"X-Content-Type-Options: nosniff\r\n"
	"X-Frame-Options: DENY\r\n"
	"Referrer-Policy: no-referrer\r\n"
	"Cache-Control: no-cache\r\n";

bool
dashboard_serve(struct api *a, struct str method, struct str path)
{
	size_t i;

	if (!str_eqs(method, "GET") && !str_eqs(method, "HEAD"))
		return false;
	if (str_eqs(path, "/favicon.ico")) {	/* browsers ask; there is none */
		buf_addstr(&a->hdrs, headers);
		api_text(a, 204, NULL, "", 0);
		return true;
	}
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		if (str_eqs(path, files[i].path)) {
			buf_addstr(&a->hdrs, headers);
			api_text(a, 200, files[i].type, files[i].start,
			    (size_t)(files[i].end - files[i].start));
			return true;
		}
	return false;
}
